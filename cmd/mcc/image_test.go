package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/image/imagetest"
	"github.com/mcc-build/mcc/internal/testenv"
)

// mcc runs the CLI in-process and returns exit code, stdout, stderr.
func mcc(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestImageBadInputExits2: each bad invocation of mcc image exits 2 with a
// one-line message naming the fix. It is long because its table is: one row
// per way to get the command wrong.
func TestImageBadInputExits2(t *testing.T) {
	t.Setenv("MCC_CACHE", t.TempDir())
	t.Setenv("MCC_MIRROR", "") // "no pinned CA roots" must find none
	t.Setenv("MCC_MIRROR_DIR", t.TempDir())
	dir := t.TempDir()
	amd64 := imagetest.BuildHello(t, filepath.Join(dir, "amd64"), "amd64")
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a program\n"), 0o644)
	gcc := testenv.Tool(t, "gcc")
	csrc := filepath.Join(dir, "x.c")
	os.WriteFile(csrc, []byte("int main(void){return 0;}\n"), 0o644)
	dynamic := filepath.Join(dir, "dyn")
	if b, err := exec.Command(gcc, "-o", dynamic, csrc).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	out := filepath.Join(dir, "img.tar")

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"no file", []string{"image", "-o", out}, []string{"no executable"}},
		{"no output", []string{"image", "--no-ca-certs", amd64}, []string{"no output"}},
		{"not ELF", []string{"image", "--no-ca-certs", "-o", out, text}, []string{"is not an ELF file"}},
		{"dynamic", []string{"image", "--no-ca-certs", "-o", out, dynamic}, []string{"dynamically linked", "mcc go build"}},
		{"platform mismatch", []string{"image", "--no-ca-certs", "-o", out, "--platform", "linux/arm64=" + amd64}, []string{"x86_64", "linux/arm64"}},
		{"target mismatch", []string{"--target", "linux/riscv64", "image", "--no-ca-certs", "-o", out, amd64}, []string{"x86_64", "linux/riscv64"}},
		{"bad platform", []string{"image", "--no-ca-certs", "-o", out, "--platform", "arm64=" + amd64}, []string{"not OS/ARCH"}},
		{"platform without file", []string{"image", "-o", out, "--platform", "linux/arm64"}, []string{"OS/ARCH=FILE"}},
		{"missing file", []string{"image", "--no-ca-certs", "-o", out, filepath.Join(dir, "nope")}, []string{"no such file", "build it first"}},
		{"unwritable output", []string{"image", "--no-ca-certs", "-o", filepath.Join(text, "x.tar"), amd64}, []string{"cannot write", "writable directory"}},
		{"output is a directory", []string{"image", "--no-ca-certs", "-o", dir, amd64}, []string{"is a directory"}},
		{"unreachable registry", []string{"image", "--no-ca-certs", "--push", closed + "/x/hello:1", amd64}, []string{"cannot reach registry", closed}},
		{"no pinned CA roots", []string{"--offline", "image", "-o", out, amd64}, []string{"pin ca-roots", "mcc mirror fill DIR", "--ca-roots FILE", "--no-ca-certs"}},
		{"no pinned zoneinfo", []string{"--offline", "image", "--no-ca-certs", "--tzdata", "-o", out, amd64}, []string{"pin zoneinfo", "mcc mirror fill DIR", "--zoneinfo FILE"}},
		{"wrong CA roots", []string{"image", "--ca-roots", text, "-o", out, amd64}, []string{"pin ca-roots", "is not the pinned", "bytes"}},
		{"wrong zoneinfo", []string{"image", "--no-ca-certs", "--zoneinfo", text, "-o", out, amd64}, []string{"pin zoneinfo", "is not the pinned"}},
		{"no CA and CA roots", []string{"image", "--no-ca-certs", "--ca-roots", text, "-o", out, amd64}, []string{"contradict"}},
		{"bad entrypoint", []string{"image", "--no-ca-certs", "-o", out, "--entrypoint", "[oops", amd64}, []string{"JSON array"}},
		{"bad tag", []string{"image", "--no-ca-certs", "-o", out, "--tag", "Has Spaces", amd64}, []string{"not an image name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.WriteFile(out, []byte("previous"), 0o644)
			code, stdout, stderr := mcc(t, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, stdout, stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "mcc: ") {
				t.Errorf("stderr is not one 'mcc: ...' line: %q", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
			if b, _ := os.ReadFile(out); string(b) != "previous" {
				t.Errorf("a failed run changed %s", out)
			}
		})
	}
	// Nothing half-written was left beside the output.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestImageSameDigestFromDifferentDirectories(t *testing.T) {
	testenv.Integration(t)
	ca, tz := imagetest.PinnedInputs(t)
	t.Setenv("MCC_CACHE", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	type result struct {
		Digest    string
		Platforms []struct{ Platform, Digest string }
		SBOM      []string
	}
	var results []result
	var tars, sboms [][]byte
	for _, d := range []string{t.TempDir(), filepath.Join(t.TempDir(), "a", "b")} {
		amd64 := imagetest.BuildHello(t, filepath.Join(d, "amd64"), "amd64")
		arm64 := imagetest.BuildHello(t, filepath.Join(d, "arm64"), "arm64")
		t.Chdir(d)
		code, stdout, stderr := mcc(t, "--json", "image", "-o", "out/hello.tar", "--layout", "out/layout", "--tzdata",
			"--ca-roots", ca, "--zoneinfo", tz, "--tag", "hello:1",
			"--platform", "linux/amd64="+amd64, "--platform", "linux/arm64="+arm64)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r result
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("--json output %q: %v", stdout, err)
		}
		results = append(results, r)
		b, _ := os.ReadFile(filepath.Join(d, "out", "hello.tar"))
		if code, _, stderr := mcc(t, "image", "--no-ca-certs", "-o", "tc.tar", "--toolchain-manifest", "toolchain.json", amd64); code != 2 || !strings.Contains(stderr, "toolchain manifest") {
			t.Fatalf("missing toolchain manifest: exit %d %q", code, stderr)
		}
		os.WriteFile("toolchain.json", []byte(`{"components":[{"name":"musl","version":"1.2.3","sha256":"7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"},{"name":"gcc-aarch64-linux-gnu","version":"12.2.0"}]}`), 0o644)
		if code, _, stderr := mcc(t, "image", "--no-ca-certs", "-o", "tc.tar", "--toolchain-manifest", "toolchain.json", amd64); code != 0 {
			t.Fatalf("with a toolchain manifest: exit %d %q", code, stderr)
		}
		if sb, _ := os.ReadFile("tc.spdx.json"); !bytes.Contains(sb, []byte("7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4")) || !bytes.Contains(sb, []byte("gcc-aarch64-linux-gnu")) {
			t.Fatal("the SBOM beside the output lacks the toolchain components")
		}
		tars = append(tars, b)
		s, _ := os.ReadFile(filepath.Join(d, "out", "hello.linux-arm64.spdx.json"))
		sboms = append(sboms, s)
	}
	if results[0].Digest != results[1].Digest || !strings.HasPrefix(results[0].Digest, "sha256:") {
		t.Fatalf("digests differ: %s vs %s", results[0].Digest, results[1].Digest)
	}
	if len(results[0].Platforms) != 2 || len(results[0].SBOM) != 2 {
		t.Fatalf("result %+v: want two platforms and two SBOMs", results[0])
	}
	if !bytes.Equal(tars[0], tars[1]) || len(tars[0]) == 0 {
		t.Fatal("the docker-archives differ between directories")
	}
	if !bytes.Equal(sboms[0], sboms[1]) || !bytes.Contains(sboms[0], []byte(`"SPDX-2.3"`)) {
		t.Fatal("the SBOMs differ between directories, or are not SPDX")
	}
}

// snapshot records every file and directory under dir: kind, mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(p)
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		m[p] = v
		return nil
	})
	return m
}

