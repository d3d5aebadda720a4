package image

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/image/imagetest"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
)

// wantBadInput fails unless err is bad input whose message holds every want.
func wantBadInput(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil || !badinput.Is(err) {
		t.Fatalf("err %v, want bad input saying %q", err, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q does not say %q", err, w)
		}
	}
}

func TestRequestBinaries(t *testing.T) {
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	cases := []struct {
		name string
		r    Request
		want []Binary
		err  string
	}{
		{"one file", Request{Files: []string{"app"}}, []Binary{{Path: "app"}}, ""},
		{"one file with --target", Request{Files: []string{"app"}, Target: "linux/arm64"}, []Binary{{Platform: arm64, Path: "app"}}, ""},
		{"bad --target", Request{Files: []string{"app"}, Target: "arm64"}, nil, "not OS/ARCH"},
		{"platforms", Request{Platforms: []string{"linux/arm64=a", "linux/arm/v7=b"}},
			[]Binary{{Platform: arm64, Path: "a"}, {Platform: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, Path: "b"}}, ""},
		{"both", Request{Files: []string{"app"}, Platforms: []string{"linux/arm64=a"}}, nil, "either FILE or --platform"},
		{"two files", Request{Files: []string{"a", "b"}}, nil, "one FILE per image"},
		{"none", Request{}, nil, "no executable"},
		{"platform without file", Request{Platforms: []string{"linux/arm64"}}, nil, "is not OS/ARCH=FILE"},
		{"platform with empty file", Request{Platforms: []string{"linux/arm64="}}, nil, "is not OS/ARCH=FILE"},
		{"unknown arch", Request{Platforms: []string{"linux/pdp11=a"}}, nil, "unknown architecture"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.r.binaries()
			if c.err != "" {
				wantBadInput(t, err, c.err)
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("binaries() = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestRequestConfig(t *testing.T) {
	cases := []struct {
		name string
		r    Request
		want Options
		err  string
	}{
		{"nothing", Request{}, Options{}, ""},
		{"JSON entrypoint", Request{Entrypoint: `["/app/server","--port=80"]`}, Options{Entrypoint: []string{"/app/server", "--port=80"}}, ""},
		{"line entrypoint", Request{Entrypoint: " /app/server  -v "}, Options{Entrypoint: []string{"/app/server", "-v"}}, ""},
		{"bad JSON entrypoint", Request{Entrypoint: "[oops"}, Options{}, "is not a JSON array of strings"},
		{"empty JSON entrypoint", Request{Entrypoint: "[]"}, Options{}, "is not a JSON array of strings"},
		{"blank entrypoint", Request{Entrypoint: "   "}, Options{}, "--entrypoint is empty"},
		{"env", Request{Env: []string{"A=1", "B="}}, Options{}, ""},
		{"env without =", Request{Env: []string{"A"}}, Options{}, `--env "A" is not KEY=VALUE`},
		{"env without key", Request{Env: []string{"=1"}}, Options{}, `--env "=1" is not KEY=VALUE`},
		{"labels", Request{Labels: []string{"a=1", "b=x=y"}}, Options{Labels: map[string]string{"a": "1", "b": "x=y"}}, ""},
		{"label without =", Request{Labels: []string{"a"}}, Options{}, `--label "a" is not KEY=VALUE`},
		{"add", Request{Adds: []string{"/etc/hosts=hosts"}}, Options{Files: []File{{Path: "/etc/hosts", Source: "hosts"}}}, ""},
		{"add relative", Request{Adds: []string{"etc/hosts=hosts"}}, Options{}, "is not /PATH=SRC"},
		{"add without source", Request{Adds: []string{"/etc/hosts="}}, Options{}, "is not /PATH=SRC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var o Options
			err := c.r.config(&o)
			if c.err != "" {
				wantBadInput(t, err, "mcc image: ", c.err)
				return
			}
			if err != nil || !reflect.DeepEqual(o, c.want) {
				t.Fatalf("config() gave %+v, %v; want %+v", o, err, c.want)
			}
		})
	}
}

func TestReadToolchainManifest(t *testing.T) {
	musl := Component{Name: "musl", Version: "1.2.5", SHA256: "ab"}
	cases := []struct {
		name, content string // content "" means no file
		want          []Component
		err           string
	}{
		{"object", `{"components":[{"name":"musl","version":"1.2.5","sha256":"ab"}]}`, []Component{musl}, ""},
		{"bare array", `[{"name":"musl","version":"1.2.5","sha256":"ab"}]`, []Component{musl}, ""},
		{"empty list", `{"components":[]}`, []Component{}, ""},
		{"missing", "", nil, "reading toolchain manifest"},
		{"not JSON", "musl 1.2.5", nil, "is not JSON like"},
		{"nameless component", `[{"version":"1"}]`, nil, "a component without a name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "toolchain.json")
			if c.content != "" {
				os.WriteFile(p, []byte(c.content), 0o644)
			}
			got, err := readToolchainManifest(p)
			if c.err != "" {
				wantBadInput(t, err, c.err, p)
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

// TestToolchainComponents: a file with an mcc toolchain's ident line gives
// musl and gcc once, however many binaries carry it; other files none.
func TestToolchainComponents(t *testing.T) {
	gcc := testenv.Tool(t, "gcc")
	dir := t.TempDir()
	src := filepath.Join(dir, "ident.c")
	os.WriteFile(src, []byte(`__asm__(".section .comment,\"MS\",%progbits,1\n.asciz \"mcc-toolchain: target=linux/arm64 key=k1 musl=1.2.5 musl-sha256=ab gcc=14.2.0\"\n.previous");`+"\n"), 0o644)
	obj := filepath.Join(dir, "ident.o")
	if out, err := exec.Command(gcc, "-c", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not ELF"), 0o644)

	got := toolchainComponents([]Binary{{Path: text}, {Path: obj}, {Path: obj}})
	want := []Component{
		{Name: "musl", Version: "1.2.5", SHA256: "ab", PURL: "pkg:generic/musl@1.2.5"},
		{Name: "gcc (linux/arm64 cross compiler, mcc toolchain k1)", Version: "14.2.0", PURL: "pkg:generic/gcc@14.2.0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("toolchainComponents = %+v\nwant %+v", got, want)
	}
	if got := toolchainComponents([]Binary{{Path: text}}); got != nil {
		t.Fatalf("a file no toolchain linked gave %+v", got)
	}
}

func TestTagPartAndVariant(t *testing.T) {
	for _, c := range []struct{ tag, want string }{
		{"app:1.0", "1.0"},
		{"app", "latest"},
		{"127.0.0.1:5000/app", "latest"},
		{"127.0.0.1:5000/app:v2", "v2"},
	} {
		if got := tagPart(c.tag); got != c.want {
			t.Errorf("tagPart(%q) = %q, want %q", c.tag, got, c.want)
		}
	}
	if got := variantSuffix(v1.Platform{Variant: "v7"}); got != "/v7" {
		t.Errorf("variantSuffix(v7) = %q", got)
	}
	if got := variantSuffix(v1.Platform{}); got != "" {
		t.Errorf("variantSuffix() = %q", got)
	}
}

// fakeFetcher serves pins from a map of paths and counts its calls.
type fakeFetcher struct {
	paths map[string]string
	err   error
	calls int
}

func (f *fakeFetcher) Fetch(_ context.Context, pin sysroots.Pin) (*fetch.Result, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &fetch.Result{Path: f.paths[pin.Name]}, nil
}

func TestFetchPins(t *testing.T) {
	served := map[string]string{"ca-roots": "/store/ca.zip", "zoneinfo": "/store/tz.zip"}
	cases := []struct {
		name        string
		r           Request
		fetcher     *fakeFetcher
		newErr      error
		ca, tz      string
		fetches     int
		err         []string
		notBadInput bool
	}{
		{"fetched", Request{Tzdata: true}, &fakeFetcher{paths: served}, nil, "/store/ca.zip", "/store/tz.zip", 2, nil, false},
		{"given files fetch nothing", Request{Tzdata: true, CARoots: "ca.zip", Zoneinfo: "tz.zip"}, nil, nil, "ca.zip", "tz.zip", 0, nil, false},
		{"no CA, no tzdata", Request{NoCA: true}, nil, nil, "", "", 0, nil, false},
		{"contradiction", Request{NoCA: true, CARoots: "ca.zip"}, nil, nil, "", "", 0, []string{"--no-ca-certs and --ca-roots contradict"}, false},
		{"no store", Request{}, nil, errors.New("store locked"), "", "", 0, []string{"store locked"}, true},
		{"CA roots not found", Request{}, &fakeFetcher{err: badinput.Errorf("pin ca-roots: not found")}, nil, "", "", 1,
			[]string{"pin ca-roots: not found; or pass the pinned file with --ca-roots FILE (or leave CA certificates out with --no-ca-certs)"}, false},
		{"zoneinfo not found", Request{NoCA: true, Tzdata: true}, &fakeFetcher{err: badinput.Errorf("pin zoneinfo: not found")}, nil, "", "", 1,
			[]string{"; or pass the pinned file with --zoneinfo FILE (or drop --tzdata)"}, false},
		{"network down", Request{}, &fakeFetcher{err: errors.New("connection reset")}, nil, "", "", 1, []string{"connection reset"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			made := 0
			c.r.Fetcher = func() (PinFetcher, error) {
				made++
				if c.fetcher == nil && c.newErr == nil {
					t.Fatal("a fetcher was made though no pin needs fetching")
				}
				return c.fetcher, c.newErr
			}
			var o Options
			err := c.r.fetchPins(context.Background(), &o)
			switch {
			case c.err == nil && err != nil:
				t.Fatal(err)
			case c.notBadInput:
				if err == nil || badinput.Is(err) || !strings.Contains(err.Error(), c.err[0]) {
					t.Fatalf("err %v, want a job failure saying %q", err, c.err[0])
				}
			case c.err != nil:
				wantBadInput(t, err, c.err...)
			}
			if o.CARoots != c.ca || o.Zoneinfo != c.tz {
				t.Errorf("CARoots %q Zoneinfo %q, want %q %q", o.CARoots, o.Zoneinfo, c.ca, c.tz)
			}
			if c.fetcher != nil && c.fetcher.calls != c.fetches {
				t.Errorf("%d fetches, want %d", c.fetcher.calls, c.fetches)
			}
			if made > 1 {
				t.Errorf("the fetcher was made %d times, want once", made)
			}
		})
	}
}

func TestResultWriteText(t *testing.T) {
	res := Result{
		Digest: "sha256:aa", Tag: "app:1",
		Platforms: []ResultPlatform{{Platform: "linux/arm/v7", Digest: "sha256:bb"}},
		Output:    "out/app.tar", Layout: "out/lay", SBOM: []string{"out/app.spdx.json"}, Pushed: "reg/app:1@sha256:aa",
	}
	for _, c := range []struct {
		quiet bool
		want  string
	}{
		{true, "sha256:aa app:1\n"},
		{false, "sha256:aa app:1\n  linux/arm/v7 sha256:bb\nwrote out/app.tar (podman load -i out/app.tar)\n" +
			"wrote out/lay (OCI layout, oci:out/lay:1)\nwrote out/app.spdx.json (SPDX SBOM)\npushed reg/app:1@sha256:aa\n"},
	} {
		var b bytes.Buffer
		if err := res.WriteText(&b, c.quiet); err != nil || b.String() != c.want {
			t.Errorf("quiet=%v: %q, %v; want %q", c.quiet, b.String(), err, c.want)
		}
	}
}

// TestAssemble runs whole requests on real files: refusals are bad input
// and leave the directory as it was; a good request writes what its Result
// names.
func TestAssemble(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	hello := imagetest.BuildHello(t, t.TempDir(), "amd64")
	noFetch := func() (PinFetcher, error) { return nil, errors.New("a fetcher was made for an image without pins") }
	cases := []struct {
		name  string
		setup func(t *testing.T, d string)
		r     Request
		err   []string
	}{
		{"no output", nil, Request{}, []string{"mcc image: no output"}},
		{"missing binary", nil, Request{Files: []string{"nope"}, Output: "img.tar"}, []string{"executable nope: no such file", "build it first"}},
		{"binary is a FIFO", nil, Request{Files: []string{"fifo"}, Output: "img.tar"}, []string{"executable: ", "named pipe"}},
		{"manifest is a FIFO", nil, Request{ToolchainManifest: "fifo", Output: "img.tar"}, []string{"toolchain manifest: ", "named pipe"}},
		{"added file is a directory", func(_ *testing.T, d string) { os.Mkdir(filepath.Join(d, "dir"), 0o755) },
			Request{Adds: []string{"/etc/x=dir"}, Output: "img.tar"}, []string{"--add /etc/x: ", "is a directory"}},
		{"output is the binary", nil, Request{Output: "bin"}, []string{"also the input"}},
		{"layout holds user files", func(t *testing.T, d string) { put(t, d, "lay/notes.txt", "mine") }, Request{Layout: "lay"}, []string{"not an OCI layout"}},
		{"bad SOURCE_DATE_EPOCH", func(t *testing.T, _ string) { t.Setenv("SOURCE_DATE_EPOCH", "yesterday") }, Request{Output: "img.tar"}, []string{"SOURCE_DATE_EPOCH"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := assembleDir(t, hello)
			if c.setup != nil {
				c.setup(t, d)
			}
			before := listDir(t, d)
			c.r.NoCA, c.r.Fetcher = true, noFetch
			if c.r.Files == nil && c.r.Platforms == nil {
				c.r.Files = []string{"bin"}
			}
			_, err := Assemble(context.Background(), c.r)
			wantBadInput(t, err, c.err...)
			if after := listDir(t, d); !reflect.DeepEqual(before, after) {
				t.Errorf("a refused request changed the directory: %v, then %v", before, after)
			}
		})
	}

	d := assembleDir(t, hello)
	res, err := Assemble(context.Background(), Request{Files: []string{"bin"}, Output: "out/img.tar", Layout: "out/lay", NoCA: true, Name: "Hello", Fetcher: noFetch})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "hello:latest" || len(res.Platforms) != 1 || res.Platforms[0].Platform != "linux/amd64" || !strings.HasPrefix(res.Digest, "sha256:") {
		t.Fatalf("result %+v", res)
	}
	if !reflect.DeepEqual(res.SBOM, []string{"out/img.spdx.json"}) {
		t.Errorf("SBOM files %v", res.SBOM)
	}
	for _, f := range []string{"out/img.tar", "out/img.spdx.json", "out/lay/index.json"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			t.Errorf("the result names %s, but: %v", f, err)
		}
	}
}

// assembleDir is a fresh working directory holding bin (a copy of hello)
// and a FIFO, fifo.
func assembleDir(t *testing.T, hello string) string {
	d := t.TempDir()
	testenv.CopyFile(t, hello, filepath.Join(d, "bin"))
	if err := syscall.Mkfifo(filepath.Join(d, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(d)
	return d
}

// listDir lists every path under d.
func listDir(t *testing.T, d string) []string {
	var out []string
	filepath.Walk(d, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
		return nil
	})
	return out
}
