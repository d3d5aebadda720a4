// Package progress draws progress for long steps (downloads, toolchain
// builds) on a terminal, and nothing at all otherwise, so CI logs and --json
// output stay clean.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Reporter writes progress to a terminal; the zero value and a Reporter made
// with on=false are silent.
type Reporter struct {
	w  io.Writer
	on bool
	mu sync.Mutex
}

// New returns a Reporter that draws on w only if on is true.
func New(w io.Writer, on bool) *Reporter { return &Reporter{w: w, on: on} }

func (r *Reporter) enabled() bool { return r != nil && r.on && r.w != nil }

// Step shows msg with a running clock until the returned func is called.
func (r *Reporter) Step(msg string) (done func(err error)) {
	if !r.enabled() {
		return func(error) {}
	}
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			r.line(fmt.Sprintf("%s ... %ds", msg, int(time.Since(start).Seconds())))
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func(err error) {
		close(stop)
		wg.Wait()
		verdict := "done"
		if err != nil {
			verdict = "failed"
		}
		r.line(fmt.Sprintf("%s ... %s (%.1fs)\n", msg, verdict, time.Since(start).Seconds()))
	}
}

func (r *Reporter) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "\r\033[K%s", s)
}

// TrackProgress implements go-getter's ProgressTracker: it counts bytes as
// they stream and redraws a byte counter at most ten times a second.
func (r *Reporter) TrackProgress(src string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	if !r.enabled() {
		return stream
	}
	return &counter{ReadCloser: stream, r: r, src: src, n: current, total: total}
}

type counter struct {
	io.ReadCloser
	r        *Reporter
	src      string
	n, total int64
	last     time.Time
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	if time.Since(c.last) > 100*time.Millisecond || err != nil {
		c.last = time.Now()
		c.r.line(fmt.Sprintf("fetching %s: %s", c.src, size(c.n, c.total)))
	}
	return n, err
}

func (c *counter) Close() error {
	c.r.line("")
	return c.ReadCloser.Close()
}

func size(n, total int64) string {
	if total > 0 {
		return fmt.Sprintf("%.1f/%.1f MB (%d%%)", float64(n)/1e6, float64(total)/1e6, n*100/total)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
