package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Timeouts bound every network wait, so a peer that accepts and never
// answers ends in an error instead of a hang.
type Timeouts struct {
	Connect time.Duration // TCP connect (and TLS handshake)
	Header  time.Duration // request sent to response headers received
	Idle    time.Duration // longest gap between two reads of the body
}

// DefaultTimeouts are 30 s each, or $MCC_NET_TIMEOUT seconds.
func DefaultTimeouts() Timeouts {
	d := 30 * time.Second
	if s, err := strconv.ParseFloat(os.Getenv("MCC_NET_TIMEOUT"), 64); err == nil && s > 0 {
		d = time.Duration(s * float64(time.Second))
	}
	return Timeouts{Connect: d, Header: d, Idle: d}
}

func (f *Fetcher) timeouts() Timeouts {
	t, def := f.Timeouts, DefaultTimeouts()
	if t.Connect == 0 {
		t.Connect = def.Connect
	}
	if t.Header == 0 {
		t.Header = def.Header
	}
	if t.Idle == 0 {
		t.Idle = def.Idle
	}
	return t
}

func (t Timeouts) client() *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: t.Connect}).DialContext,
		TLSHandshakeTimeout:   t.Connect,
		ResponseHeaderTimeout: t.Header,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: &idleTransport{base: tr, idle: t.Idle}}
}

// idleTransport cancels a request whose body stops arriving for longer
// than idle, and says so in the error.
type idleTransport struct {
	base http.RoundTripper
	idle time.Duration
}

func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	b := &idleBody{rc: resp.Body, cancel: cancel, idle: t.idle}
	b.timer = time.AfterFunc(t.idle, b.expire)
	resp.Body = b
	return resp, nil
}

type idleBody struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	idle    time.Duration
	timer   *time.Timer
	expired atomic.Bool
}

func (b *idleBody) expire() { b.expired.Store(true); b.cancel() }

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && b.expired.Load() {
		return n, &idleTimeout{b.idle}
	}
	b.timer.Reset(b.idle)
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	b.cancel()
	return b.rc.Close()
}

type idleTimeout struct{ d time.Duration }

func (e *idleTimeout) Error() string { return fmt.Sprintf("no data for %s (idle timeout)", e.d) }

var statusRE = regexp.MustCompile(`bad response code: (\d+)`)

// describe says in a few words why a download failed; the causes a user
// acts on differently get different words.
func describe(err error, t Timeouts) string {
	var it *idleTimeout
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, errNotFound) || errors.Is(err, os.ErrNotExist):
		return "not found"
	case errors.As(err, &it):
		return it.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns):
		return "host " + dns.Name + " not found (DNS)"
	case errors.As(err, &op) && op.Op == "dial" && op.Timeout():
		return fmt.Sprintf("no connection within %s (connect timeout)", t.Connect)
	case isTimeout(err):
		return fmt.Sprintf("no response headers within %s (header timeout)", t.Header)
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	if m := statusRE.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		switch {
		case code == http.StatusNotFound || code == http.StatusGone:
			return fmt.Sprintf("not found (HTTP %d)", code)
		case code >= 500:
			return fmt.Sprintf("server error (HTTP %d)", code)
		}
		return fmt.Sprintf("refused (HTTP %d)", code)
	}
	first, _, _ := strings.Cut(err.Error(), "\n") // a status, not the whole story
	return badinput.OneLine(first)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// fatal returns the error that must end the whole search: the user
// interrupted, or the disk is full (every later source would fail the same
// way, and "not found" would be a lie).
func fatal(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("disk full while downloading into the store: free some space (or pass --cache DIR on a larger disk) and retry")
	}
	if errors.Is(err, syscall.EROFS) {
		return badinput.Errorf("cannot write the download into the store: %v: pass --cache DIR that you can write", badinput.OneLine(err.Error()))
	}
	return nil
}
