package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/image"
	"github.com/mcc-build/mcc/internal/image/imagetest"
	"github.com/mcc-build/mcc/internal/testenv"
)

// tlsBody is what the test servers answer.
const tlsBody = "hello over tls from the mcc test server"

// tlsServer serves tlsBody over TLS on 127.0.0.1 with a certificate that
// ca signed, until the test ends. The URL names localhost: Mono 6.8's
// BTLS does not match an IP address against a certificate's IP SANs, so
// https://127.0.0.1/ fails verification even with a trusted CA (seen with
// Debian's mono too).
func tlsServer(t *testing.T, ca *imagetest.CA) string {
	t.Helper()
	cert, _ := ca.Leaf(t, false)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, tlsBody) }),
		ErrorLog: log.New(io.Discard, "", 0), // the refused handshakes are expected
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("https://localhost:%d/", l.Addr().(*net.TCPAddr).Port)
}

// tlsFixture is the HTTPS client compiled by mcs, a test CA in a PEM
// file, a server whose certificate it signed and one signed by a CA the
// images do not know.
type tlsFixture struct {
	dir, exe, caFile   string
	trusted, untrusted string // server URLs
}

func newTLSFixture(t *testing.T) *tlsFixture {
	t.Helper()
	dir := t.TempDir()
	f := &tlsFixture{dir: dir, caFile: filepath.Join(dir, "testCA.pem")}
	f.exe = mkbCompile(t, dir, "httpsclient.exe", mkbExampleSource(t, "httpsclient"), "-r:System.Net.Http.dll")
	ca := imagetest.NewCA(t, "mcc TLS test CA")
	if err := os.WriteFile(f.caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	f.trusted = tlsServer(t, ca)
	f.untrusted = tlsServer(t, imagetest.NewCA(t, "mcc TLS test stranger CA"))
	return f
}

// bundle runs mcc [global flags] mkbundle --image --ca-file [flags] and
// returns the bundle and image paths and the image digest.
func (f *tlsFixture) bundle(t *testing.T, env []string, name string, extra ...string) (bundle, archive, digest string) {
	t.Helper()
	return f.bundleIn(t, f.dir, env, name, extra...)
}

func (f *tlsFixture) bundleIn(t *testing.T, dir string, env []string, name string, extra ...string) (bundle, archive, digest string) {
	t.Helper()
	bundle, archive = filepath.Join(dir, name), filepath.Join(dir, name+".tar")
	args := append(append([]string{}, env...), "--json", "mkbundle", "-o", bundle, "--image", archive, "--ca-file", f.caFile)
	args = append(append(args, extra...), f.exe)
	stdout, stderr, code := mkbMcc(t, args...)
	if code != 0 {
		t.Fatalf("mcc %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	var r mkbundleResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	return bundle, archive, r.Digest
}

// requireBTLS fails when the static musl runtime in bundle has no BTLS:
// the runtime's table of linked-in natives would name BTLS's entry points.
// Only the ELF sections are searched: the assemblies appended after them
// name the same functions in System.dll's P/Invokes.
func requireBTLS(t *testing.T, bundle string) {
	t.Helper()
	ef, err := elf.Open(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	found := false
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NOBITS {
			continue
		}
		if b, err := s.Data(); err == nil && bytes.Contains(b, []byte("mono_btls_ssl_ctx_new")) {
			found = true
		}
	}
	if !found {
		t.Fatal("the static musl Mono runtime has no BTLS (boringssl, built into toolchains/mono.go's runtime): every HTTPS request would fail with 'TLS Support not available'")
	}
}

// checkTLSRun checks the client's output: both clients read tlsBody from a
// trusted server; an untrusted one fails with a certificate error.
func checkTLSRun(t *testing.T, what string, trusted bool, out []byte, err error) {
	t.Helper()
	s := string(out)
	if trusted {
		if err != nil || !strings.Contains(s, "webclient: "+tlsBody) || !strings.Contains(s, "httpclient: "+tlsBody) {
			t.Errorf("%s, trusted server: %v\n%s", what, err, s)
		}
		return
	}
	if err == nil || !strings.Contains(s, "TrustFailure") || !strings.Contains(s, "CERTIFICATE_VERIFY_FAILED") {
		t.Errorf("%s, server of an unknown CA: want exit 1 with TrustFailure ... CERTIFICATE_VERIFY_FAILED, got %v\n%s", what, err, s)
	}
}

// addURandom gives root a /dev/urandom: the BoringSSL in Debian's Mono
// (the --libc glibc image) opens it at its first handshake and aborts
// without it. Container runtimes mount /dev; a bare unshare/chroot root has
// none. mcc's musl runtime needs none (patches/mono/0004): see noDev.
func addURandom(t *testing.T, root string) {
	t.Helper()
	dev := filepath.Join(root, "dev")
	os.MkdirAll(dev, 0o755)
	if err := syscall.Mknod(filepath.Join(dev, "urandom"), syscall.S_IFCHR|0o666, (1<<8)|9 /* makedev(1, 9) */); err != nil && !os.IsExist(err) {
		t.Fatalf("mknod %s/urandom: %v", dev, err)
	}
}

// noDev fails unless root has no /dev: the roots the musl runtime's TLS
// runs in prove that its BoringSSL reads getrandom(2) when there is no
// /dev/urandom (patches/mono/0004).
func noDev(t *testing.T, root string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(root, "dev")); !os.IsNotExist(err) {
		t.Fatalf("%s/dev exists (%v): this root must have no /dev/urandom", root, err)
	}
}

// runInRoot runs argv in root (unshare: own mount and pid namespaces, the
// host's network), as nonroot if asked.
func runInRoot(root string, nonroot bool, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return mkbInRootAs(ctx, root, nonroot, argv...).CombinedOutput()
}

// copyTrust copies the image's Mono trust store into an empty root.
func copyTrust(t *testing.T, imageRoot, root string) {
	t.Helper()
	src := filepath.Join(imageRoot, image.MonoTrustDir)
	dst := filepath.Join(root, image.MonoTrustDir)
	entries, err := os.ReadDir(src)
	if err != nil || len(entries) < 100 {
		t.Fatalf("the image's %s: %v (%d files, want the pinned roots and the test CA)", image.MonoTrustDir, err, len(entries))
	}
	os.MkdirAll(dst, 0o755)
	for _, e := range entries {
		testenv.CopyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
}

// TestTLSClientMusl: the HTTPS client bundled with the static musl runtime
// trusts the test CA given with --ca-file and refuses a stranger's
// certificate: from its image (unpacked, and under podman) and in an empty
// root holding only the bundle and the trust store (no /dev).
func TestTLSClientMusl(t *testing.T) {
	env := mkbEnv(t)
	f := newTLSFixture(t)
	bundle, archive, digest := f.bundle(t, env, "httpsclient")

	t.Run("ca-file changes the digest", func(t *testing.T) {
		out := filepath.Join(f.dir, "noca.tar")
		args := append(append([]string{}, env...), "--json", "mkbundle", "-o", filepath.Join(f.dir, "noca"), "--image", out, f.exe)
		stdout, stderr, code := mkbMcc(t, args...)
		var r mkbundleResult
		json.Unmarshal([]byte(stdout), &r)
		if code != 0 || r.Digest == "" || r.Digest == digest {
			t.Fatalf("without --ca-file: exit %d digest %q (with: %s)\n%s", code, r.Digest, digest, stderr)
		}
		if _, _, again := f.bundleIn(t, t.TempDir(), env, "httpsclient"); again != digest {
			t.Errorf("same inputs, digests %s and %s", digest, again)
		}
	})
	requireBTLS(t, bundle)
	imageRoot := mkbImageRoot(t, archive)
	noDev(t, imageRoot)
	t.Run("image root", func(t *testing.T) {
		for _, trusted := range []bool{true, false} {
			url := map[bool]string{true: f.trusted, false: f.untrusted}[trusted]
			out, err := runInRoot(imageRoot, true, "/app/httpsclient", url)
			checkTLSRun(t, "unpacked image, nonroot", trusted, out, err)
		}
	})
	t.Run("empty root", func(t *testing.T) {
		root := mkbRoot(t, bundle)
		copyTrust(t, imageRoot, root)
		noDev(t, root)
		for _, trusted := range []bool{true, false} {
			url := map[bool]string{true: f.trusted, false: f.untrusted}[trusted]
			out, err := runInRoot(root, false, "/httpsclient", url)
			checkTLSRun(t, "empty root", trusted, out, err)
		}
	})
	t.Run("podman", func(t *testing.T) {
		run := tlsPodman(t, archive)
		for _, trusted := range []bool{true, false} {
			url := map[bool]string{true: f.trusted, false: f.untrusted}[trusted]
			out, err := run(url)
			checkTLSRun(t, "podman run", trusted, out, err)
		}
	})
}

// TestTLSClientArm64UnderQemu: the same client bundled for linux/arm64
// runs under qemu-user in an empty root (qemu and the image's trust store
// copied in) against the same servers.
func TestTLSClientArm64UnderQemu(t *testing.T) {
	env := mkbEnv(t)
	testenv.PinFile(t, "kernel-headers-arm64")
	qemu := testenv.Tool(t, "qemu-aarch64-static")
	testenv.Tool(t, "aarch64-linux-gnu-g++") // Mono's configure probes C++
	f := newTLSFixture(t)
	bundle, archive, _ := f.bundle(t, append(env, "--target", "linux/arm64"), "httpsclient-arm64")
	requireBTLS(t, bundle)
	root := mkbRoot(t, bundle, qemu)
	copyTrust(t, mkbImageRoot(t, archive), root)
	noDev(t, root)
	for _, trusted := range []bool{true, false} {
		url := map[bool]string{true: f.trusted, false: f.untrusted}[trusted]
		out, err := runInRoot(root, false, "/qemu-aarch64-static", "/httpsclient-arm64", url)
		checkTLSRun(t, "arm64 under qemu", trusted, out, err)
	}
}

// TestTLSClientGlibcImage: the --libc glibc image (Debian's Mono, whose
// BTLS is a shared library) trusts the same store.
func TestTLSClientGlibcImage(t *testing.T) {
	env := mkbEnv(t)
	testenv.Tool(t, "mono")
	f := newTLSFixture(t)
	_, archive, _ := f.bundle(t, env, "httpsclient-glibc", "--libc", "glibc")
	root := mkbImageRoot(t, archive)
	addURandom(t, root)
	if _, err := os.Stat(filepath.Join(root, "usr/lib/libmono-btls-shared.so")); err != nil {
		t.Fatalf("the --libc glibc image lacks Debian's /usr/lib/libmono-btls-shared.so (System.dll P/Invokes it for TLS): %v", err)
	}
	for _, trusted := range []bool{true, false} {
		url := map[bool]string{true: f.trusted, false: f.untrusted}[trusted]
		out, err := runInRoot(root, true, "/app/httpsclient-glibc", url)
		checkTLSRun(t, "glibc image, nonroot", trusted, out, err)
	}
}

// tlsPodman loads archive into a private podman store (vfs, runc: FACTS.md)
// and returns a function running the image with the host's network (the
// servers listen on 127.0.0.1) and the given arguments.
func tlsPodman(t *testing.T, archive string) func(args ...string) ([]byte, error) {
	t.Helper()
	podman := testenv.Tool(t, "podman")
	testenv.Tool(t, "runc")
	root, err := os.MkdirTemp("", "mcc-tls") // podman refuses a runroot over 50 characters
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	base := []string{"--root", filepath.Join(root, "storage"), "--runroot", filepath.Join(root, "run"), "--storage-driver", "vfs",
		"--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "none"}
	out, err := exec.Command(podman, append(base, "load", "-q", "-i", archive)...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman load %s: %v\n%s", archive, err, out)
	}
	t.Cleanup(func() { exec.Command(podman, append(base, "rmi", "-af")...).Run() })
	tag := strings.TrimSpace(string(out[bytes.LastIndex(out, []byte(": "))+2:]))
	return func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		run := append(base, "run", "--rm", "--network=host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", tag)
		return exec.CommandContext(ctx, podman, append(run, args...)...).CombinedOutput()
	}
}
