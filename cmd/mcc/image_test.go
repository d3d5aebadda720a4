package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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

func TestImageBadInputExits2(t *testing.T) {
	t.Setenv("MCC_CACHE", t.TempDir())
	t.Setenv("MCC_MIRROR", "") // "no pinned CA package" must find none
	t.Setenv("MCC_CA_DEB", "")
	t.Setenv("MCC_TZDATA_DEB", "")
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
		{"no pinned CA package", []string{"--offline", "image", "-o", out, amd64}, []string{"ca-certificates", "apt-get download ca-certificates=", "--ca-deb"}},
		{"wrong CA package", []string{"image", "--ca-deb", text, "-o", out, amd64}, []string{"sha256", "apt-get download ca-certificates="}},
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
	ca, tz := imagetest.PinnedDebs(t)
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
			"--ca-deb", ca, "--tzdata-deb", tz, "--tag", "hello:1",
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
