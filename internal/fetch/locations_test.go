package fetch

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

// upstream is a loopback server laid out like the places pins name: a
// Debian archive (/debian/pool/...), a Go module proxy (/proxy/...), and
// paths that fail in the ways real servers do.
type upstream struct {
	*httptest.Server
	files   map[string][]byte
	release chan struct{} // closed when the test ends: frees silent handlers
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{files: map[string][]byte{}, release: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(func() { close(u.release); u.Server.Close() })
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/status500/"):
		http.Error(w, "down", http.StatusInternalServerError)
	case strings.HasPrefix(r.URL.Path, "/silent/"):
		<-u.release // accepts, never answers
	case strings.HasPrefix(r.URL.Path, "/stall/"):
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-u.release // headers and a few bytes, then nothing
	default:
		b, ok := u.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}
}

// moduleZip makes a module zip for mod@ver and its h1 hash.
func moduleZip(t *testing.T, mod, ver string) ([]byte, string) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"go.mod": "module " + mod + "\n", "bundle/data.der": "roots"} {
		w, err := zw.Create(mod + "@" + ver + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "m.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	h1, err := dirhash.HashZip(p, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), h1
}

func pinFor(name string, b []byte, locs ...string) sysroots.Pin {
	sum := sha256.Sum256(b)
	return sysroots.Pin{Name: name, File: name + ".bin", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)), Locations: locs, Note: "test"}
}

