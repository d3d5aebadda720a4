package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/image/imagetest"
	"github.com/mcc-build/mcc/internal/testenv"
)

// cBinaries compiles a C file three ways: a dynamic executable, an object
// file, and (for contrast) nothing static — Go gives the static ones.
func cBinaries(t *testing.T, dir string) (dynamic, object string) {
	t.Helper()
	gcc := testenv.Tool(t, "gcc")
	src := filepath.Join(dir, "x.c")
	if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dynamic, object = filepath.Join(dir, "dyn"), filepath.Join(dir, "x.o")
	for _, args := range [][]string{{"-o", dynamic, src}, {"-c", "-o", object, src}} {
		if b, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", args, err, b)
		}
	}
	return dynamic, object
}

func TestBuildRefusesBadBinaries(t *testing.T) {
	dir := t.TempDir()
	amd64 := imagetest.BuildHello(t, filepath.Join(dir, "amd64"), "amd64")
	arm64 := imagetest.BuildHello(t, filepath.Join(dir, "arm64"), "arm64")
	dynamic, object := cBinaries(t, dir)
	text := filepath.Join(dir, "script.sh")
	os.WriteFile(text, []byte("#!/bin/sh\necho hi\n"), 0o755)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o755)
	plat := func(arch string) v1.Platform { return v1.Platform{OS: "linux", Architecture: arch} }

	cases := []struct {
		name    string
		bins    []Binary
		wantErr []string // all must appear; "" means success
	}{
		{"static amd64", []Binary{{Path: amd64}}, nil},
		{"two platforms", []Binary{{plat("amd64"), amd64}, {plat("arm64"), arm64}}, nil},
		{"not ELF", []Binary{{Path: text}}, []string{"is not an ELF file"}},
		{"dynamic", []Binary{{Path: dynamic}}, []string{"dynamically linked", "build it static", "mcc go build"}},
		{"object file", []Binary{{Path: object}}, []string{"not an executable"}},
		{"platform mismatch", []Binary{{plat("amd64"), amd64}, {plat("arm64"), amd64}}, []string{"is a x86_64 executable", "platform linux/arm64 wants aarch64"}},
		{"same platform twice", []Binary{{plat("amd64"), amd64}, {plat("amd64"), amd64}}, []string{"given twice"}},
		{"none", nil, []string{"no binary given"}},
		{"missing file", []Binary{{Path: filepath.Join(dir, "nope")}}, []string{"nope", "build it first"}},
		{"empty file", []Binary{{Path: empty}}, []string{"is not an ELF file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Build(context.Background(), Options{Binaries: c.bins})
			if c.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if (len(c.bins) > 1) != (b.Index != nil) {
					t.Fatalf("index %v for %d binaries", b.Index != nil, len(c.bins))
				}
				return
			}
			if err == nil {
				t.Fatal("built an image, want a refusal")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !badinput.Is(err) {
				t.Errorf("error %q is not marked bad input (exit 2)", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestBuildImageShape(t *testing.T) {
	dir := t.TempDir()
	bin := imagetest.BuildHello(t, dir, "arm64")
	conf := filepath.Join(dir, "app.conf")
	os.WriteFile(conf, []byte("x=1\n"), 0o644)
	created := time.Unix(1234567890, 0)
	b, err := Build(context.Background(), Options{
		Binaries:   []Binary{{Path: bin}},
		Created:    created,
		Files:      []File{{Path: "/etc/hosts", Data: []byte("10.0.0.1 db\n")}, {Path: "/etc/app.conf", Source: conf, Mode: 0o600}, {Path: "/lib64/ld.so", Linkname: "/lib/ld.so"}},
		Env:        []string{"A=B"},
		Labels:     map[string]string{"x": "y"},
		Toolchain:  []Component{{Name: "musl", Version: "1.2.3", SHA256: strings.Repeat("a", 64)}},
		Entrypoint: []string{"/app/hello", "-v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	img := b.Platforms[0].Image
	if err := validate.Image(img); err != nil {
		t.Fatalf("go-containerregistry's validate: %v", err)
	}
	checkShapeConfig(t, img, created)
	checkShapeLayer(t, img, created)
	checkShapeSBOM(t, b.Platforms[0].SBOM)
}

// checkShapeConfig checks TestBuildImageShape's image config.
func checkShapeConfig(t *testing.T, img v1.Image, created time.Time) {
	t.Helper()
	cf, _ := img.ConfigFile()
	if cf.Architecture != "arm64" || cf.OS != "linux" {
		t.Errorf("platform %s/%s, want linux/arm64 from the ELF machine", cf.OS, cf.Architecture)
	}
	if cf.Config.User != "65532:65532" || !cf.Created.Time.Equal(created) {
		t.Errorf("user %q created %v", cf.Config.User, cf.Created)
	}
	if got := strings.Join(cf.Config.Entrypoint, " "); got != "/app/hello -v" {
		t.Errorf("entrypoint %q", got)
	}
	if cf.Config.Labels["org.opencontainers.image.created"] != "2009-02-13T23:31:30Z" || cf.Config.Labels["x"] != "y" {
		t.Errorf("labels %v", cf.Config.Labels)
	}
	if _, ok := cf.Config.Labels["mcc.ca-roots"]; ok {
		t.Error("CA label set without CA certificates")
	}
	if strings.Join(cf.Config.Env, " ") != "PATH=/app:/usr/local/bin:/usr/bin:/bin A=B" {
		t.Errorf("env %v", cf.Config.Env)
	}
}

// checkShapeLayer checks TestBuildImageShape's manifest and layer.
func checkShapeLayer(t *testing.T, img v1.Image, created time.Time) {
	t.Helper()
	m, _ := img.Manifest()
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != "application/vnd.oci.image.config.v1+json" || len(m.Layers) != 1 {
		t.Errorf("manifest %+v: want OCI media types and one layer", m)
	}
	layers, _ := img.Layers()
	rc, _ := layers[0].Uncompressed()
	defer rc.Close()
	raw := readAll(t, rc)
	names := map[string]bool{}
	for _, h := range readTar(t, raw) {
		names[h.Name] = true
		if h.Name == "etc/app.conf" && h.Mode != 0o600 {
			t.Errorf("extra file mode %o, want 600", h.Mode)
		}
		if h.Name == "lib64/ld.so" && (h.Typeflag != tar.TypeSymlink || h.Linkname != "/lib/ld.so") {
			t.Errorf("extra symlink is %c -> %q", h.Typeflag, h.Linkname)
		}
		if !h.ModTime.Equal(created) {
			t.Errorf("%s mtime %v", h.Name, h.ModTime)
		}
	}
	if got := string(fileInTar(t, raw, "etc/hosts")); got != "10.0.0.1 db\n" {
		t.Errorf("/etc/hosts %q: an extra file must replace the default", got)
	}
	for _, n := range []string{"app/hello", "etc/passwd", "etc/group", "etc/hosts", "etc/app.conf", "tmp/", "home/nonroot/", "usr/share/sbom/image.spdx.json"} {
		if !names[n] {
			t.Errorf("layer lacks %s", n)
		}
	}
}

// checkShapeSBOM checks that the SBOM names the toolchain and the Go that
// built the binary.
func checkShapeSBOM(t *testing.T, sbom []byte) {
	t.Helper()
	var doc spdxDoc
	if err := json.Unmarshal(sbom, &doc); err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, p := range doc.Packages {
		pkgs = append(pkgs, p.Name+"@"+p.VersionInfo)
	}
	joined := strings.Join(pkgs, " ")
	for _, w := range []string{"musl@1.2.3", "go@go1.", "hello@"} {
		if !strings.Contains(joined, w) {
			t.Errorf("SBOM packages %q lack %q", joined, w)
		}
	}
}

func fileInTar(t *testing.T, raw []byte, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the layer: %v", name, err)
		}
		if h.Name == name {
			b, _ := io.ReadAll(tr)
			return b
		}
	}
}

func readAll(t *testing.T, r interface{ Read([]byte) (int, error) }) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 1<<16)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out
		}
	}
}

func TestBuildWithPinnedInputsIsStable(t *testing.T) {
	ca, tz := imagetest.PinnedInputs(t)
	bin := imagetest.BuildHello(t, t.TempDir(), "amd64")
	var digests []v1.Hash
	for i := 0; i < 2; i++ {
		b, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}, CARoots: ca, Zoneinfo: tz})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := b.Digest()
		digests = append(digests, d)
		cf, _ := b.Platforms[0].Image.ConfigFile()
		l := cf.Config.Labels
		if l["mcc.ca-roots"] != pinLabel(CARootsPin) || l["mcc.zoneinfo"] != pinLabel(ZoneinfoPin) {
			t.Fatalf("pin labels %v", l)
		}
		if !strings.HasPrefix(l["mcc.ca-roots"], "golang.org/x/crypto/x509roots/fallback@v") || !strings.Contains(l["mcc.ca-roots.left-out"], "distrustAfter") {
			t.Fatalf("labels %v: want the module and the constrained roots left out", l)
		}
		sbom := string(b.Platforms[0].SBOM)
		mod, ver := pinModule(CARootsPin)
		for _, w := range []string{CARootsPin.SHA256, ZoneinfoPin.SHA256, "pkg:golang/" + mod + "@" + ver, "pkg:golang/golang.org/toolchain@v0.0.1-" + ZoneinfoPin.Version, "pin ca-roots", "pin zoneinfo", "left out"} {
			if !strings.Contains(sbom, w) {
				t.Errorf("SBOM lacks %q", w)
			}
		}
	}
	if digests[0] != digests[1] {
		t.Fatalf("same inputs, digests %s and %s", digests[0], digests[1])
	}
}

