package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/image/imagetest"
	"github.com/mcc-build/mcc/internal/testenv"
)

// buildHelloImage builds hello for each goarch in dir and the image (or
// index) around it, with the pinned CA certificates and tzdata.
func buildHelloImage(t *testing.T, dir string, goarchs ...string) *Built {
	t.Helper()
	ca, tz := imagetest.PinnedInputs(t)
	var bins []Binary
	for _, a := range goarchs {
		d := filepath.Join(dir, a)
		bins = append(bins, Binary{Platform: v1.Platform{OS: "linux", Architecture: a}, Path: imagetest.BuildHello(t, d, a)})
	}
	b, err := Build(context.Background(), Options{Binaries: bins, CARoots: ca, Zoneinfo: tz})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// podman runs podman with private storage (vfs) and the settings that work
// without a Docker engine on this kind of machine (FACTS.md).
func podman(t *testing.T, root string, args ...string) string {
	t.Helper()
	p := tool(t, "podman")
	tool(t, "runc")
	base := []string{"--root", filepath.Join(root, "storage"), "--runroot", filepath.Join(root, "run"), "--storage-driver", "vfs",
		"--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "none"}
	return run(t, p, append(base, args...)...)
}

func TestPodmanRunsImage(t *testing.T) {
	testenv.Integration(t)
	dir := t.TempDir()
	b := buildHelloImage(t, dir, "amd64")
	out := filepath.Join(dir, "hello.tar")
	if err := WriteArchive(out, b, "mcc-test/hello:1"); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "podman")
	loaded := podman(t, root, "load", "-q", "-i", out)
	if !strings.Contains(loaded, "mcc-test/hello:1") {
		t.Fatalf("podman load said %q, want the tag mcc-test/hello:1", loaded)
	}
	got := podman(t, root, "run", "--rm", "--network=none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "mcc-test/hello:1")
	if strings.TrimSpace(got) != imagetest.HelloWant {
		t.Fatalf("podman run printed %q, want %q", got, imagetest.HelloWant)
	}
	// A docker-archive carries no manifest, so podman names the image by
	// its config digest: it must be the one mcc computed.
	id := podman(t, root, "image", "inspect", "--format", "{{.Id}}", "mcc-test/hello:1")
	want, _ := b.Platforms[0].Image.ConfigName()
	if strings.TrimSpace(id) != want.Hex {
		t.Fatalf("podman image id %s, mcc's config digest %s", id, want.Hex)
	}
}

// unpack unpacks the layout's image TAG into bundle with umoci.
func umociUnpack(t *testing.T, layoutDir, tag, bundle string) {
	t.Helper()
	run(t, tool(t, "umoci"), "unpack", "--image", layoutDir+":"+tag, bundle)
}

func TestUmociRuncRunsImage(t *testing.T) {
	testenv.Integration(t)
	dir := t.TempDir()
	b := buildHelloImage(t, dir, "amd64")
	lay := filepath.Join(dir, "layout")
	if err := writeLayout(lay, b, "hello:1"); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	umociUnpack(t, lay, "1", bundle)

	// runc needs no terminal when its stdout is a pipe.
	cfgPath := filepath.Join(bundle, "config.json")
	var cfg map[string]any
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	proc := cfg["process"].(map[string]any)
	proc["terminal"] = false
	if user := proc["user"].(map[string]any); user["uid"].(float64) != NonrootUID || user["gid"].(float64) != NonrootUID {
		t.Fatalf("umoci made the process user %v, want 65532:65532", user)
	}
	raw, _ = json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("mcc-image-test-%d", os.Getpid())
	got := run(t, tool(t, "runc"), "--root", filepath.Join(dir, "runc"), "run", "--bundle", bundle, id)
	if strings.TrimSpace(got) != imagetest.HelloWant {
		t.Fatalf("runc run printed %q, want %q", got, imagetest.HelloWant)
	}
}

func TestArm64ImageRunsUnderQemu(t *testing.T) {
	testenv.Integration(t)
	qemu := tool(t, "qemu-aarch64-static")
	dir := t.TempDir()
	b := buildHelloImage(t, dir, "arm64")
	if got := b.Platforms[0].Platform.Architecture; got != "arm64" {
		t.Fatalf("platform %s, want arm64", got)
	}
	lay := filepath.Join(dir, "layout")
	if err := writeLayout(lay, b, "hello:arm64"); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "bundle")
	umociUnpack(t, lay, "arm64", root)
	rootfs := filepath.Join(root, "rootfs")
	// Run the image's own binary, inside the image's root, as nonroot:
	// the static qemu goes in beside it because binfmt_misc is not set up.
	testenv.CopyFile(t, qemu, filepath.Join(rootfs, "qemu"))
	if err := os.Chmod(filepath.Join(rootfs, "qemu"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := run(t, tool(t, "chroot"), "--userspec=65532:65532", rootfs, "/qemu", "/app/hello")
	if strings.TrimSpace(got) != imagetest.HelloWant {
		t.Fatalf("arm64 binary under qemu printed %q, want %q", got, imagetest.HelloWant)
	}
}

func skopeoRaw(t *testing.T, ref string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"inspect", "--raw"}, extra...)
	return []byte(run(t, tool(t, "skopeo"), append(args, ref)...))
}

func TestSkopeoAcceptsArchiveLayoutAndIndex(t *testing.T) {
	testenv.Integration(t)
	dir := t.TempDir()
	single := buildHelloImage(t, filepath.Join(dir, "one"), "amd64")
	multi := buildHelloImage(t, filepath.Join(dir, "multi"), "amd64", "arm64")

	tarPath := filepath.Join(dir, "hello.tar")
	if err := WriteArchive(tarPath, single, "hello:1"); err != nil {
		t.Fatal(err)
	}
	var info struct {
		Architecture string
		Labels       map[string]string
	}
	if err := json.Unmarshal([]byte(run(t, tool(t, "skopeo"), "inspect", "docker-archive:"+tarPath)), &info); err != nil {
		t.Fatal(err)
	}
	if info.Architecture != "amd64" || info.Labels["mcc.ca-roots"] != pinLabel(CARootsPin) {
		t.Fatalf("skopeo inspect of the tar: %+v", info)
	}

	// A multi-platform archive holds one image per platform, named by tag.
	multiTar := filepath.Join(dir, "multi.tar")
	if err := WriteArchive(multiTar, multi, "hello:1"); err != nil {
		t.Fatal(err)
	}
	for ref, arch := range map[string]string{"hello:1": "amd64", "hello:1-amd64": "amd64", "hello:1-arm64": "arm64"} {
		if err := json.Unmarshal([]byte(run(t, tool(t, "skopeo"), "inspect", "docker-archive:"+multiTar+":"+ref)), &info); err != nil {
			t.Fatal(err)
		}
		if info.Architecture != arch {
			t.Errorf("%s in the multi-platform archive is %s, want %s", ref, info.Architecture, arch)
		}
	}

	for _, c := range []struct {
		name string
		b    *Built
	}{{"image", single}, {"index", multi}} {
		t.Run(c.name, func(t *testing.T) { checkSkopeoLayout(t, dir, c.name, c.b) })
	}
}

// checkSkopeoLayout writes b as a layout that skopeo must read and copy
// with the digest mcc computed.
func checkSkopeoLayout(t *testing.T, dir, name string, b *Built) {
	t.Helper()
	lay := filepath.Join(dir, "layout-"+name)
	if err := writeLayout(lay, b, "hello:1"); err != nil {
		t.Fatal(err)
	}
	want, _ := b.Digest()
	raw := skopeoRaw(t, "oci:"+lay+":1")
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(raw)); got != want.String() {
		t.Fatalf("skopeo reads digest %s from the layout, mcc wrote %s", got, want)
	}
	run(t, tool(t, "skopeo"), "inspect", "oci:"+lay+":1") // the full inspect parses the config too
	// Copying keeps the digest (skopeo 1.9.3 rewrites indexes that
	// carry artifactType, which mcc leaves out).
	cp := filepath.Join(dir, "copy-"+name)
	run(t, tool(t, "skopeo"), "copy", "--all", "--preserve-digests", "oci:"+lay+":1", "oci:"+cp+":1")
	raw = skopeoRaw(t, "oci:"+cp+":1")
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(raw)); got != want.String() {
		t.Fatalf("skopeo copy changed the digest: %s, want %s", got, want)
	}
}

