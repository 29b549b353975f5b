// Package cloudtrailtest builds CloudTrail test data (records, gzipped log
// files in the S3 key layout) and serves it through a loopback server that
// speaks the LookupEvents API, for tests of the AWS sources.
package cloudtrailtest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path"
	"testing"
	"time"
)

// Record is one CloudTrail record as JSON-ready data.
type Record map[string]any

// Assume describes an sts assume-role call to turn into a Record.
type Assume struct {
	ID        string    // eventID; "" = derived from the other fields
	Time      time.Time // eventTime
	Name      string    // eventName; "" = AssumeRole
	Account   string    // recipientAccountId
	Region    string    // awsRegion; "" = us-east-1
	Role      string    // requestParameters.roleArn
	Session   string    // requestParameters.roleSessionName
	Identity  string    // requestParameters.sourceIdentity
	ErrorCode string    // a refused call
}

// ID derives a stable event id from a tag.
func ID(tag string) string {
	h := sha256.Sum256([]byte(tag))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Record builds the CloudTrail record of the call, shaped like the ones
// CloudTrail writes.
func (a Assume) Record() Record {
	if a.Name == "" {
		a.Name = "AssumeRole"
	}
	if a.Region == "" {
		a.Region = "us-east-1"
	}
	if a.ID == "" {
		a.ID = ID(fmt.Sprint(a.Time.UnixNano(), a.Name, a.Account, a.Region, a.Role, a.Session, a.Identity))
	}
	r := Record{
		"eventVersion": "1.08",
		"userIdentity": Record{
			"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001",
			"arn": "arn:aws:iam::" + a.Account + ":user/deployer", "accountId": a.Account, "userName": "deployer",
		},
		"eventTime":          a.Time.UTC().Format(time.RFC3339),
		"eventSource":        "sts.amazonaws.com",
		"eventName":          a.Name,
		"awsRegion":          a.Region,
		"sourceIPAddress":    "198.51.100.7",
		"userAgent":          "aws-cli/2.22.4 md/command#sts.assume-role",
		"eventID":            a.ID,
		"requestID":          ID("req-" + a.ID),
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": a.Account,
		"eventCategory":      "Management",
		"resources":          []Record{{"accountId": a.Account, "type": "AWS::IAM::Role", "ARN": a.Role}},
	}
	if a.ErrorCode != "" {
		r["errorCode"] = a.ErrorCode
		r["errorMessage"] = "not authorized to perform: sts:AssumeRole on resource: " + a.Role
		r["requestParameters"] = nil
		r["responseElements"] = nil
		return r
	}
	req := Record{"roleArn": a.Role, "roleSessionName": a.Session, "durationSeconds": 3600}
	if a.Identity != "" {
		req["sourceIdentity"] = a.Identity
	}
	r["requestParameters"] = req
	key := fmt.Sprintf("ASIA%X", sha256.Sum256([]byte(a.ID)))[:20]
	r["responseElements"] = Record{
		"credentials": Record{"accessKeyId": key, "sessionToken": "EXAMPLE-TOKEN", "expiration": a.Time.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
		"assumedRoleUser": Record{
			"assumedRoleId": "AROAEXAMPLEROLE00001:" + a.Session,
			"arn":           fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", a.Account, path.Base(a.Role), a.Session),
		},
	}
	return r
}

// Noise is a record that is not a role session (an s3:GetObject call).
func Noise(t time.Time, account, region string) Record {
	id := ID(fmt.Sprint("noise", t.UnixNano(), account, region))
	return Record{
		"eventVersion": "1.08", "eventTime": t.UTC().Format(time.RFC3339),
		"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": region,
		"sourceIPAddress": "198.51.100.9", "userAgent": "aws-sdk-go-v2/1.36.3",
		"userIdentity":      Record{"type": "IAMUser", "arn": "arn:aws:iam::" + account + ":user/ops", "accountId": account, "userName": "ops"},
		"requestParameters": Record{"bucketName": "artifacts", "key": "app.tar.gz"},
		"responseElements":  nil, "eventID": id, "requestID": ID("req-" + id),
		"recipientAccountId": account, "eventType": "AwsApiCall", "managementEvent": false,
	}
}

// LogFile is a gzipped CloudTrail log file holding the records.
func LogFile(t testing.TB, records ...Record) []byte {
	t.Helper()
	if records == nil {
		records = []Record{}
	}
	doc, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatalf("cloudtrailtest: records are not JSON: %v", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(doc)
	_ = zw.Close()
	return buf.Bytes()
}

// DigestFile is a gzipped CloudTrail digest file (hashes, no records).
func DigestFile(account string, at time.Time) []byte {
	doc, _ := json.Marshal(map[string]any{
		"awsAccountId": account, "digestStartTime": at.Add(-time.Hour).UTC().Format(time.RFC3339),
		"digestEndTime": at.UTC().Format(time.RFC3339), "digestS3Bucket": "trail", "logFiles": []any{},
		"digestSignatureAlgorithm": "SHA256withRSA", "digestPublicKeyFingerprint": "00",
	})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(doc)
	_ = zw.Close()
	return buf.Bytes()
}

// Key is the S3 key CloudTrail gives a log file delivered at the time:
// AWSLogs/[<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
// <account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz.
func Key(org, account, region string, delivered time.Time, unique string) string {
	d := delivered.UTC()
	base := "AWSLogs/"
	if org != "" {
		base += org + "/"
	}
	return fmt.Sprintf("%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		base, account, region, d.Format("2006/01/02"), account, region, d.Format("20060102T1504Z"), unique)
}

// DigestKey is the S3 key of a digest file.
func DigestKey(org, account, region string, delivered time.Time) string {
	d := delivered.UTC()
	base := "AWSLogs/"
	if org != "" {
		base += org + "/"
	}
	return fmt.Sprintf("%s%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_trail_%s_%s.json.gz",
		base, account, region, d.Format("2006/01/02"), account, region, region, d.Format("20060102T150405Z"))
}