// TestImageNeverDestroysUserFiles is issue 9's class 1 (and 3, FIFOs) for
// mcc image: each refusal exits 2 with one line and leaves every file as it
// was, nothing added; a FIFO never blocks.
func TestImageNeverDestroysUserFiles(t *testing.T) {
	t.Setenv("MCC_CACHE", t.TempDir())
	t.Setenv("MCC_MIRROR", "")
	t.Setenv("MCC_MIRROR_DIR", t.TempDir())
	hello := imagetest.BuildHello(t, t.TempDir(), "amd64")
	helloBytes, _ := os.ReadFile(hello)

	// Each case runs in a fresh directory holding bin (the program), add.txt
	// and a FIFO; setup adds what the case needs.
	cases := []struct {
		name  string
		setup func(d string)
		args  []string // relative to the case directory
		want  []string
	}{
		{"layout dir with user files", func(d string) { mkfile(t, d, "lay/notes.txt", "mine") },
			[]string{"--layout", "lay", "bin"}, []string{"not an OCI layout", "no oci-layout file", "new or empty directory"}},
		{"layout with a stray file", func(d string) {
			mkfile(t, d, "lay/oci-layout", `{"imageLayoutVersion":"1.0.0"}`)
			mkfile(t, d, "lay/index.json", "{}")
			mkfile(t, d, "lay/blobs/sha256/README", "mine")
		}, []string{"--layout", "lay", "bin"}, []string{"blobs/sha256/README", "not part of an OCI layout"}},
		{"layout is a file", func(d string) { mkfile(t, d, "lay", "mine") },
			[]string{"--layout", "lay", "bin"}, []string{"is a file"}},
		{"layout is a symlink", func(d string) { os.Mkdir(filepath.Join(d, "real"), 0o755); os.Symlink("real", filepath.Join(d, "lay")) },
			[]string{"--layout", "lay", "bin"}, []string{"symbolic link"}},
		{"output is the binary", nil, []string{"-o", "bin", "bin"}, []string{"also the input", "give another -o"}},
		{"output is a hard link to the binary", func(d string) { os.Link(filepath.Join(d, "bin"), filepath.Join(d, "link")) },
			[]string{"-o", "link", "bin"}, []string{"also the input"}},
		{"output is an added file", nil, []string{"-o", "add.txt", "--add", "/etc/x=add.txt", "bin"}, []string{"also the input"}},
		{"output is the toolchain manifest", func(d string) { mkfile(t, d, "tc.json", `{"components":[]}`) },
			[]string{"-o", "tc.json", "--toolchain-manifest", "tc.json", "bin"}, []string{"also the input"}},
		{"SBOM beside the output is an input", func(d string) { mkfile(t, d, "img.spdx.json", "mine") },
			[]string{"-o", "img.tar", "--add", "/etc/x=img.spdx.json", "bin"}, []string{"img.spdx.json is also the input"}},
		{"output is a directory", func(d string) { os.Mkdir(filepath.Join(d, "out"), 0o755) },
			[]string{"-o", "out", "bin"}, []string{"is a directory", "-o"}},
		{"output under a file", nil, []string{"-o", "add.txt/img.tar", "bin"}, []string{"cannot write", "writable directory"}},
		{"binary is a FIFO", nil, []string{"-o", "img.tar", "fifo"}, []string{"named pipe", "regular file"}},
		{"binary is a directory", func(d string) { os.Mkdir(filepath.Join(d, "dir"), 0o755) },
			[]string{"-o", "img.tar", "dir"}, []string{"is a directory"}},
		{"added file is a FIFO", nil, []string{"-o", "img.tar", "--add", "/etc/x=fifo", "bin"}, []string{"named pipe"}},
		{"toolchain manifest is a FIFO", nil, []string{"-o", "img.tar", "--toolchain-manifest", "fifo", "bin"}, []string{"named pipe"}},
		{"CA roots are a FIFO", nil, []string{"-o", "img.tar", "--ca-roots", "fifo", "bin"}, []string{"named pipe"}},
		{"zoneinfo is a FIFO", nil, []string{"-o", "img.tar", "--zoneinfo", "fifo", "bin"}, []string{"named pipe"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			mkfile(t, d, "bin", string(helloBytes))
			os.Chmod(filepath.Join(d, "bin"), 0o755)
			mkfile(t, d, "add.txt", "mine")
			if err := syscall.Mkfifo(filepath.Join(d, "fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(d)
			}
			t.Chdir(d)
			before := snapshot(t, d)
			args := append([]string{"image"}, c.args...)
			if !slices.Contains(args, "--ca-roots") && !slices.Contains(args, "--zoneinfo") {
				args = append([]string{"image", "--no-ca-certs"}, c.args...)
			}
			code, stderr := mccWithin(t, 20*time.Second, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "mcc: ") {
				t.Errorf("stderr is not one 'mcc: ...' line: %q", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
			if after := snapshot(t, d); !maps.Equal(before, after) {
				t.Errorf("a refused run changed the directory:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// mccWithin runs mcc and fails the test if it does not end in time (an
// input opened before it was checked would block forever).
func mccWithin(t *testing.T, d time.Duration, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		done <- result{code, errb.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.stderr
	case <-time.After(d):
		t.Fatalf("mcc %v still runs after %v", args, d)
	}
	return 0, ""
}

func mkfile(t *testing.T, dir, rel, content string) {
	imagetest.WriteFile(t, filepath.Join(dir, rel), content)
}

// TestImageLayoutReplacesOnlyLayouts: --layout fills a new or empty
// directory and replaces a layout mcc wrote, with nothing left beside it.
func TestImageLayoutReplacesOnlyLayouts(t *testing.T) {
	t.Setenv("MCC_CACHE", t.TempDir())
	d := t.TempDir()
	bin := imagetest.BuildHello(t, d, "amd64")
	os.Mkdir(filepath.Join(d, "empty"), 0o755)
	t.Chdir(d)
	var indexes []string
	for _, lay := range []string{"empty", "new/lay", "new/lay"} { // the last replaces the second
		code, stdout, stderr := mcc(t, "image", "--no-ca-certs", "--layout", lay, "--tag", "hello:1", bin)
		if code != 0 {
			t.Fatalf("--layout %s: exit %d %s", lay, code, stderr)
		}
		if !strings.Contains(stdout, "wrote "+lay+" (OCI layout") {
			t.Errorf("stdout %q does not name the layout", stdout)
		}
		idx, err := os.ReadFile(filepath.Join(lay, "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, string(idx))
	}
	if indexes[0] != indexes[1] || indexes[1] != indexes[2] {
		t.Fatal("the same image gave different layouts")
	}
	for _, dir := range []string{d, filepath.Join(d, "new")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind %s in %s", e.Name(), dir)
			}
		}
	}
}

// TestImageCAFile: --ca-file is checked (exit 2, one line naming the file,
// nothing written), changes the digest, keeps it stable and is listed in
// the SBOM with its sha256 and subject.
func TestImageCAFile(t *testing.T) {
	t.Setenv("MCC_CACHE", t.TempDir())
	dir := t.TempDir()
	hello := imagetest.BuildHello(t, filepath.Join(dir, "bin"), "amd64")
	ca := imagetest.NewCA(t, "Corp Root")
	_, leaf := ca.Leaf(t, false)
	good, leafFile, text := filepath.Join(dir, "corp-root.pem"), filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "notes.txt")
	os.WriteFile(good, ca.PEM, 0o644)
	os.WriteFile(leafFile, leaf, 0o644)
	os.WriteFile(text, []byte("not a certificate\n"), 0o644)
	out := filepath.Join(dir, "img.tar")
	for _, c := range []struct{ name, file, want string }{
		{"not PEM", text, "holds no PEM certificate"},
		{"not a CA", leafFile, "is not a CA certificate"},
		{"missing", filepath.Join(dir, "nope.pem"), "no such file"},
		{"directory", dir, "is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.WriteFile(out, []byte("previous"), 0o644)
			code, _, stderr := mcc(t, "image", "--no-ca-certs", "--ca-file", good, "--ca-file", c.file, "-o", out, hello)
			if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, c.file) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q: want 2 and one line naming %s and saying %q", code, stderr, c.file, c.want)
			}
			if b, _ := os.ReadFile(out); string(b) != "previous" {
				t.Errorf("a refused --ca-file changed %s", out)
			}
		})
	}
	digest := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := mcc(t, append([]string{"--json", "image", "--no-ca-certs", "-o", out}, append(args, hello)...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r struct{ Digest string }
		json.Unmarshal([]byte(stdout), &r)
		return r.Digest
	}
	without, with, again := digest(), digest("--ca-file", good), digest("--ca-file", good)
	if without == with || with != again || with == "" {
		t.Fatalf("digests without %s, with --ca-file %s, again %s: want a change, then the same", without, with, again)
	}
	sb, _ := os.ReadFile(filepath.Join(dir, "img.spdx.json"))
	sum := sha256.Sum256(ca.PEM)
	for _, w := range []string{`"name": "corp-root.pem"`, hex.EncodeToString(sum[:]), "CN=Corp Root,O=mcc test"} {
		if !bytes.Contains(sb, []byte(w)) {
			t.Errorf("the SBOM beside the image lacks %s:\n%s", w, sb)
		}
	}
}