func TestSourceDateEpoch(t *testing.T) {
	cases := []struct {
		env     string
		want    int64
		wantErr bool
	}{{"", 0, false}, {"1700000000", 1700000000, false}, {"yesterday", 0, true}, {"-5", 0, true}}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", c.env)
			got, err := SourceDateEpoch()
			if (err != nil) != c.wantErr || (err == nil && got.Unix() != c.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			if err != nil && !badinput.Is(err) {
				t.Fatal("a bad SOURCE_DATE_EPOCH must be bad input")
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"linux/amd64", "linux/amd64", ""},
		{"linux/arm/v7", "linux/arm/v7", ""},
		{"linux/riscv64", "linux/riscv64", ""},
		{"amd64", "", "not OS/ARCH"},
		{"windows/amd64", "", "only linux"},
		{"linux/sparc", "", "unknown architecture"},
	}
	for _, c := range cases {
		p, err := ParsePlatform(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !badinput.Is(err) {
				t.Errorf("%s: err %v, want bad input %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || platformString(p) != c.want {
			t.Errorf("%s: %v %v", c.in, p, err)
		}
	}
}

func TestTags(t *testing.T) {
	for _, c := range []struct{ bin, want string }{
		{"out/app-amd64", "app-amd64:latest"}, {"/x/My App", "my-app:latest"}, {"...", "image:latest"},
	} {
		if got := DefaultTag(c.bin); got != c.want {
			t.Errorf("DefaultTag(%q) = %q, want %q", c.bin, got, c.want)
		}
	}
	for _, c := range []struct{ in, repo, tag, err string }{
		{"app", "app", "latest", ""},
		{"app:1.0", "app", "1.0", ""},
		{"127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app", "latest", ""},
		{"127.0.0.1:5000/app:v2", "127.0.0.1:5000/app", "v2", ""},
		{"App Name", "", "", "not an image name"},
	} {
		got, err := parseTag(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseTag(%q) err %v", c.in, err)
			}
			continue
		}
		if err != nil || got.repo != c.repo || got.tag != c.tag {
			t.Errorf("parseTag(%q) = %+v, %v", c.in, got, err)
		}
	}
	b := &Built{Platforms: []Platform{{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}}, {Platform: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}}}}
	got := archiveTags(b, imageTag{"app", "1"})
	if strings.Join(got[0], ",") != "app:1,app:1-amd64" || strings.Join(got[1], ",") != "app:1-arm-v7" {
		t.Errorf("archive tags %v", got)
	}
}

