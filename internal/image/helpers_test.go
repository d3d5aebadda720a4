package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
)

// helloSource is the program the tests put in images. It prints what the
// image must give it: its uid/gid, the CA bundle, time zones, a writable /tmp.
const helloSource = `package main

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

// helloWant is what helloSource prints inside an image with CA certs and
// tzdata, run as the nonroot user.
const helloWant = "hello from mcc image: uid=65532 gid=65532 certs=true tz=true tmp=true"

// buildHello writes helloSource into dir/src and builds it static for
// goarch with -trimpath, so the same source gives the same bytes from any
// directory. It returns the binary's path, dir/hello.
func buildHello(t testing.TB, dir, goarch string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(src, "go.mod"), "module mcc.test/hello\n\ngo 1.22\n")
	write(t, filepath.Join(src, "main.go"), helloSource)
	out := filepath.Join(dir, "hello")
	cmd := exec.Command(goTool(), "build", "-trimpath", "-buildvcs=false", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOWORK=off", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build hello for %s: %v\n%s", goarch, err, b)
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
	debsOnce sync.Once
	debsDir  string
	debsErr  string
)

// pinnedDebs returns the pinned ca-certificates and tzdata packages. It
// looks at $MCC_CA_DEB/$MCC_TZDATA_DEB, then $MCC_TEST_SOURCES (make mirror),
// then a test cache that `apt-get download` fills; in CI a missing one fails.
func pinnedDebs(t testing.TB) (ca, tz string) {
	t.Helper()
	ca, tz = os.Getenv("MCC_CA_DEB"), os.Getenv("MCC_TZDATA_DEB")
	if ca != "" && tz != "" {
		return ca, tz
	}
	if d := os.Getenv("MCC_TEST_SOURCES"); d != "" {
		c, z := filepath.Join(d, CACertsPin.File), filepath.Join(d, TzdataPin.File)
		if exists(c) && exists(z) {
			return c, z
		}
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
		for _, p := range []sysroots.Pin{CACertsPin, TzdataPin} {
			if exists(filepath.Join(debsDir, p.File)) {
				continue
			}
			d := parseDebName(p.File)
			cmd := exec.Command("apt-get", "download", d.Name+"="+d.Version)
			cmd.Dir = debsDir
			if b, err := cmd.CombinedOutput(); err != nil {
				debsErr = "apt-get download " + d.Name + "=" + d.Version + ": " + err.Error() + ": " + string(b)
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
	return filepath.Join(debsDir, CACertsPin.File), filepath.Join(debsDir, TzdataPin.File)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// tool is testenv.Tool: the path of a program, or skip (fail in CI).
func tool(t testing.TB, name string) string {
	t.Helper()
	return testenv.Tool(t, name)
}
