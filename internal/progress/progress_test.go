package progress

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

// buffer is an io.Writer safe for the Step goroutine and the test.
type buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestSilentUnlessOn(t *testing.T) {
	var out buffer
	for _, r := range []*Reporter{nil, {}, New(&out, false), New(nil, true)} {
		r.Step("building")(nil)
		rc := r.TrackProgress("x", 0, 10, io.NopCloser(strings.NewReader("0123456789")))
		io.ReadAll(rc)
		rc.Close()
	}
	if out.String() != "" {
		t.Fatalf("a silent reporter wrote %q", out.String())
	}
}

func TestStep(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{{nil, "building musl ... done ("}, {errors.New("x"), "building musl ... failed ("}} {
		var out buffer
		New(&out, true).Step("building musl")(tt.err)
		got := out.String()
		if !strings.HasPrefix(got, "\r\033[Kbuilding musl ... 0s") || !strings.Contains(got, tt.want) || !strings.HasSuffix(got, "s)\n") {
			t.Errorf("err %v: drew %q, want the clock then %q", tt.err, got, tt.want)
		}
	}
}

func TestTrackProgress(t *testing.T) {
	var out buffer
	rc := New(&out, true).TrackProgress("musl.tar.gz", 0, 2_000_000, io.NopCloser(strings.NewReader(strings.Repeat("x", 1_000_000))))
	if b, err := io.ReadAll(rc); err != nil || len(b) != 1_000_000 {
		t.Fatalf("read %d bytes, %v: the counter must pass the stream through", len(b), err)
	}
	rc.Close()
	got := out.String()
	if !strings.Contains(got, "fetching musl.tar.gz: 1.0/2.0 MB (50%)") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("drew %q", got)
	}
	if s := size(1_500_000, 0); s != "1.5 MB" {
		t.Errorf("size without a total = %q", s)
	}
}
