package cloudtrailtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// LookupServerOptions shape how a LookupServer answers.
type LookupServerOptions struct {
	// Rate and Burst are the server's limit per region (a token bucket, as
	// AWS applies it): a request finding no token gets a ThrottlingException.
	// 0 means LookupEvents' limit: 2 requests per second, a burst of 2.
	Rate  float64
	Burst int
	// ThrottleFirst answers ThrottlingException to the first N requests,
	// whatever the rate.
	ThrottleFirst int
	// RepeatToken gives every page the NextToken of the first page: a
	// client that follows it blindly never ends.
	RepeatToken bool
	// DenyAccess answers AccessDeniedException to every request.
	DenyAccess bool
	// CorruptEvent serves the CloudTrailEvent of the event with this id as
	// JSON cut in the middle.
	CorruptEvent string
	// EnabledRegions are the regions account:ListRegions (POST /listRegions)
	// returns as enabled.
	EnabledRegions []string
	// Account is the account sts:GetCallerIdentity answers (default
	// 111122223333); "-" answers it with AccessDenied.
	Account string
}

// LookupRequest is one request the server received.
type LookupRequest struct {
	Region    string // from the SigV4 credential scope
	EventName string // the EventName lookup attribute
	Token     string // the NextToken sent
	Throttled bool   // answered with ThrottlingException
	At        time.Time
}

// LookupServer is a loopback HTTP server speaking the CloudTrail JSON 1.1
// protocol for LookupEvents (X-Amz-Target: CloudTrail_20131101.LookupEvents):
// it serves the records it was given, per region (their awsRegion, the
// request's region being read from its SigV4 credential scope), most recent
// first, filtered by the EventName lookup attribute and by StartTime and
// EndTime (both inclusive), MaxResults a page, paged with NextToken. It
// also answers the Account API's ListRegions (POST /listRegions).
type LookupServer struct {
	URL string

	opts   LookupServerOptions
	events map[string][]served // region -> events, most recent first

	mu       sync.Mutex
	requests []LookupRequest
	buckets  map[string]*tokenBucket
}

type served struct {
	id, name string
	at       time.Time
	raw      string
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

// NewLookupServer starts a server on 127.0.0.1 for the test's duration.
func NewLookupServer(t testing.TB, records []Record, opts LookupServerOptions) *LookupServer {
	t.Helper()
	if opts.Rate <= 0 {
		opts.Rate = 2
	}
	if opts.Burst <= 0 {
		opts.Burst = 2
	}
	s := &LookupServer{opts: opts, events: map[string][]served{}, buckets: map[string]*tokenBucket{}}
	for i, r := range records {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("cloudtrailtest: record %d is not JSON: %v", i, err)
		}
		at, err := time.Parse(time.RFC3339, fmt.Sprint(r["eventTime"]))
		if err != nil {
			t.Fatalf("cloudtrailtest: record %d: eventTime: %v", i, err)
		}
		ev := served{id: fmt.Sprint(r["eventID"]), name: fmt.Sprint(r["eventName"]), at: at, raw: string(raw)}
		if ev.id == opts.CorruptEvent {
			ev.raw = ev.raw[:len(ev.raw)/2]
		}
		region := fmt.Sprint(r["awsRegion"])
		s.events[region] = append(s.events[region], ev)
	}
	for _, evs := range s.events {
		sort.SliceStable(evs, func(i, j int) bool {
			if !evs[i].at.Equal(evs[j].at) {
				return evs[i].at.After(evs[j].at)
			}
			return evs[i].id < evs[j].id
		})
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Requests returns the requests received so far.
func (s *LookupServer) Requests() []LookupRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LookupRequest(nil), s.requests...)
}

// Throttled counts the requests answered with ThrottlingException.
func (s *LookupServer) Throttled() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Throttled {
			n++
		}
	}
	return n
}

var credentialScope = regexp.MustCompile(`Credential=[^/,]+/[0-9]{8}/([^/,]+)/`)

// callerIdentity answers sts:GetCallerIdentity (the query protocol, XML).
func (s *LookupServer) callerIdentity(w http.ResponseWriter) {
	acct := s.opts.Account
	if acct == "" {
		acct = "111122223333"
	}
	w.Header().Set("Content-Type", "text/xml")
	if acct == "-" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed here</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
		return
	}
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/ci</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, acct, acct)
}

