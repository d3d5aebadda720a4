package toolchains

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/internal/testenv"
	monopatches "github.com/mcc-build/mcc/patches/mono"
	"github.com/mcc-build/mcc/sysroots"
)

func TestSkipMonoSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		skip bool
	}{
		{"mono/mini/main.c", false},
		{"configure", false},
		{"mcs/class/corlib/System/String.cs", true},
		{"mcs/build/config-default.make", false},
		{"mono/tests/Makefile.in", false},
		{"mono/tests/tests-config.in", false},
		{"mono/tests/array-coop-bigvt.cs", true},
		{"external/boringssl/crypto/aes/aes.c", false},
		{"external/boringssl/ssl/test/bssl_shim.cc", true},
		{"external/boringssl/fuzz/client.cc", true},
		{"external/mono-btls-less/x.c", true},
		{"external/corefx/src/Native/Unix/System.Native/pal_io.c", false},
		{"external/corefx/src/System.Runtime/ref/System.Runtime.cs", true},
		{"support/zlib-helper.c", false},
	} {
		if got := skipMonoSource(tc.name); got != tc.skip {
			t.Errorf("skipMonoSource(%q) = %v, want %v", tc.name, got, tc.skip)
		}
	}
}

func TestMonoPatchesAreOrderedAndNamed(t *testing.T) {
	ps := monopatches.Patches()
	if len(ps) < 2 {
		t.Fatalf("want the build-date and static-natives patches, got %d", len(ps))
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
		if len(p.SHA256) != 64 || !bytes.Contains(p.Data, []byte("\n+++ b/")) {
			t.Errorf("%s: not a -p1 unified diff", p.Name)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("patches out of order: %v", names)
	}
}

func TestArMembersAndNativeSymbols(t *testing.T) {
	cc := testenv.Tool(t, "gcc")
	ar := testenv.Tool(t, "ar")
	dir := t.TempDir()
	src := filepath.Join(dir, "a_rather_long_object_name.c")
	os.WriteFile(src, []byte("int zeta(void){return 1;}\nint alpha(void){return 2;}\nstatic int hidden(void){return 3;}\nint _internal(void){return hidden();}\nint counter;\n"), 0o644)
	obj := filepath.Join(dir, "a_rather_long_object_name.o")
	lib := filepath.Join(dir, "libx.a")
	if out, err := exec.Command(cc, "-c", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := exec.Command(ar, "rcs", lib, obj).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	syms, err := NativeSymbols(lib)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(syms, ",") != "alpha,zeta" {
		t.Errorf("symbols = %v, want [alpha zeta] (functions only, no statics, no _names, sorted)", syms)
	}
	c := string(NativeTableC(syms, []string{"c", "x"}))
	if !strings.Contains(c, `{"alpha", (void *)alpha}`) || !strings.Contains(c, "mcc_native_symbols_count = 2;") ||
		!strings.Contains(c, "mcc_linked_libraries[] = {\n\t\"c\",\n\t\"x\",\n\tNULL\n};") {
		t.Errorf("table:\n%s", c)
	}
	if _, err := NativeSymbols(src); err == nil || !strings.Contains(err.Error(), "not an ar archive") {
		t.Errorf("a C source read as an archive: %v", err)
	}
}

// monoInputs are the mirror files each target's runtime build needs.
var monoInputs = map[string][]string{
	"linux/amd64": {pinFile(MonoSourcePin), pinFile("kernel-headers-amd64")},
	"linux/arm64": {pinFile(MonoSourcePin), pinFile("kernel-headers-arm64")},
}

// monoRuntime builds (or finds in the shared test store) the static runtime.
func monoRuntime(t *testing.T, target string) *MonoRuntime {
	t.Helper()
	src := testenv.Sources(t)
	for _, f := range monoInputs[target] {
		_, err := os.Stat(filepath.Join(src, f))
		testenv.Require(t, f+" missing from MCC_TEST_SOURCES: run make mirror (mcc mirror fill --dir "+src+")", err == nil)
	}
	tgt, err := Lookup(target)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := InstallMono(context.Background(), installer(t), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestMonoRuntimeIsStaticAndRuns builds the runtime from the pinned source
// and patches and proves it static, stripped of nothing it needs, and alive.
func TestMonoRuntimeIsStaticAndRuns(t *testing.T) {
	rt := monoRuntime(t, "linux/amd64")
	r, err := elfcheck.Check(rt.Runtime, elfcheck.Want{Machine: elf.EM_X86_64})
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("runtime not static amd64: %v %v", err, r.Problems)
	}
	out, err := exec.Command(rt.Runtime, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Mono JIT compiler version 6.8.0.105") {
		t.Fatalf("mono --version: %v\n%s", err, out)
	}
	// The build date comes from SOURCE_DATE_EPOCH (patch 0001), not the clock.
	if !strings.Contains(string(out), "2020") {
		t.Errorf("build date not reproducible:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(rt.Dir, "work")); err == nil {
		t.Error("build tree left in the store entry")
	}
}

// TestMonoRuntimeArm64UnderQemu cross-builds the linux/arm64 runtime and
// runs it under qemu-user.
func TestMonoRuntimeArm64UnderQemu(t *testing.T) {
	testenv.Tool(t, "qemu-aarch64-static")
	testenv.Tool(t, "aarch64-linux-gnu-g++") // Mono's configure probes C++
	rt := monoRuntime(t, "linux/arm64")
	r, err := elfcheck.Check(rt.Runtime, elfcheck.Want{Machine: elf.EM_AARCH64})
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("runtime not static arm64: %v %v", err, r.Problems)
	}
	tgt, _ := Lookup("linux/arm64")
	out, err := runOn(tgt, rt.Runtime, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Mono JIT compiler version 6.8.0.105") || !strings.Contains(string(out), "Architecture:  arm64") {
		t.Fatalf("mono --version under qemu: %v\n%s", err, out)
	}
}

// TestMonoPatchThatNoLongerAppliesIsAClearError applies patches/mono to a
// tree without Mono's files: the first patch must fail, by name.
func TestMonoPatchThatNoLongerAppliesIsAClearError(t *testing.T) {
	testenv.Tool(t, "patch")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "mono", "mini"), 0o755)
	os.WriteFile(filepath.Join(dir, "mono", "mini", "Makefile.in"), []byte("something else entirely\n"), 0o644)
	var log bytes.Buffer
	err := applyMonoPatches(&runner{ctx: context.Background(), dir: dir, log: &log})
	if err == nil || !strings.Contains(err.Error(), "patches/mono/0001-reproducible-build-date.patch no longer applies to mono-source") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error: %q", err)
	}
}

