// Package imagetest has what tests of images need: a static test program
// built for any GOARCH, and the pinned module zips images take CA roots and
// zone data from (fetched through GOPROXY by mcc's own fetcher when no
// mirror has them).
package imagetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
)

// HelloSource is the program the tests put in images. It prints what the
// image must give it: its uid/gid, the CA bundle, time zones, a writable /tmp.
const HelloSource = `package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

func main() {
	pool, err := x509.SystemCertPool()
	certs := err == nil && !pool.Equal(x509.NewCertPool())
	_, tzErr := time.LoadLocation("Europe/Berlin")
	f, tmpErr := os.CreateTemp("", "probe")
	if tmpErr == nil {
		f.Close()
		os.Remove(f.Name())
	}
	fmt.Printf("hello from mcc image: uid=%d gid=%d certs=%v tz=%v tmp=%v\n",
		os.Getuid(), os.Getgid(), certs, tzErr == nil, tmpErr == nil)
}
`

// HelloWant is what HelloSource prints inside an image with CA certs and
// tzdata, run as the nonroot user.
const HelloWant = "hello from mcc image: uid=65532 gid=65532 certs=true tz=true tmp=true"

// ServerSource is a small net/http server: built with -s -w it is a
// realistic ~6 MB static binary for size and speed benchmarks.
const ServerSource = `package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"hello": r.URL.Path})
	})
	if len(os.Args) > 1 {
		fmt.Println(http.ListenAndServe(os.Args[1], nil))
	}
	fmt.Println("server")
}
`

// BuildHello writes HelloSource into dir/src and builds it static for
// goarch with -trimpath, so the same source gives the same bytes from any
// directory. It returns the binary's path, dir/hello.
func BuildHello(t testing.TB, dir, goarch string) string {
	t.Helper()
	return BuildGo(t, dir, goarch, "hello", HelloSource)
}

// BuildGo builds one-file program src as dir/name, static for goarch, with
// -trimpath; extra go build flags may follow.
func BuildGo(t testing.TB, dir, goarch, name, src string, flags ...string) string {
	t.Helper()
	srcDir := filepath.Join(dir, "src-"+name)
	if err := os.MkdirAll(srcDir, 0o755); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, filepath.Join(srcDir, "go.mod"), "module mcc.test/"+name+"\n\ngo 1.22\n")
	WriteFile(t, filepath.Join(srcDir, "main.go"), src)
	out := filepath.Join(dir, name)
	args := append([]string{"build", "-trimpath", "-buildvcs=false", "-o", out}, flags...)
	cmd := exec.Command(GoTool(t), append(args, ".")...)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s for %s: %v\n%s", name, goarch, err, b)
	}
	return out
}

// GoTool is the go command on PATH: 'go test' puts its own GOROOT/bin
// first there, so tests build with the Go that runs them.
func GoTool(t testing.TB) string {
	t.Helper()
	return testenv.Tool(t, "go")
}

// WriteFile writes s to p (mode 0644), creating p's directory.
func WriteFile(t testing.TB, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	inputsOnce sync.Once
	inputs     map[string]string
	inputsErr  error
)

// PinnedInputs returns the pinned ca-roots and zoneinfo module zips. It
// looks in $MCC_TEST_SOURCES (what 'mcc mirror fill' writes, by pin file
// name), then fetches them with mcc's fetcher into a test store
// ($MCC_TEST_STORE, else the user cache) from the pins' own locations
// (GOPROXY). With -short nothing is downloaded: a store that lacks them
// skips the test. In CI a missing one fails it.
func PinnedInputs(t testing.TB) (caRoots, zoneinfo string) {
	t.Helper()
	pins := []sysroots.Pin{mustLookup("ca-roots"), mustLookup("zoneinfo")}
	if d := os.Getenv("MCC_TEST_SOURCES"); d != "" {
		c, z := filepath.Join(d, pins[0].File), filepath.Join(d, pins[1].File)
		if exists(c) && exists(z) {
			return c, z
		}
	}
	inputsOnce.Do(func() { inputs, inputsErr = fetchPins(pins, testing.Short()) })
	if inputsErr != nil {
		testenv.Require(t, inputsErr.Error(), false)
	}
	return inputs[pins[0].Name], inputs[pins[1].Name]
}

func fetchPins(pins []sysroots.Pin, offline bool) (map[string]string, error) {
	dir := os.Getenv("MCC_TEST_STORE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "mcc-test", "store")
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	f := &fetch.Fetcher{Store: st, Offline: offline}
	out := map[string]string{}
	for _, p := range pins {
		r, err := f.Fetch(context.Background(), p)
		if err != nil {
			if offline {
				return nil, fmt.Errorf("pin %s not in the test store %s and -short fetches nothing: run once without -short, or set MCC_TEST_SOURCES", p.Name, dir)
			}
			return nil, err
		}
		out[p.Name] = r.Path
	}
	return out, nil
}

func mustLookup(name string) sysroots.Pin {
	p, err := sysroots.Lookup(name)
	if err != nil {
		panic(err)
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
