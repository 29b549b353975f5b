package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"
)

const testToken = "IQoJb3JpZ2luX2VjEXAMPLETOKENdoNotKeep"

// assumeRole returns a successful sts:AssumeRole record as CloudTrail writes it.
func assumeRole() map[string]any {
	return map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{
			"type":        "AssumedRole",
			"principalId": "AROAEXAMPLE:alice",
			"arn":         "arn:aws:sts::111122223333:assumed-role/SentinelBroker/alice",
			"accountId":   "111122223333",
			"accessKeyId": "ASIACALLERKEY0000001",
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{
					"type": "Role",
					"arn":  "arn:aws:iam::111122223333:role/SentinelBroker",
				},
				"attributes": map[string]any{"creationDate": "2024-05-01T11:00:00Z", "mfaAuthenticated": "false"},
			},
		},
		"eventTime":       "2024-05-01T12:00:00Z",
		"eventSource":     "sts.amazonaws.com",
		"eventName":       "AssumeRole",
		"awsRegion":       "us-east-1",
		"sourceIPAddress": "203.0.113.7",
		"userAgent":       "aws-sdk-go-v2/1.30.0",
		"requestParameters": map[string]any{
			"roleArn":         "arn:aws:iam::111122223333:role/ProdAdmin",
			"roleSessionName": "alice-session",
			"sourceIdentity":  "sentinel:alice:direct:1a2b3c4d",
			"durationSeconds": 3600,
		},
		"responseElements": map[string]any{
			"credentials": map[string]any{
				"accessKeyId":     "ASIAEXAMPLEKEY123456",
				"sessionToken":    testToken,
				"expiration":      "May 1, 2024, 1:00:00 PM",
				"secretAccessKey": "secretSHOULDNEVERAPPEAR",
			},
			"assumedRoleUser": map[string]any{
				"assumedRoleId": "AROAPROD:alice-session",
				"arn":           "arn:aws:sts::111122223333:assumed-role/ProdAdmin/alice-session",
			},
			"sourceIdentity": "sentinel:alice:direct:1a2b3c4d",
		},
		"requestID":          "0d6a3c1e-0000-4000-8000-000000000001",
		"eventID":            "3f1c0d4e-0000-4000-8000-000000000001",
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": "111122223333",
		"eventCategory":      "Management",
	}
}

// otherRecord returns a record of another service.
func otherRecord(id string) map[string]any {
	return map[string]any{
		"eventVersion":       "1.08",
		"userIdentity":       map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob"},
		"eventTime":          "2024-05-01T12:01:00Z",
		"eventSource":        "s3.amazonaws.com",
		"eventName":          "GetBucketAcl",
		"awsRegion":          "eu-west-1",
		"requestParameters":  map[string]any{"bucketName": "logs"},
		"responseElements":   nil,
		"eventID":            id,
		"recipientAccountId": "111122223333",
	}
}

// set changes the value at a dotted path of m (creating objects on the way)
// and returns m; the value del removes the key.
func set(m map[string]any, path string, v any) map[string]any {
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	if v == del {
		delete(cur, parts[len(parts)-1])
	} else {
		cur[parts[len(parts)-1]] = v
	}
	return m
}

type deleteMarker struct{}

var del any = deleteMarker{}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordsDoc is {"Records":[…]}.
func recordsDoc(t testing.TB, recs ...map[string]any) []byte {
	t.Helper()
	if recs == nil {
		recs = []map[string]any{}
	}
	return mustJSON(t, map[string]any{"Records": recs})
}

// lookupDoc is what `aws cloudtrail lookup-events` prints.
func lookupDoc(t testing.TB, recs ...map[string]any) []byte {
	t.Helper()
	var evs []map[string]any
	for _, r := range recs {
		evs = append(evs, map[string]any{
			"EventId":         r["eventID"],
			"EventName":       r["eventName"],
			"ReadOnly":        "true",
			"EventTime":       "2024-05-01T14:00:00+02:00",
			"EventSource":     r["eventSource"],
			"Username":        "alice",
			"Resources":       []any{},
			"CloudTrailEvent": string(mustJSON(t, r)),
		})
	}
	return mustJSON(t, map[string]any{"Events": evs})
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decode runs DecodeStream over data and collects the events.
func decode(data []byte, origin string, opts FileOptions) ([]Event, Stats, error) {
	var evs []Event
	st, err := DecodeStream(bytes.NewReader(data), origin, opts, func(e Event) { evs = append(evs, e) })
	return evs, st, err
}
