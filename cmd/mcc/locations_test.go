package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
	"github.com/mcc-build/mcc/toolchains"
)

// pinServer is a loopback server laid out like the places the pins name:
// a Debian archive under /debian and a Go module proxy under /proxy, each
// path holding the real pinned file from the test sources. Nothing else
// (no store, no mirror) is given to mcc: it must fetch by itself.
type pinServer struct {
	*httptest.Server
	files   map[string]string // URL path -> file
	tamper  string            // URL path served with one byte flipped
	silent  bool              // accept, never answer
	release chan struct{}
}

func newPinServer(t *testing.T) *pinServer {
	t.Helper()
	src := testenv.Sources(t)
	s := &pinServer{files: map[string]string{}, release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { close(s.release); s.Server.Close() })
	r := s.resolver()
	for _, p := range sysroots.All() {
		s.add(t, r.Resolve(p.Locations), filepath.Join(src, p.File))
		if p.Signature != nil {
			s.add(t, r.Resolve(p.Signature.Locations), filepath.Join(src, p.Signature.File))
		}
	}
	return s
}

func (s *pinServer) resolver() *fetch.Resolver {
	return &fetch.Resolver{DebianArchives: []string{s.URL + "/debian"}, GoProxies: []string{s.URL + "/proxy"}}
}

func (s *pinServer) add(t *testing.T, locs []fetch.Location, file string) {
	for _, l := range locs {
		for _, raw := range l.URLs {
			if u, _ := url.Parse(raw); strings.HasPrefix(raw, s.URL) {
				s.files[u.Path] = file
			}
		}
	}
}

func (s *pinServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.silent {
		<-s.release
		return
	}
	f, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Path != s.tamper {
		http.ServeFile(w, r, f) // streamed: the Mono tarball is 117 MB
		return
	}
	b, err := os.ReadFile(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b[len(b)/2] ^= 1
	w.Write(b)
}

// freshEnv is a new user's machine: empty HOME, store and local mirror;
// the Debian archive and the module proxy are the loopback server; an
// HTTPS proxy that refuses keeps real upstream hosts out of the test.
func freshEnv(t *testing.T, s *pinServer) (env []string, store string) {
	home := t.TempDir()
	store = filepath.Join(home, "store")
	// The Go build cache is the go command's, not mcc's: sharing it keeps
	// the test about what mcc fetches, not about recompiling the stdlib.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	env = append(os.Environ(), "GOCACHE="+strings.TrimSpace(string(gocache)),
		"HOME="+home, "XDG_CACHE_HOME=", "XDG_DATA_HOME=", "MCC_MIRROR=", "MCC_OFFLINE=",
		"MCC_CACHE="+store, "MCC_MIRROR_DIR="+filepath.Join(home, "mirror"),
		"MCC_DEBIAN_ARCHIVE="+s.URL+"/debian", "GOPROXY="+s.URL+"/proxy",
		"HTTPS_PROXY="+refusingAddr(t))
	return env, store
}

func refusingAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

func mccIn(t *testing.T, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(mccBinary(t), args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestFreshMachineFetchesEverything: from an empty store and mirror, mcc
// fetches every pin it needs from the loopback locations alone: it builds
// the amd64 toolchain, a cgo program and an image with zone data and CA
// roots, and fetches the Mono runtime's inputs. The runtime build itself is
// the same code from the same store blobs as in every other test, so it is
// not repeated here (it is the slowest build in the suite).
func TestFreshMachineFetchesEverything(t *testing.T) {
	s := newPinServer(t)
	env, store := freshEnv(t, s)
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "go.mod"), []byte("module hello\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(work, "hello.go"), []byte("package main\nimport \"C\"\nfunc main() { println(\"hi\") }\n"), 0o644)
	for _, args := range [][]string{
		{"--target", "linux/amd64", "toolchain", "install"},
		{"go", "build", "-o", "hello", "."},
		{"image", "-o", "img.tar", "--tzdata", "hello"},
		{"pins", "fetch", toolchains.MonoSourcePin, "kernel-headers-amd64"},
	} {
		start := time.Now()
		if out, err := mccIn(t, env, work, args...); err != nil {
			t.Fatalf("mcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("mcc %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	}
	for _, f := range []string{"hello", "img.tar"} {
		if st, err := os.Stat(filepath.Join(work, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	for _, p := range sysroots.All() {
		if strings.HasPrefix(p.Name, "kernel-headers-") && p.Name != "kernel-headers-amd64" {
			continue // only the amd64 runtime's inputs were asked for
		}
		if _, err := os.Stat(filepath.Join(store, "blobs", "sha256", p.SHA256)); err != nil {
			t.Errorf("pin %s not fetched into the empty store: %v", p.Name, err)
		}
	}
}

// TestFreshMachineFetchFailures: a tampered file is refused naming the
// pin; a stopped server is "connection refused" at every place looked; a
// server that never answers ends in a timeout. None leaves anything behind.
func TestFreshMachineFetchFailures(t *testing.T) {
	musl, err := sysroots.Lookup("musl-source")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(s *pinServer)
		want  []string
	}{
		{"tampered", func(s *pinServer) { s.tamper = "/debian/" + strings.TrimPrefix(musl.Locations[1], "debian:") },
			[]string{"pin musl-source", "checksum mismatch", "nothing was kept"}},
		{"server stopped", func(s *pinServer) { s.Server.CloseClientConnections(); s.Listener.Close() },
			[]string{"pin musl-source", "not found; looked in", musl.Locations[0], musl.Locations[1] + " (connection refused)"}},
		{"silent server", func(s *pinServer) { s.silent = true },
			[]string{"pin musl-source", "no response headers within 2s (header timeout)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newPinServer(t)
			env, store := freshEnv(t, s)
			env = append(env, "MCC_NET_TIMEOUT=2") // the silent server's bound
			tt.setup(s)
			start := time.Now()
			out, err := mccIn(t, env, t.TempDir(), "--target", "linux/amd64", "toolchain", "install")
			if err == nil {
				t.Fatalf("install succeeded:\n%s", out)
			}
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				t.Errorf("exit %v, want 2", err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			for _, w := range tt.want {
				if !strings.Contains(last, w) {
					t.Errorf("error %q does not say %q", last, w)
				}
			}
			if blobs, _ := os.ReadDir(filepath.Join(store, "blobs", "sha256")); len(blobs) != 0 {
				t.Errorf("store kept %d blobs", len(blobs))
			}
			if left, _ := os.ReadDir(filepath.Join(store, "tmp")); len(left) != 0 {
				t.Errorf("temp files left: %v", left)
			}
			t.Logf("%s: failed after %s", tt.name, time.Since(start).Round(time.Millisecond))
		})
	}
}