// pinFile is the file name the test sources hold a pin under.
func pinFile(role string) string {
	p, err := sysroots.Lookup(role)
	if err != nil {
		panic(err)
	}
	return p.File
}

func TestLinkedLibraryName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"sqlite3", "sqlite3"},
		{"libsqlite3.so.0", "sqlite3"},
		{"/usr/lib/libmono-btls-shared.so", "mono-btls-shared"},
		{"libmono-btls-shared", "mono-btls-shared"},
		{"foo.dll", "foo"},
		{"libfoo.dylib", "foo"},
		{"libc", "c"},
		{"lib", "lib"},
		{"libfoo.sock", "foo.sock"},
	} {
		if got := LinkedLibraryName(tc.in); got != tc.want {
			t.Errorf("LinkedLibraryName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMonoRuntimeTableHasBTLS: the runtime's link inputs list BTLS's
// functions in the table and the library name the class libraries use.
func TestMonoRuntimeTableHasBTLS(t *testing.T) {
	rt := monoRuntime(t, "linux/amd64")
	spec, err := readLinkSpec(rt)
	if err != nil {
		t.Fatal(err)
	}
	btls := 0
	for _, s := range spec.Symbols {
		if strings.HasPrefix(s, "mono_btls_") {
			btls++
		}
	}
	// Mono 6.8's Mono.Btls imports about 200 mono_btls_* functions.
	if btls < 150 || !slices.Contains(spec.Symbols, "mono_btls_ssl_new") || !slices.Contains(spec.Symbols, "mono_btls_x509_from_data") {
		t.Errorf("table has %d mono_btls_* symbols, want the BTLS glue's ~200", btls)
	}
	if !slices.Contains(spec.Libraries, LinkedLibraryName("libmono-btls-shared")) {
		t.Errorf("linked libraries %v lack mono-btls-shared", spec.Libraries)
	}
	// The runtime links what the table names: the strings are in it.
	b, err := os.ReadFile(rt.Runtime)
	if err != nil || !bytes.Contains(b, []byte("mono_btls_ssl_ctx_new\x00")) || !bytes.Contains(b, []byte("mono-btls-shared\x00")) {
		t.Errorf("runtime %s lacks the BTLS table entries (%v)", rt.Runtime, err)
	}
}

// tlsTestCert makes a self-signed RSA certificate for localhost: the Go
// side's tls.Certificate, its PEM (the C# client pins it) and a PKCS#12
// file with password "tlscheck" (the C# server's), written by openssl with
// the SHA1-3DES encryption Mono 6.8 reads (OpenSSL 3's default is AES).
func tlsTestCert(t *testing.T, dir string) (tls.Certificate, string, string) {
	t.Helper()
	openssl := testenv.Tool(t, "openssl")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	certFile, keyFile, pfx := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pfx")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	if out, err := exec.Command(openssl, "pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-out", pfx, "-passout", "pass:tlscheck",
		"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1").CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair, certFile, pfx
}

// monoBundle compiles a C# source with Debian's mcs and bundles it with rt.
func monoBundle(t *testing.T, rt *MonoRuntime, dir, src string) string {
	t.Helper()
	mcs := testenv.Tool(t, "mcs")
	exe := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".cs")+".exe")
	if out, err := exec.Command(mcs, "-out:"+exe, src).CombinedOutput(); err != nil {
		t.Fatalf("mcs %s: %v\n%s", src, err, out)
	}
	return monoBundleExe(t, rt, exe)
}

