package engine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