func (s *LookupServer) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", "cannot read the body")
		return
	}
	region := ""
	if m := credentialScope.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	if req.Method == http.MethodPost && req.URL.Path == "/listRegions" {
		s.listRegions(w)
		return
	}
	if form, err := url.ParseQuery(string(body)); err == nil && req.Method == http.MethodPost && form.Get("Action") == "GetCallerIdentity" {
		s.callerIdentity(w)
		return
	}
	if req.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "only LookupEvents is served here, got "+req.Header.Get("X-Amz-Target"))
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		jsonError(w, http.StatusBadRequest, "SerializationException", "content type "+ct+", want application/x-amz-json-1.1")
		return
	}
	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        *float64
		EndTime          *float64
		MaxResults       *int
		NextToken        *string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	name := ""
	if len(in.LookupAttributes) > 1 {
		jsonError(w, http.StatusBadRequest, "InvalidLookupAttributesException", "only one lookup attribute may be given")
		return
	}
	if len(in.LookupAttributes) == 1 {
		if in.LookupAttributes[0].AttributeKey != "EventName" {
			jsonError(w, http.StatusBadRequest, "InvalidLookupAttributesException", "this server filters on EventName only")
			return
		}
		name = in.LookupAttributes[0].AttributeValue
	}
	token := ""
	if in.NextToken != nil {
		token = *in.NextToken
	}

	s.mu.Lock()
	r := LookupRequest{Region: region, EventName: name, Token: token, At: time.Now()}
	r.Throttled = s.throttleLocked(region, r.At)
	s.requests = append(s.requests, r)
	s.mu.Unlock()

	switch {
	case s.opts.DenyAccess:
		jsonError(w, http.StatusBadRequest, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/ci/run is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action")
		return
	case r.Throttled:
		jsonError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}

	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			jsonError(w, http.StatusBadRequest, "InvalidMaxResultsException", "MaxResults must be 1 to 50")
			return
		}
		limit = *in.MaxResults
	}
	start, end := time.Time{}, time.Now().Add(time.Hour)
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	if start.After(end) {
		jsonError(w, http.StatusBadRequest, "InvalidTimeRangeException", "StartTime is after EndTime")
		return
	}
	filter := fmt.Sprintf("%s|%s|%d|%d", region, name, start.UnixNano(), end.UnixNano())
	offset := 0
	if token != "" {
		f, off, ok := decodeToken(token)
		if !ok || f != filter {
			jsonError(w, http.StatusBadRequest, "InvalidNextTokenException", "the NextToken does not belong to this query")
			return
		}
		offset = off
	}

	var match []served
	for _, ev := range s.events[region] {
		if (name == "" || ev.name == name) && !ev.at.Before(start) && !ev.at.After(end) {
			match = append(match, ev)
		}
	}
	out := struct {
		Events    []map[string]any
		NextToken *string `json:",omitempty"`
	}{Events: []map[string]any{}}
	for i := offset; i < len(match) && i < offset+limit; i++ {
		ev := match[i]
		out.Events = append(out.Events, map[string]any{
			"EventId": ev.id, "EventName": ev.name, "EventSource": "sts.amazonaws.com",
			"EventTime": float64(ev.at.UnixMilli()) / 1000, "ReadOnly": "true", "Username": "deployer",
			"Resources": []any{}, "CloudTrailEvent": ev.raw,
		})
	}
	switch {
	case s.opts.RepeatToken:
		next := encodeToken(filter, 0) // back to the first page, forever
		out.NextToken = &next
	case offset+limit < len(match):
		next := encodeToken(filter, offset+limit)
		out.NextToken = &next
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// throttleLocked decides whether a request is throttled, and takes a
// token from the region's bucket when it is not.
func (s *LookupServer) throttleLocked(region string, now time.Time) bool {
	if len(s.requests) < s.opts.ThrottleFirst {
		return true
	}
	b := s.buckets[region]
	if b == nil {
		b = &tokenBucket{tokens: float64(s.opts.Burst), last: now}
		s.buckets[region] = b
	}
	b.tokens = math.Min(float64(s.opts.Burst), b.tokens+now.Sub(b.last).Seconds()*s.opts.Rate)
	b.last = now
	if b.tokens < 1 {
		return true
	}
	b.tokens--
	return false
}

func (s *LookupServer) listRegions(w http.ResponseWriter) {
	if s.opts.DenyAccess {
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"User is not authorized to perform: account:ListRegions"}`)
		return
	}
	var regions []map[string]string
	for _, r := range s.opts.EnabledRegions {
		regions = append(regions, map[string]string{"RegionName": r, "RegionOptStatus": "ENABLED_BY_DEFAULT"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Regions": regions})
}

func epoch(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
}

func encodeToken(filter string, offset int) string {
	return base64.StdEncoding.EncodeToString([]byte(filter + "#" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (string, int, bool) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return "", 0, false
	}
	f, off, ok := strings.Cut(string(b), "#")
	n, err := strconv.Atoi(off)
	return f, n, ok && err == nil
}

func jsonError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
