package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestDescribe(t *testing.T) {
	to := Timeouts{Connect: time.Second, Header: 2 * time.Second, Idle: 3 * time.Second}
	wrap := func(err error) error { return fmt.Errorf("GET http://h/x: %w", err) }
	tests := []struct {
		err  error
		want string
	}{
		{errNotFound, "not found"},
		{wrap(os.ErrNotExist), "not found"},
		{wrap(&idleTimeout{3 * time.Second}), "no data for 3s (idle timeout)"},
		{wrap(syscall.ECONNREFUSED), "connection refused"},
		{wrap(&net.DNSError{Name: "mirror.invalid", Err: "no such host"}), "host mirror.invalid not found (DNS)"},
		{wrap(&net.OpError{Op: "dial", Err: timeoutErr{}}), "no connection within 1s (connect timeout)"},
		{wrap(&net.OpError{Op: "read", Err: timeoutErr{}}), "no response headers within 2s (header timeout)"},
		{wrap(context.DeadlineExceeded), "no response headers within 2s (header timeout)"},
		{wrap(syscall.ECONNRESET), "connection reset"},
		{errors.New("bad response code: 404"), "not found (HTTP 404)"},
		{errors.New("bad response code: 410"), "not found (HTTP 410)"},
		{errors.New("bad response code: 503"), "server error (HTTP 503)"},
		{errors.New("bad response code: 403"), "refused (HTTP 403)"},
		{errors.New("tls: bad certificate\nmore detail"), "tls: bad certificate"},
	}
	for _, tt := range tests {
		if got := describe(tt.err, to); got != tt.want {
			t.Errorf("describe(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestFatal(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		err     error
		want    string // "" = not fatal: try the next source
		wantBad bool
	}{
		{"not found", live, errNotFound, "", false},
		{"interrupted", done, errNotFound, "context canceled", false},
		{"disk full", live, &os.PathError{Op: "write", Path: "/s/tmp/x", Err: syscall.ENOSPC}, "disk full", false},
		{"quota", live, fmt.Errorf("copy: %w", syscall.EDQUOT), "disk full", false},
		{"read-only store", live, &os.PathError{Op: "open", Path: "/s/tmp/x", Err: syscall.EROFS}, "pass --cache DIR that you can write", true},
	}
	for _, tt := range tests {
		err := fatal(tt.ctx, tt.err)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: fatal = %v, want nil", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || badinput.Is(err) != tt.wantBad {
			t.Errorf("%s: fatal = %v, want %q (bad input %v)", tt.name, err, tt.want, tt.wantBad)
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Setenv("MCC_NET_TIMEOUT", "")
	if got := DefaultTimeouts(); got != (Timeouts{30 * time.Second, 30 * time.Second, 30 * time.Second}) {
		t.Errorf("default %+v", got)
	}
	t.Setenv("MCC_NET_TIMEOUT", "0.5")
	f := &Fetcher{Timeouts: Timeouts{Header: time.Second}}
	if got := f.timeouts(); got != (Timeouts{500 * time.Millisecond, time.Second, 500 * time.Millisecond}) {
		t.Errorf("MCC_NET_TIMEOUT=0.5 and Header 1s: %+v", got)
	}
	t.Setenv("MCC_NET_TIMEOUT", "-3")
	if got := DefaultTimeouts(); got.Connect != 30*time.Second {
		t.Errorf("a negative MCC_NET_TIMEOUT must be ignored: %+v", got)
	}
}

func TestMirrorURL(t *testing.T) {
	wd, _ := os.Getwd()
	for _, tt := range []struct{ in, want string }{
		{"/srv/mirror", "file:///srv/mirror"},
		{"rel/dir", "file://" + wd + "/rel/dir"},
		{"http://127.0.0.1:8080/m", "http://127.0.0.1:8080/m"},
		{"file:///already", "file:///already"},
	} {
		if got := MirrorURL(tt.in); got != tt.want {
			t.Errorf("MirrorURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolverFromEnv(t *testing.T) {
	t.Setenv("MCC_DEBIAN_ARCHIVE", "http://a.invalid/debian/, http://b.invalid/debian")
	t.Setenv("GOPROXY", "http://p.invalid/,direct")
	locs := (&Resolver{}).Resolve([]string{"debian:pool/x.deb", "gomod:example.com/M@v1.0.0", "gomod:bad path@v1", "ftp://x"})
	want := []string{"http://a.invalid/debian/pool/x.deb http://b.invalid/debian/pool/x.deb", "http://p.invalid/example.com/!m/@v/v1.0.0.zip", "", ""}
	for i, l := range locs {
		if strings.Join(l.URLs, " ") != want[i] || (l.Err != nil) != (want[i] == "") {
			t.Errorf("%s: %q, %v; want %q", l.Raw, l.URLs, l.Err, want[i])
		}
	}
}
