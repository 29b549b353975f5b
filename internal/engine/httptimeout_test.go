package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/errgroup"
)

// A server that never answers, or stops in the middle of a body, must not
// hang a check: the SDK's HTTP client gets the timeouts.
func TestAWSClientTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(strings.Repeat("x", 500)))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	env := &Env{Timeout: 200 * time.Millisecond, LoadAWS: func(context.Context, string) (aws.Config, error) { return aws.Config{}, nil }}
	cfg, err := env.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.HTTPClient

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/hang", nil)
	start := time.Now()
	if _, err := c.Do(req); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no response headers: err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the header timeout fired after %v", d)
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/stall", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	var se *stallError
	if len(b) != 500 || !errors.As(err, &se) || !strings.Contains(err.Error(), "sent nothing for 200ms") {
		t.Errorf("a stalled body: %d bytes, err = %v; want 500 bytes and a stall error", len(b), err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the stall timeout fired after %v", d)
	}
}

// 64 requests at once, three times over: the client keeps the connections
// of the first round for the next ones (the SDK's own keeps 10 idle, and
// would open 54 new ones every round).
func TestAWSClientKeepsConnections(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	env := &Env{LoadAWS: func(context.Context, string) (aws.Config, error) { return aws.Config{}, nil }}
	cfg, err := env.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	for round := range 3 {
		var g errgroup.Group
		for range n {
			g.Go(func() error {
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				resp, err := cfg.HTTPClient.Do(req)
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return err
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := opened.Load(); got > n {
			t.Fatalf("after round %d of %d requests at once, %d connections opened, want at most %d", round+1, n, got, n)
		}
	}
}
