package hardening

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultProxy is a reverse proxy on 127.0.0.1 in front of an AWS stand-in
// (dynalite, s3rver, the LookupEvents server) that fails on purpose: it
// drops connections before or in the middle of a response, answers errors
// and throttling, stalls, and lets a test rewrite what passes.
type faultProxy struct {
	URL      string
	upstream *url.URL
	client   *http.Client
	done     chan struct{}

	mu     sync.Mutex
	faults []*fault
	log    []string
	// rewrite, when set, may change a response that passes through.
	rewrite func(op string, r *http.Request, status int, body []byte) []byte
	// serve, when set, may answer a request itself (ok true).
	serve func(op string, r *http.Request) (status int, body []byte, ok bool)
}

type faultKind int

const (
	dropBeforeResponse faultKind = iota // close the connection, no response
	dropMidBody                         // headers and half the body, then close
	answer                              // a canned status, headers and body
	hang                                // never answer
	stallMidBody                        // headers and half the body, then nothing
)

// fault applies to the requests of one operation ("" = any), at most
// times requests (0 = every one).
type fault struct {
	op     string
	times  int
	kind   faultKind
	status int
	header map[string]string
	body   string
	hits   int
}

func newFaultProxy(t *testing.T, upstream string) *faultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{upstream: u, done: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}, Timeout: time.Minute}}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		close(p.done)
		srv.CloseClientConnections()
		srv.Close()
	})
	return p
}

func (p *faultProxy) inject(f fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// requests lists "OP -> outcome" for every request seen.
func (p *faultProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

func (p *faultProxy) count(op string) int {
	n := 0
	for _, l := range p.requests() {
		if strings.HasPrefix(l, op+" ") {
			n++
		}
	}
	return n
}

// operation names the AWS operation of a request: the X-Amz-Target of the
// JSON protocols, else the S3 REST call.
func operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodHead && len(segs) == 1:
		return "HeadBucket"
	case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		return "ListObjectsV2"
	case r.Method == http.MethodGet && len(segs) > 1:
		return "GetObject"
	case r.Method == http.MethodPost && r.URL.Path == "/listRegions":
		return "ListRegions"
	}
	return r.Method + " " + r.URL.Path
}

func (p *faultProxy) pick(op string) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if (f.op == "" || f.op == op) && (f.times == 0 || f.hits < f.times) {
			f.hits++
			return f
		}
	}
	return nil
}

func (p *faultProxy) note(op, outcome string) {
	p.mu.Lock()
	p.log = append(p.log, op+" -> "+outcome)
	p.mu.Unlock()
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := operation(r)
	reqBody, _ := io.ReadAll(r.Body)
	f := p.pick(op)
	if f != nil {
		switch f.kind {
		case dropBeforeResponse:
			p.note(op, "dropped")
			hijackClose(w)
			return
		case answer:
			p.note(op, strconv.Itoa(f.status))
			for k, v := range f.header {
				w.Header().Set(k, v)
			}
			setCRC(w.Header(), r, []byte(f.body))
			w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
			w.WriteHeader(f.status)
			io.WriteString(w, f.body)
			return
		case hang:
			p.note(op, "hung")
			select {
			case <-r.Context().Done():
			case <-p.done:
			}
			return
		}
	}
	p.mu.Lock()
	serve := p.serve
	p.mu.Unlock()
	if serve != nil {
		if status, body, ok := serve(op, r); ok {
			p.note(op, "served "+strconv.Itoa(status))
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			w.Write(body)
			return
		}
	}
	status, header, body, err := p.forward(r, reqBody)
	if err != nil {
		p.note(op, "upstream error: "+err.Error())
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	rewrite := p.rewrite
	p.mu.Unlock()
	if rewrite != nil {
		r.Body = io.NopCloser(bytes.NewReader(reqBody)) // the rewrite may read the request
		body = rewrite(op, r, status, body)
	}
	setCRC(header, r, body)
	if f != nil && (f.kind == dropMidBody || f.kind == stallMidBody) {
		conn, bw := hijack(w)
		if conn == nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
		header.Del("Transfer-Encoding")
		header.Set("Content-Length", strconv.Itoa(len(body)))
		header.Write(bw)
		bw.WriteString("\r\n")
		bw.Write(body[:len(body)/2])
		bw.Flush()
		if f.kind == dropMidBody {
			p.note(op, "dropped mid-body")
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset, as when the server dies
			}
			return
		}
		p.note(op, "stalled mid-body")
		select {
		case <-p.done:
		case <-time.After(2 * time.Minute):
		}
		return
	}
	p.note(op, strconv.Itoa(status))
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// forward sends the request upstream with its Host header unchanged (it is
// part of the SigV4 signature) and returns the whole response.
func (p *faultProxy) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	u := *p.upstream
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	out.Header = r.Header.Clone()
	out.Host = r.Host
	out.ContentLength = int64(len(body))
	resp, err := p.client.Do(out)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	h := resp.Header.Clone()
	h.Del("Content-Length")
	return resp.StatusCode, h, b, nil
}

func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil
	}
	conn, bw, err := hj.Hijack()
	if err != nil {
		return nil, nil
	}
	return conn, bw
}

func hijackClose(w http.ResponseWriter) {
	conn, _ := hijack(w)
	if conn == nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// setCRC sets DynamoDB's X-Amz-Crc32 for the body served, as DynamoDB
// does: the SDK checks it.
func setCRC(h http.Header, r *http.Request, body []byte) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_") {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
}