// refusedURL is a loopback address where nothing listens.
func refusedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestFetchFromLocations fetches from a loopback server laid out like the
// pins' locations, and fails it in every way a real one does. It is long
// because it is one table: each way to succeed or fail is a row.
func TestFetchFromLocations(t *testing.T) {
	up := newUpstream(t)
	deb := []byte("a Debian package that never changes")
	up.files["/debian/pool/main/x/x_1_all.deb"] = deb
	zipBytes, h1 := moduleZip(t, "example.com/Roots", "v1.0.0")
	up.files["/proxy/example.com/!roots/@v/v1.0.0.zip"] = zipBytes
	debPin := pinFor("deb", deb, "debian:pool/main/x/x_1_all.deb")
	modPin := pinFor("mod", zipBytes, "gomod:example.com/Roots@v1.0.0")
	modPin.H1 = h1
	badH1 := modPin
	badH1.H1 = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	refused := refusedURL(t)
	tampered := pinFor("deb", []byte("other bytes of the same size!!!!!!!"), "debian:pool/main/x/x_1_all.deb")

	tests := []struct {
		name      string
		pin       sysroots.Pin
		archives  []string
		wantFrom  string   // URL suffix the artifact came from
		wantErr   []string // all must appear in the one-line error
		wantFatal bool     // refused bytes: bad input, nothing kept
	}{
		{name: "debian pool", pin: debPin, wantFrom: "/debian/pool/main/x/x_1_all.deb"},
		{name: "module proxy, escaped path, h1 checked", pin: modPin, wantFrom: "/proxy/example.com/!roots/@v/v1.0.0.zip"},
		{name: "first archive fails, second serves", pin: debPin,
			archives: []string{up.URL + "/status500", up.URL + "/debian"}, wantFrom: "/debian/pool/main/x/x_1_all.deb"},
		{name: "every cause named", pin: pinFor("gone", deb, "debian:pool/main/x/x_1_all.deb", "http://"+strings.TrimPrefix(up.URL, "http://")+"/nothing-here"),
			archives: []string{up.URL + "/status500", refused, up.URL + "/debian-empty"},
			wantErr:  []string{"pin gone", "server error (HTTP 500)", "connection refused", "not found (HTTP 404)", "looked in"}},
		{name: "silent server times out", pin: debPin, archives: []string{up.URL + "/silent"},
			wantErr: []string{"no response headers within 300ms (header timeout)"}},
		{name: "stalled body times out", pin: debPin, archives: []string{up.URL + "/stall"},
			wantErr: []string{"no data for 300ms (idle timeout)"}},
		{name: "tampered bytes refused", pin: tampered, wantErr: []string{"pin deb", "checksum mismatch", "nothing was kept"}, wantFatal: true},
		{name: "wrong size refused", pin: pinFor("deb", append(deb, 'x'), "debian:pool/main/x/x_1_all.deb"), wantErr: []string{"size mismatch"}, wantFatal: true},
		{name: "module hash checked", pin: badH1, wantErr: []string{"module hash mismatch"}, wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			archives := tt.archives
			if archives == nil {
				archives = []string{up.URL + "/debian"}
			}
			f := &Fetcher{Store: s,
				Resolver: &Resolver{DebianArchives: archives, GoProxies: []string{up.URL + "/proxy"}},
				Timeouts: Timeouts{Connect: time.Second, Header: 300 * time.Millisecond, Idle: 300 * time.Millisecond}}
			res, err := f.Fetch(context.Background(), tt.pin)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("fetched %+v, want an error", res)
				}
				msg := err.Error()
				for _, w := range tt.wantErr {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q does not say %q", msg, w)
					}
				}
				if strings.Contains(msg, "\n") || !badinput.Is(err) {
					t.Errorf("want one line of bad input, got %q", msg)
				}
				nothingKept(t, s, tt.pin.SHA256)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(res.Info.Source, tt.wantFrom) {
				t.Errorf("source %s, want …%s", res.Info.Source, tt.wantFrom)
			}
			if got, err := store.FileSHA256(res.Path); err != nil || got != tt.pin.SHA256 {
				t.Errorf("stored file sha256 %s, %v", got, err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	up := newUpstream(t)
	deb := []byte("pinned bytes")
	up.files["/a/pool/x.deb"] = deb
	up.files["/b/pool/x.deb"] = []byte("changed bytes")
	s, _ := store.Open(t.TempDir())
	f := &Fetcher{Store: s, Resolver: &Resolver{DebianArchives: []string{up.URL + "/a", up.URL + "/b", up.URL + "/c"}}}
	checks, err := f.Check(context.Background(), pinFor("x", deb, "debian:pool/x.deb"))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ok     bool
		status string
	}{{true, "serves the pinned bytes"}, {false, "serves other bytes: size mismatch"}, {false, "not found (HTTP 404)"}}
	if len(checks) != len(want) {
		t.Fatalf("checks %+v", checks)
	}
	for i, w := range want {
		if checks[i].OK != w.ok || !strings.HasPrefix(checks[i].Status, w.status) {
			t.Errorf("check %d = %+v, want %v %q", i, checks[i], w.ok, w.status)
		}
	}
	nothingKept(t, s, "")
}

func TestAptArchives(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "etc", "apt", "sources.list.d")
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(root, "etc", "apt", "sources.list"), []byte(
		"# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian bookworm main\ndeb-src http://one.invalid/debian bookworm main\n"), 0o644)
	os.WriteFile(filepath.Join(d, "x.sources"), []byte(
		"Types: deb\nURIs: http://two.invalid/debian http://three.invalid/debian/\nSuites: bookworm\n\nTypes: deb\nURIs: cdrom:/media\n"), 0o644)
	got := strings.Join(AptArchives(root), " ")
	want := "http://one.invalid/debian http://two.invalid/debian http://three.invalid/debian"
	if got != want {
		t.Fatalf("archives %q, want %q", got, want)
	}
	r := &Resolver{AptRoot: t.TempDir()}
	if _, err := r.urls("debian:pool/x"); err == nil || !strings.Contains(err.Error(), "MCC_DEBIAN_ARCHIVE") {
		t.Fatalf("no apt sources: err = %v", err)
	}
}

func TestGoProxyList(t *testing.T) {
	for _, tt := range []struct{ env, want, err string }{
		{env: "http://a.invalid,direct", want: "http://a.invalid"},
		{env: "http://a.invalid|http://b.invalid/", want: "http://a.invalid http://b.invalid/"},
		{env: "off", err: "names no module proxy"},
	} {
		t.Setenv("GOPROXY", tt.env)
		got, err := goProxyList()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("GOPROXY=%s: err %v", tt.env, err)
			}
			continue
		}
		if strings.Join(got, " ") != tt.want || err != nil {
			t.Errorf("GOPROXY=%s: %q %v, want %q", tt.env, got, err, tt.want)
		}
	}
}