func TestSourceLabels(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://user:token@git.example.test/team/app.git", "https://git.example.test/team/app"},
		{"git@git.example.test:team/app.git", "https://git.example.test/team/app"},
		{"ssh://git@git.example.test/team/app", "https://git.example.test/team/app"},
		{"/srv/git/app", ""},
	} {
		if got := cleanRemote(c.in); got != c.want {
			t.Errorf("cleanRemote(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"git.example.test/team/app", "https://git.example.test/team/app"}, {"hello", ""}, {"command-line-arguments", ""},
	} {
		if got := sourceFromModule(c.in); got != c.want {
			t.Errorf("sourceFromModule(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// failingImage breaks while its layers are written.
type failingImage struct{ v1.Image }

func (failingImage) Layers() ([]v1.Layer, error) { return nil, errors.New("disk on fire") }

func TestWritersAreAtomic(t *testing.T) {
	bin := imagetest.BuildHello(t, t.TempDir(), "amd64")
	good, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}})
	if err != nil {
		t.Fatal(err)
	}
	bad := &Built{Platforms: []Platform{good.Platforms[0]}}
	bad.Platforms[0].Image = failingImage{good.Platforms[0].Image}

	dir := t.TempDir()
	out := filepath.Join(dir, "img.tar")
	os.WriteFile(out, []byte("previous image"), 0o644)
	if err := WriteArchive(out, bad, "app:1"); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("WriteArchive of a failing image: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous image" {
		t.Fatalf("a failed write clobbered the old file: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("a failed write left files behind: %v", entries)
	}
	if err := WriteArchive(out, good, "app:1"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Size() < 1000 {
		t.Fatal("the good write did not replace the file")
	}

	lay := filepath.Join(dir, "layout")
	if err := writeLayout(lay, good, "app:1"); err != nil {
		t.Fatal(err)
	}
	if err := writeLayout(lay, bad, "app:1"); err == nil {
		t.Fatal("WriteLayout of a failing image succeeded")
	}
	if _, err := os.Stat(filepath.Join(lay, "index.json")); err != nil {
		t.Fatalf("a failed layout write removed the old layout: %v", err)
	}
	filepath.Walk(lay, func(p string, fi os.FileInfo, err error) error {
		want := os.FileMode(0o644)
		if fi.IsDir() {
			want = 0o755
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	entries, _ = os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("layout writes left temp dirs: %v", entries)
	}

}

func TestRevisionAndSourceLabels(t *testing.T) {
	git := testenv.Tool(t, "git")
	dir := t.TempDir()
	src := filepath.Join(dir, "src-hello")
	os.MkdirAll(src, 0o755)
	gitRun := func(args ...string) string {
		cmd := exec.Command(git, append([]string{"-C", src, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitRun("init", "-q")
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module git.example.test/team/hello\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(imagetest.HelloSource), 0o644)
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "hello")
	head := gitRun("rev-parse", "HEAD")
	gitRun("remote", "add", "origin", "https://user:secret@git.example.test/team/hello.git")

	cases := []struct {
		name, buildvcs, sourceDir, wantSource string
	}{
		{"from Go build info", "-buildvcs=true", "", "https://git.example.test/team/hello"},
		{"from the git checkout", "-buildvcs=false", src, "https://git.example.test/team/hello"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := filepath.Join(dir, "hello"+c.buildvcs)
			cmd := exec.Command(imagetest.GoTool(t), "build", "-trimpath", c.buildvcs, "-o", bin, ".")
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			b, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}, SourceDir: c.sourceDir})
			if err != nil {
				t.Fatal(err)
			}
			cf, _ := b.Platforms[0].Image.ConfigFile()
			l := cf.Config.Labels
			if l["org.opencontainers.image.revision"] != head || l["org.opencontainers.image.source"] != c.wantSource {
				t.Fatalf("labels %v, want revision %s and source %s", l, head, c.wantSource)
			}
			if strings.Contains(string(b.Platforms[0].SBOM), "secret") {
				t.Fatal("the SBOM leaks the remote's credentials")
			}
		})
	}
}

func TestIndexEntriesCarryNoArtifactType(t *testing.T) {
	dir := t.TempDir()
	b, err := Build(context.Background(), Options{Binaries: []Binary{
		{Path: imagetest.BuildHello(t, filepath.Join(dir, "a"), "amd64")},
		{Path: imagetest.BuildHello(t, filepath.Join(dir, "b"), "riscv64")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.Index.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("artifactType")) {
		t.Fatalf("index %s carries artifactType: Debian's skopeo 1.9.3 would rewrite it", raw)
	}
	if err := validate.Index(b.Index); err != nil {
		t.Fatal(err)
	}
}
