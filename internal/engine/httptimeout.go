package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// DefaultAWSTimeout is how long an AWS request may wait for the response's
// headers, or for more bytes of its body, before it fails (and is retried
// by the SDK where that is right). Without it a server that stops answering
// would hang the check for ever.
const DefaultAWSTimeout = time.Minute

// idleConnsPerHost is how many idle connections to one host the client
// keeps for reuse, at least: more than the S3 source's downloads,
// decodings and listings at once (cloudtrail.DefaultS3Prefetch and 2 per
// CPU), so that reading thousands of small log files does not open a
// connection (and make a TLS handshake) for most of them. The SDK keeps 10.
const idleConnsPerHost = 128

// withTimeouts returns the SDK's HTTP client with the timeouts set: a
// connection must open within min(d, 10s), the response's headers arrive
// within d, and its body never stall longer than d. Up to idle connections
// per host stay open for reuse. A client the SDK built (also with
// AWS_CA_BUNDLE) keeps its other settings.
func withTimeouts(c aws.HTTPClient, d time.Duration, idle int) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if bc, ok := c.(*awshttp.BuildableClient); ok {
		c = bc.WithDialerOptions(func(dl *net.Dialer) {
			dl.Timeout = min(d, 10*time.Second)
		}).WithTransportOptions(func(tr *http.Transport) {
			tr.ResponseHeaderTimeout = d
			tr.TLSHandshakeTimeout = min(d, 10*time.Second)
			tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, idle)
			tr.MaxIdleConns = max(tr.MaxIdleConns, 2*idle)
		})
	}
	return &idleTimeoutClient{next: c, idle: d}
}

// idleTimeoutClient fails a response body that sends nothing for idle.
type idleTimeoutClient struct {
	next aws.HTTPClient
	idle time.Duration
}

func (c *idleTimeoutClient) Do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	resp, err := c.next.Do(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		return resp, err
	}
	b := &idleBody{rc: resp.Body, idle: c.idle, ctx: ctx, cancel: cancel}
	b.timer = time.AfterFunc(c.idle, func() { cancel(&stallError{idle: c.idle, host: req.URL.Host}) })
	resp.Body = b
	return resp, nil
}

// stallError is a response body that stopped sending.
type stallError struct {
	idle time.Duration
	host string
}

func (e *stallError) Error() string {
	return fmt.Sprintf("%s sent nothing for %v in the middle of a response (--aws-timeout)", e.host, e.idle)
}
func (e *stallError) Timeout() bool   { return true }
func (e *stallError) Temporary() bool { return true }

type idleBody struct {
	rc     io.ReadCloser
	idle   time.Duration
	ctx    context.Context
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	timer  *time.Timer
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		b.timer.Reset(b.idle)
		b.mu.Unlock()
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); cause != nil {
			if se, ok := cause.(*stallError); ok {
				return n, se
			}
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.mu.Lock()
	b.timer.Stop()
	b.mu.Unlock()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