func TestReproducibleFromDifferentDirectories(t *testing.T) {
	testenv.Integration(t)
	var digests []v1.Hash
	var archives, layouts [][]byte
	for _, d := range []string{t.TempDir(), filepath.Join(t.TempDir(), "deeper", "elsewhere")} {
		b := buildHelloImage(t, d, "amd64", "arm64")
		h, err := b.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, h)
		out := filepath.Join(d, "img.tar")
		if err := WriteArchive(out, b, "hello:1"); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(out)
		archives = append(archives, a)
		lay := filepath.Join(d, "layout")
		if err := writeLayout(lay, b, "hello:1"); err != nil {
			t.Fatal(err)
		}
		idx, _ := os.ReadFile(filepath.Join(lay, "index.json"))
		layouts = append(layouts, idx)
	}
	if digests[0] != digests[1] {
		t.Fatalf("digests differ between directories: %s vs %s", digests[0], digests[1])
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Fatal("docker-archive bytes differ between directories")
	}
	if !bytes.Equal(layouts[0], layouts[1]) {
		t.Fatal("layout index.json differs between directories")
	}
}

// loopbackRegistry serves go-containerregistry's in-memory registry on
// 127.0.0.1 until the test ends.
func loopbackRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestPushPullRoundTripKeepsDigest(t *testing.T) {
	testenv.Integration(t)
	host := loopbackRegistry(t)
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		archs []string
	}{{"image", []string{"amd64"}}, {"index", []string{"amd64", "arm64"}}} {
		t.Run(c.name, func(t *testing.T) {
			b := buildHelloImage(t, filepath.Join(dir, c.name), c.archs...)
			ref := host + "/mcc/hello-" + c.name + ":1"
			got, err := Push(context.Background(), ref, b, PushOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := b.Digest()
			if got != want {
				t.Fatalf("Push returned %s, want %s", got, want)
			}
			r, _ := name.ParseReference(ref)
			desc, err := remote.Get(r)
			if err != nil {
				t.Fatal(err)
			}
			if desc.Digest != want {
				t.Fatalf("pulled digest %s, pushed %s", desc.Digest, want)
			}
			if sum := fmt.Sprintf("sha256:%x", sha256.Sum256(desc.Manifest)); sum != want.String() {
				t.Fatalf("pulled manifest hashes to %s, want %s", sum, want)
			}
			// An independent client agrees.
			raw := skopeoRaw(t, "docker://"+ref, "--tls-verify=false")
			if sum := fmt.Sprintf("sha256:%x", sha256.Sum256(raw)); sum != want.String() {
				t.Fatalf("skopeo pulled a manifest hashing to %s, want %s", sum, want)
			}
		})
	}
}

func TestPushUnreachableRegistryIsBadInput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	bin := imagetest.BuildHello(t, t.TempDir(), "amd64")
	b, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Push(context.Background(), addr+"/x/hello:1", b, PushOptions{Remote: []remote.Option{remote.WithTransport(http.DefaultTransport)}})
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "cannot reach registry") {
		t.Fatalf("push to a closed port: %v, want a bad-input 'cannot reach registry' error", err)
	}
}

func tool(t testing.TB, name string) string {
	t.Helper()
	return testenv.Tool(t, name)
}
