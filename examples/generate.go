//go:build ignore

// generate writes the example organisation's CloudTrail log files and
// session export. Run it from the repository root:
//
//	go run examples/generate.go
//
// The output is deterministic, so the committed files only change when this
// program does.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"time"
)

const (
	prod    = "111122223333"
	staging = "444455556666"
	vendor  = "999988887777"
	org     = "o-a1b2c3d4e5"
)

var day0 = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC) // a Monday

func at(day int, hh, mm int) time.Time {
	return day0.AddDate(0, 0, day).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

var seq int

func uuid(tag string) string {
	seq++
	h := sha256.Sum256([]byte(fmt.Sprintf("%s-%d", tag, seq)))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

type rec = map[string]any

// assume builds an sts:AssumeRole record.
type assume struct {
	t           time.Time
	name        string // AssumeRole, AssumeRoleWithWebIdentity, ...
	account     string
	region      string
	role        string
	sessionName string
	si          string // requestParameters.sourceIdentity
	callerSI    string // userIdentity.sessionContext.sourceIdentity (role chaining)
	callerKind  string // IAMUser | AssumedRole | WebIdentityUser | AWSService
	caller      string
	ip, agent   string
	errorCode   string
	id          string
}

func (a assume) record() rec {
	if a.name == "" {
		a.name = "AssumeRole"
	}
	if a.region == "" {
		a.region = "us-east-1"
	}
	if a.id == "" {
		a.id = uuid("evt")
	}
	ui := rec{}
	switch a.callerKind {
	case "AssumedRole":
		ui = rec{
			"type": "AssumedRole", "principalId": "AROAEXAMPLEBROKER:" + a.caller,
			"arn":       fmt.Sprintf("arn:aws:sts::%s:assumed-role/SentinelBroker/%s", a.account, a.caller),
			"accountId": a.account, "accessKeyId": "ASIAEXAMPLECALLER001",
			"sessionContext": rec{
				"sessionIssuer": rec{"type": "Role", "principalId": "AROAEXAMPLEBROKER", "arn": fmt.Sprintf("arn:aws:iam::%s:role/SentinelBroker", a.account), "accountId": a.account, "userName": "SentinelBroker"},
				"attributes":    rec{"creationDate": a.t.Add(-10 * time.Minute).Format(time.RFC3339), "mfaAuthenticated": "false"},
			},
		}
		if a.callerSI != "" {
			ui["sessionContext"].(rec)["sourceIdentity"] = a.callerSI
		}
	case "WebIdentityUser":
		ui = rec{"type": "WebIdentityUser", "principalId": "arn:aws:iam::" + a.account + ":oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main", "userName": "repo:acme/app:ref:refs/heads/main", "identityProvider": "arn:aws:iam::" + a.account + ":oidc-provider/token.actions.githubusercontent.com"}
	case "AWSService":
		ui = rec{"type": "AWSService", "invokedBy": a.caller}
	default:
		ui = rec{"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER" + fmt.Sprint(len(a.caller)), "arn": fmt.Sprintf("arn:aws:iam::%s:user/%s", a.account, a.caller), "accountId": a.account, "accessKeyId": "AKIAEXAMPLEUSERKEY01", "userName": a.caller}
	}
	r := rec{
		"eventVersion": "1.08", "userIdentity": ui, "eventTime": a.t.UTC().Format(time.RFC3339),
		"eventSource": "sts.amazonaws.com", "eventName": a.name, "awsRegion": a.region,
		"sourceIPAddress": a.ip, "userAgent": a.agent,
		"eventID": a.id, "readOnly": true, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": a.account, "eventCategory": "Management",
		"requestID": uuid("req"),
		"resources": []rec{{"accountId": a.account, "type": "AWS::IAM::Role", "ARN": a.role}},
	}
	if a.errorCode != "" {
		r["errorCode"] = a.errorCode
		r["errorMessage"] = "User: " + fmt.Sprint(ui["arn"]) + " is not authorized to perform: sts:AssumeRole on resource: " + a.role
		r["requestParameters"] = nil
		r["responseElements"] = nil
		return r
	}
	req := rec{"roleArn": a.role, "roleSessionName": a.sessionName, "durationSeconds": 3600}
	if a.si != "" {
		req["sourceIdentity"] = a.si
	}
	r["requestParameters"] = req
	key := fmt.Sprintf("ASIA%016X", sha256.Sum256([]byte(a.id)))[:20]
	resp := rec{
		"credentials":     rec{"accessKeyId": key, "sessionToken": "EXAMPLE-SESSION-TOKEN-NEVER-PRINTED", "expiration": a.t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
		"assumedRoleUser": rec{"assumedRoleId": "AROAEXAMPLEROLE:" + a.sessionName, "arn": fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", a.account, filepath.Base(a.role), a.sessionName)},
	}
	if a.si != "" {
		resp["sourceIdentity"] = a.si
	}
	r["responseElements"] = resp
	return r
}

// noise is a record that is not a role session.
func noise(t time.Time, account, source, name string) rec {
	return rec{
		"eventVersion": "1.08", "eventTime": t.UTC().Format(time.RFC3339), "eventSource": source, "eventName": name,
		"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7", "userAgent": "aws-sdk-go-v2/1.30.0",
		"userIdentity":       rec{"type": "IAMUser", "arn": "arn:aws:iam::" + account + ":user/ops", "accountId": account, "userName": "ops"},
		"requestParameters":  rec{"bucketName": "acme-artifacts", "key": "releases/app.tar.gz"},
		"responseElements":   nil,
		"eventID":            uuid("noise"),
		"recipientAccountId": account, "eventType": "AwsApiCall", "managementEvent": false,
	}
}

type session struct {
	ID               string `json:"id"`
	User             string `json:"user"`
	Profile          string `json:"profile"`
	ServerInstanceID string `json:"server_instance_id"`
	Status           string `json:"status"`
	StartedAt        string `json:"started_at"`
	LastAccessAt     string `json:"last_access_at"`
	ExpiresAt        string `json:"expires_at"`
	RequestCount     int    `json:"request_count"`
	SourceIdentity   string `json:"source_identity,omitempty"`
	CreatedAt        string `json:"created_at"`
	UpdatedAt        string `json:"updated_at"`
	TTL              int64  `json:"ttl"`
	RevokedBy        string `json:"revoked_by,omitempty"`
	RevokedReason    string `json:"revoked_reason,omitempty"`
}

func nano(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func newSession(user, profile, si string, start time.Time, dur time.Duration) session {
	return session{
		ID: uuid("sess"), User: user, Profile: profile, ServerInstanceID: "srv-eu-west-1a",
		Status: "active", StartedAt: nano(start), LastAccessAt: nano(start.Add(dur / 2)), ExpiresAt: nano(start.Add(dur)),
		RequestCount: 3, SourceIdentity: si, CreatedAt: nano(start), UpdatedAt: nano(start.Add(dur / 2)),
		TTL: start.Add(dur + 30*24*time.Hour).Unix(),
	}
}

func main() {
	out := "examples"
	ct := filepath.Join(out, "cloudtrail")
	if err := os.RemoveAll(ct); err != nil {
		log.Fatal(err)
	}
	prodAdmin := "arn:aws:iam::" + prod + ":role/ProdAdmin"
	var prodEvents, stagingEvents []rec
	var sessions []session
	broker := "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 md/GOOS#linux sentinel-broker/2.4.0"
	laptop := "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 cmd/sts.assume-role"

	// Tracked production sessions in office hours (Berlin = UTC+1).
	users := []string{"alice", "bob", "carol", "alice", "bob", "dave", "carol", "alice", "erin", "bob", "alice", "carol"}
	for i, u := range users {
		t := at(i%5, 7+i%9, 5*i%60)
		si := fmt.Sprintf("sentinel:%s:direct:%08x", u, 0x1a2b0000+i)
		prodEvents = append(prodEvents, assume{t: t, account: prod, role: prodAdmin, sessionName: "sentinel-" + u, si: si, callerKind: "AssumedRole", caller: "broker", ip: "10.20.0.15", agent: broker}.record())
		sessions = append(sessions, newSession(u, "prod-admin", si, t.Add(-time.Second), time.Hour))
	}
	// The same tracked session delivered twice: the account trail and the organisation trail.
	dup := prodEvents[0]

	// The older 3-part identity, matched by its record.
	t := at(1, 14, 20)
	prodEvents = append(prodEvents, assume{t: t, account: prod, role: prodAdmin, sessionName: "sentinel-alice", si: "sentinel:alice:5e6f7a8b", callerKind: "AssumedRole", caller: "broker", ip: "10.20.0.15", agent: broker}.record())
	sessions = append(sessions, newSession("alice", "prod-admin", "sentinel:alice:5e6f7a8b", t, time.Hour))

	// Role chaining: the broker's session assumes ProdAdmin again; the
	// SourceIdentity persists in the caller's session context.
	t = at(4, 10, 0)
	chained := "sentinel:carol:direct:c0ffee01"
	prodEvents = append(prodEvents, assume{t: t, account: prod, role: prodAdmin, sessionName: "carol-chained", callerSI: chained, callerKind: "AssumedRole", caller: "carol-chained", ip: "10.20.0.15", agent: broker}.record())
	sessions = append(sessions, newSession("carol", "prod-admin", chained, t.Add(-5*time.Minute), time.Hour))

	// A script on a laptop assumes ProdAdmin directly: no SourceIdentity.
	prodEvents = append(prodEvents, assume{t: at(1, 9, 12), account: prod, role: prodAdmin, sessionName: "hotfix-script", callerKind: "IAMUser", caller: "deploy-script", ip: "198.51.100.23", agent: laptop}.record())
	// A broker-shaped identity with no record: orphaned.
	prodEvents = append(prodEvents, assume{t: at(2, 12, 40), account: prod, role: prodAdmin, sessionName: "sentinel-mallory", si: "sentinel:mallory:direct:deadbeef", callerKind: "IAMUser", caller: "mallory", ip: "198.51.100.99", agent: laptop}.record())
	// A revoked session used after its revocation.
	t = at(3, 8, 5)
	revoked := newSession("bob", "prod-admin", "sentinel:bob:direct:0badc0de", t.Add(-2*time.Hour), 4*time.Hour)
	revoked.Status, revoked.UpdatedAt, revoked.RevokedBy, revoked.RevokedReason = "revoked", nano(t.Add(-30*time.Minute)), "security-oncall", "laptop reported stolen"
	sessions = append(sessions, revoked)
	prodEvents = append(prodEvents, assume{t: t, account: prod, role: prodAdmin, sessionName: "sentinel-bob", si: "sentinel:bob:direct:0badc0de", callerKind: "AssumedRole", caller: "broker", ip: "10.20.0.15", agent: broker}.record())
	// After hours: one approved, one direct (needs an approval).
	for _, a := range []struct {
		t        time.Time
		user, si string
	}{{at(5, 21, 30), "erin", "sentinel:erin:4f2a9c1e:77aa0b12"}, {at(5, 23, 10), "dave", "sentinel:dave:direct:9e8d7c6b"}} {
		prodEvents = append(prodEvents, assume{t: a.t, account: prod, role: prodAdmin, sessionName: "sentinel-" + a.user, si: a.si, callerKind: "AssumedRole", caller: "broker", ip: "10.20.0.15", agent: broker}.record())
		sessions = append(sessions, newSession(a.user, "prod-admin", a.si, a.t.Add(-time.Second), time.Hour))
	}
	// A refused attempt: counted as a denied attempt, not a session.
	prodEvents = append(prodEvents, assume{t: at(5, 3, 2), account: prod, role: prodAdmin, callerKind: "IAMUser", caller: "intern", ip: "192.0.2.44", agent: laptop, errorCode: "AccessDenied"}.record())
	// A role no profile covers.
	for _, d := range []int{0, 3} {
		prodEvents = append(prodEvents, assume{t: at(d, 16, 45), account: prod, role: "arn:aws:iam::" + prod + ":role/LegacyAdmin", sessionName: "legacy-cron", callerKind: "IAMUser", caller: "legacy-cron", ip: "203.0.113.50", agent: "Boto3/1.34.0 Python/3.9.18 Linux/5.10 Botocore/1.34.0"}.record())
	}
	// The security team's audit role and CI deployments: allowed.
	prodEvents = append(prodEvents, assume{t: at(2, 6, 0), account: prod, role: "arn:aws:iam::" + prod + ":role/SecurityAudit", sessionName: "audit-scan", callerKind: "AWSService", caller: "securityhub.amazonaws.com", ip: "securityhub.amazonaws.com", agent: "securityhub.amazonaws.com"}.record())
	for d := 0; d < 5; d++ {
		prodEvents = append(prodEvents, assume{t: at(d, 13, 30), name: "AssumeRoleWithWebIdentity", account: prod, role: "arn:aws:iam::" + prod + ":role/GitHubDeploy", sessionName: "GitHubActions", callerKind: "WebIdentityUser", ip: "192.0.2.10", agent: "aws-sdk-js/3.0 configure-aws-credentials"}.record())
	}
	// Outside the window (the day after): counted, not judged.
	prodEvents = append(prodEvents, assume{t: at(7, 1, 0), account: prod, role: prodAdmin, sessionName: "sentinel-alice", si: "sentinel:alice:direct:11112222", callerKind: "AssumedRole", caller: "broker", ip: "10.20.0.15", agent: broker}.record())

	// Staging: the broker, plus a CI job and a developer going around it.
	for i, u := range []string{"frank", "grace", "heidi", "frank", "ivan", "grace"} {
		stagingEvents = append(stagingEvents, assume{t: at(i%5, 9+i, 15), account: staging, region: "eu-west-1", role: "arn:aws:iam::" + staging + ":role/Developer", sessionName: "sentinel-" + u, si: fmt.Sprintf("sentinel:%s:direct:%08x", u, 0x5a000000+i), callerKind: "AssumedRole", caller: "broker", ip: "10.30.0.8", agent: broker}.record())
	}
	stagingEvents = append(stagingEvents, assume{t: at(2, 15, 0), account: staging, region: "eu-west-1", role: "arn:aws:iam::" + staging + ":role/DeveloperPowerUser", sessionName: "jenkins", si: "jenkins-build-4711", callerKind: "IAMUser", caller: "jenkins", ip: "203.0.113.80", agent: "aws-cli/2.15.0"}.record())
	stagingEvents = append(stagingEvents, assume{t: at(3, 11, 30), account: staging, region: "eu-west-1", role: "arn:aws:iam::" + staging + ":role/Developer", sessionName: "judy-local", callerKind: "IAMUser", caller: "judy", ip: "198.51.100.61", agent: laptop}.record())
	stagingEvents = append(stagingEvents, assume{t: at(3, 12, 0), account: staging, region: "eu-west-1", role: "arn:aws:iam::" + staging + ":role/SecurityAudit", sessionName: "audit-scan", callerKind: "AWSService", caller: "securityhub.amazonaws.com", ip: "securityhub.amazonaws.com", agent: "securityhub.amazonaws.com"}.record())
	// A vendor account outside the policy: no finding.
	stagingEvents = append(stagingEvents, assume{t: at(4, 12, 0), account: staging, region: "eu-west-1", role: "arn:aws:iam::" + vendor + ":role/VendorSupport", sessionName: "vendor", callerKind: "IAMUser", caller: "vendor-link", ip: "203.0.113.90", agent: "aws-cli/2.15.0"}.record())

	// Noise: most of a trail is not STS.
	for d := 0; d < 7; d++ {
		for h := 0; h < 24; h += 3 {
			prodEvents = append(prodEvents, noise(at(d, h, 7), prod, "s3.amazonaws.com", "GetObject"))
			stagingEvents = append(stagingEvents, noise(at(d, h, 9), staging, "ec2.amazonaws.com", "DescribeInstances"))
		}
		prodEvents = append(prodEvents, noise(at(d, 12, 1), prod, "sts.amazonaws.com", "GetCallerIdentity"))
	}

	writeTrail(ct, filepath.Join("AWSLogs", org, prod, "CloudTrail", "us-east-1"), prod, "us-east-1", prodEvents)
	writeTrail(ct, filepath.Join("AWSLogs", staging, "CloudTrail", "eu-west-1"), staging, "eu-west-1", stagingEvents)
	// The duplicate: the production account's own trail delivered the same event.
	writeFile(filepath.Join(ct, "AWSLogs", prod, "CloudTrail", "us-east-1", "2026", "11", "16", prod+"_CloudTrail_us-east-1_20261116T0715Z_acct0001.json.gz"), []rec{dup}, true)
	// A digest file, which is skipped.
	digest := map[string]any{"awsAccountId": prod, "digestStartTime": "2026-11-16T00:00:00Z", "digestEndTime": "2026-11-16T01:00:00Z", "digestS3Bucket": "acme-trail", "digestPublicKeyFingerprint": "0123456789abcdef", "logFiles": []any{}}
	b, _ := json.MarshalIndent(digest, "", "  ")
	writeRaw(filepath.Join(ct, "AWSLogs", org, prod, "CloudTrail-Digest", "us-east-1", "2026", "11", "16", prod+"_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20261116T010000Z.json.gz"), gz(b))
	// The staging trail is multi-region: global service events (IAM) are
	// logged in us-east-1, where calls to STS's global endpoint would be.
	var stagingGlobal []rec
	for d := 0; d < 7; d++ {
		stagingGlobal = append(stagingGlobal, noise(at(d, 10, 30), staging, "iam.amazonaws.com", "ListRoles"))
	}
	writeTrail(ct, filepath.Join("AWSLogs", staging, "CloudTrail", "us-east-1"), staging, "us-east-1", stagingGlobal)

	sort.Slice(sessions, func(i, j int) bool { return sessions[i].StartedAt < sessions[j].StartedAt })
	var buf bytes.Buffer
	for _, s := range sessions {
		line, _ := json.Marshal(s)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	writeRaw(filepath.Join(out, "sessions.jsonl"), buf.Bytes())
	fmt.Printf("wrote %d production and %d staging records, %d session records\n", len(prodEvents), len(stagingEvents), len(sessions))
}

// writeTrail writes records into per-day files in the S3 layout.
func writeTrail(root, prefix, account, region string, recs []rec) {
	byDay := map[string][]rec{}
	for _, r := range recs {
		t, _ := time.Parse(time.RFC3339, r["eventTime"].(string))
		byDay[t.Format("2006/01/02")] = append(byDay[t.Format("2006/01/02")], r)
	}
	days := make([]string, 0, len(byDay))
	for day := range byDay {
		days = append(days, day)
	}
	sort.Strings(days)
	for _, day := range days {
		rs := byDay[day]
		sort.Slice(rs, func(i, j int) bool { return rs[i]["eventTime"].(string) < rs[j]["eventTime"].(string) })
		t, _ := time.Parse("2006/01/02", day)
		name := fmt.Sprintf("%s_CloudTrail_%s_%sT2355Z_%s.json.gz", account, region, t.Format("20060102"), uuid("file")[:16])
		writeFile(filepath.Join(root, prefix, filepath.FromSlash(day), name), rs, true)
	}
}

func writeFile(path string, recs []rec, compress bool) {
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		log.Fatal(err)
	}
	if compress {
		b = gz(b)
	}
	writeRaw(path, b)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.ModTime = day0
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func writeRaw(path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
