package progress

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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
		if !strings.Contains(got, "building musl  [0s]") || !strings.Contains(got, "\r"+tt.want) || !strings.HasSuffix(got, "s)\n") {
			t.Errorf("err %v: drew %q, want the clock then %q", tt.err, got, tt.want)
		}
	}
}

func TestTrackProgress(t *testing.T) {
	for _, tt := range []struct {
		total int64
		want  string
	}{{2_000_000, `\rfetching musl\.tar\.gz +[1-9]\d% \|█+ +\| \(\d`}, {0, `\r[|/\\-] fetching musl\.tar\.gz \(`}} {
		var out buffer
		rc := New(&out, true).TrackProgress("musl.tar.gz", 0, tt.total, io.NopCloser(&slow{strings.NewReader(strings.Repeat("x", 1_000_000))}))
		if n, err := readAll(rc); err != nil || n != 1_000_000 {
			t.Fatalf("read %d bytes, %v: the tracker must pass the stream through", n, err)
		}
		rc.Close()
		got := out.String()
		if !regexp.MustCompile(tt.want).MatchString(got) || !strings.HasSuffix(got, "\r") {
			t.Errorf("total %d: drew %q, want %q and a cleared line", tt.total, got, tt.want)
		}
	}
}

// slow yields 100 kB every 30 ms, so the throttled bar draws between reads.
type slow struct{ r io.Reader }

func (s *slow) Read(p []byte) (int, error) {
	time.Sleep(30 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 100_000)])
}

// readAll reads r in 100 kB chunks (io.ReadAll and io.Discard read 512
// bytes or 8 kB at a time, which slow turns into seconds).
func readAll(r io.Reader) (int, error) {
	buf := make([]byte, 100_000)
	total := 0
	for {
		n, err := r.Read(buf)
		total += n
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