// monoBundleExe bundles a compiled program with rt, beside it.
func monoBundleExe(t *testing.T, rt *MonoRuntime, exe string) string {
	t.Helper()
	out := strings.TrimSuffix(exe, ".exe") + "-" + strings.ReplaceAll(rt.Target, "/", "-") + "-" + rt.Key[len(rt.Key)-6:]
	if _, err := mkbundle.Bundle(mkbundle.Options{App: exe, Runtime: rt.Runtime}, out); err != nil {
		t.Fatalf("bundling %s: %v", exe, err)
	}
	return out
}

// tlsEchoServer serves TLS 1.2 on 127.0.0.1, answering each line with
// "pong: LINE", until the test ends; the versions it negotiated come out
// on the channel.
func tlsEchoServer(t *testing.T, cert tls.Certificate) (string, <-chan uint16) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	versions := make(chan uint16, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c *tls.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(3 * time.Minute))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				versions <- c.ConnectionState().Version
				io.WriteString(c, "pong: "+line)
			}(c.(*tls.Conn))
		}
	}()
	return ln.Addr().(*net.TCPAddr).String(), versions
}

// testMonoTLSClient runs the tlscheck client bundle for target against a Go
// TLS 1.2 server.
func testMonoTLSClient(t *testing.T, target string) {
	rt := monoRuntime(t, target)
	dir := t.TempDir()
	cert, certFile, _ := tlsTestCert(t, dir)
	bundle := monoBundle(t, rt, dir, filepath.Join("..", "examples", "mono", "tlscheck.cs"))
	addr, versions := tlsEchoServer(t, cert)
	_, port, _ := net.SplitHostPort(addr)
	tgt, err := Lookup(target)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runFor(runOn(tgt, bundle, "client", port, certFile), 3*time.Minute)
	if err != nil || !strings.Contains(out, "reply: pong: ping") || !strings.Contains(out, "protocol: Tls12") {
		t.Fatalf("SslStream client bundle (%s): %v\n%s", target, err, out)
	}
	select {
	case v := <-versions:
		if v != tls.VersionTLS12 {
			t.Errorf("negotiated %s, want TLS 1.2", tls.VersionName(v))
		}
	default:
		t.Error("the Go server saw no request")
	}
}

// runFor runs cmd, killing it after d; it returns the combined output.
func runFor(cmd *exec.Cmd, d time.Duration) (string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	timer := time.AfterFunc(d, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	return out.String(), err
}

// TestMonoBTLSClient: an SslStream client in a bundle made with the static
// runtime talks TLS 1.2 to a Go crypto/tls server.
func TestMonoBTLSClient(t *testing.T) { testMonoTLSClient(t, "linux/amd64") }

// TestMonoBTLSClientArm64UnderQemu: the same for linux/arm64, under qemu-user.
func TestMonoBTLSClientArm64UnderQemu(t *testing.T) {
	testenv.Tool(t, "qemu-aarch64-static")
	testenv.Tool(t, "aarch64-linux-gnu-g++") // Mono's configure probes C++
	testMonoTLSClient(t, "linux/arm64")
}

// TestMonoBTLSServer: an SslStream server in a bundle answers a Go TLS
// client that verifies its certificate.
func TestMonoBTLSServer(t *testing.T) {
	rt := monoRuntime(t, "linux/amd64")
	dir := t.TempDir()
	cert, _, pfx := tlsTestCert(t, dir)
	bundle := monoBundle(t, rt, dir, filepath.Join("..", "examples", "mono", "tlscheck.cs"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bundle, "server", "0", pfx)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	out := bufio.NewReader(stdout)
	first, err := out.ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
	if err != nil || !ok {
		t.Fatalf("server bundle did not start: %q %v\n%s", first, err, stderr.String())
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	c, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("Go TLS client: %v\n%s", err, stderr.String())
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	io.WriteString(c, "hello\n")
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || reply != "pong: hello\n" {
		t.Fatalf("reply %q %v\n%s", reply, err, stderr.String())
	}
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "protocol: Tls12") {
		t.Errorf("server bundle: %v\n%s%s", err, rest, stderr.String())
	}
}
