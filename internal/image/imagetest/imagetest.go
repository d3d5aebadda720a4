// Package imagetest has what tests of images need: a static test program
// built for any GOARCH, and the pinned Debian packages (fetched with
// apt-get download when no mirror has them).
package imagetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

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
	write(t, filepath.Join(srcDir, "go.mod"), "module mcc.test/"+name+"\n\ngo 1.22\n")
	write(t, filepath.Join(srcDir, "main.go"), src)
	out := filepath.Join(dir, name)
	args := append([]string{"build", "-trimpath", "-buildvcs=false", "-o", out}, flags...)
	cmd := exec.Command(goTool(), append(args, ".")...)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s for %s: %v\n%s", name, goarch, err, b)
	}
	return out
}

func goTool() string {
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func write(t testing.TB, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	caPin = mustLookup("ca-roots")
	tzPin = mustLookup("zoneinfo")
)

func mustLookup(name string) sysroots.Pin {
	p, err := sysroots.Lookup(name)
	if err != nil {
		panic(err)
	}
	return p
}

// aptSpec is NAME=VERSION from a pinned NAME_VERSION_ARCH.deb.
func aptSpec(p sysroots.Pin) string {
	parts := strings.SplitN(strings.TrimSuffix(p.File, ".deb"), "_", 3)
	return parts[0] + "=" + parts[1]
}

var (
	debsOnce sync.Once
	debsDir  string
	debsErr  string
)

// PinnedDebs returns the pinned ca-certificates and tzdata packages. It
// looks at $MCC_CA_DEB/$MCC_TZDATA_DEB, then $MCC_TEST_SOURCES (make mirror),
// then a test cache that `apt-get download` fills; in CI a missing one fails.
func PinnedDebs(t testing.TB) (ca, tz string) {
	t.Helper()
	ca, tz = os.Getenv("MCC_CA_DEB"), os.Getenv("MCC_TZDATA_DEB")
	if ca != "" && tz != "" {
		return ca, tz
	}
	if d := os.Getenv("MCC_TEST_SOURCES"); d != "" {
		c, z := filepath.Join(d, caPin.File), filepath.Join(d, tzPin.File)
		if exists(c) && exists(z) {
			return c, z
		}
	}
	if testing.Short() {
		// -short runs no network: use the cache only.
		if base, err := os.UserCacheDir(); err == nil {
			c, z := filepath.Join(base, "mcc-test", "debs", caPin.File), filepath.Join(base, "mcc-test", "debs", tzPin.File)
			if exists(c) && exists(z) {
				return c, z
			}
		}
		t.Skip("pinned .deb files not cached and -short: run without -short once, or set MCC_CA_DEB and MCC_TZDATA_DEB")
	}
	debsOnce.Do(func() {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		debsDir = filepath.Join(base, "mcc-test", "debs")
		if err := os.MkdirAll(debsDir, 0o755); err != nil {
			debsErr = err.Error()
			return
		}
		for _, p := range []sysroots.Pin{caPin, tzPin} {
			if exists(filepath.Join(debsDir, p.File)) {
				continue
			}
			cmd := exec.Command("apt-get", "download", aptSpec(p))
			cmd.Dir = debsDir
			if b, err := cmd.CombinedOutput(); err != nil {
				debsErr = "apt-get download " + aptSpec(p) + ": " + err.Error() + ": " + string(b)
				return
			}
		}
	})
	if debsErr != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(debsErr)
		}
		t.Skip(debsErr)
	}
	return filepath.Join(debsDir, caPin.File), filepath.Join(debsDir, tzPin.File)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
