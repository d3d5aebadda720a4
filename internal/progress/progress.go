// Package progress shows progress for long steps (downloads, toolchain
// builds) on a terminal, and nothing at all otherwise, so CI logs and --json
// output stay clean.
//
// The drawing is github.com/schollz/progressbar/v3. This package remains
// as the one place that decides whether anything is drawn (a Reporter that
// is off writes nothing and starts no goroutine) and that fits the bar to
// mcc's two uses: a step with a spinner and a running clock that ends in a
// one-line verdict (Step), and go-getter's download tracker
// (TrackProgress), so the fetch, toolchains and mkbundle packages never
// see the library.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Reporter writes progress to a terminal; the zero value and a Reporter made
// with on=false are silent.
type Reporter struct {
	w  io.Writer
	on bool
	mu sync.Mutex // one bar at a time on the one line
}

// New returns a Reporter that draws on w only if on is true.
func New(w io.Writer, on bool) *Reporter { return &Reporter{w: w, on: on} }

func (r *Reporter) enabled() bool { return r != nil && r.on && r.w != nil }

// writer serializes the bars' writes with the verdict lines.
type writer struct{ r *Reporter }

func (w writer) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.w.Write(p)
}

// Step shows msg with a spinner and a running clock until the returned
// func is called, then one line "msg ... done (1.2s)" or "... failed".
func (r *Reporter) Step(msg string) (done func(err error)) {
	if !r.enabled() {
		return func(error) {}
	}
	start := time.Now()
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(writer{r}),
		progressbar.OptionSetDescription(msg),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(time.Second),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish())
	return func(err error) {
		bar.Finish() // clears the line and stops the spinner's ticker
		verdict := "done"
		if err != nil {
			verdict = "failed"
		}
		fmt.Fprintf(writer{r}, "%s ... %s (%.1fs)\n", msg, verdict, time.Since(start).Seconds())
	}
}

// TrackProgress implements go-getter's ProgressTracker: a byte bar for the
// download of src (a spinner with a byte count when total is unknown),
// redrawn at most ten times a second and cleared when the stream closes.
func (r *Reporter) TrackProgress(src string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	if !r.enabled() {
		return stream
	}
	max := total
	if max <= 0 {
		max = -1
	}
	bar := progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(writer{r}),
		progressbar.OptionSetDescription("fetching "+src),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
	bar.Set64(current)
	return &tracked{ReadCloser: stream, bar: bar}
}

type tracked struct {
	io.ReadCloser
	bar *progressbar.ProgressBar
}

func (t *tracked) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.bar.Add(n)
	return n, err
}

func (t *tracked) Close() error {
	t.bar.Finish()
	t.bar.Clear()
	return t.ReadCloser.Close()
}
