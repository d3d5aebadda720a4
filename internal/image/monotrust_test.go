package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/image/imagetest"
)

// TestReadCAFiles is long for its table: a row per kind of --ca-file,
// good and bad, on real files.
func TestReadCAFiles(t *testing.T) {
	dir := t.TempDir()
	ca1, ca2 := imagetest.NewCA(t, "Corp Root"), imagetest.NewCA(t, "Corp Root 2")
	_, leaf := ca1.Leaf(t, false)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one.pem", ca1.PEM)
	two := write("two.pem", append([]byte("# two roots\n"), append(ca1.PEM, ca2.PEM...)...))
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		files []string
		certs int
		err   string
	}{
		{"one CA", []string{one}, 1, ""},
		{"two CAs in a file", []string{two}, 2, ""},
		{"two files", []string{one, write("other.pem", ca2.PEM)}, 2, ""},
		{"missing", []string{filepath.Join(dir, "nope.pem")}, 0, "no such file"},
		{"directory", []string{dir}, 0, "directory"},
		{"fifo", []string{fifo}, 0, "named pipe"},
		{"empty", []string{write("empty.pem", nil)}, 0, "holds no PEM certificate"},
		{"DER, not PEM", []string{write("ca.der", ca1.Cert.Raw)}, 0, "holds no PEM certificate"},
		{"private key", []string{write("key.pem", append(append([]byte{}, ca1.PEM...), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"...))}, 0, "PEM block 2 is a PRIVATE KEY"},
		{"leaf, not a CA", []string{write("leaf.pem", leaf)}, 0, "is not a CA certificate"},
		{"bad DER", []string{write("bad.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))}, 0, "does not parse"},
		{"same file twice", []string{one, write("copy.pem", ca1.PEM)}, 0, "same content as --ca-file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, err := ReadCAFiles(c.files)
			if c.err != "" {
				last := c.files[len(c.files)-1]
				if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), last) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err %v, want one line of bad input naming %s and saying %q", err, last, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range files {
				n += len(f.certs)
				if len(f.SHA256) != 64 || len(f.Subjects) != len(f.certs) || !strings.Contains(f.Subjects[0], "Corp Root") {
					t.Errorf("file %+v", f)
				}
			}
			if n != c.certs {
				t.Fatalf("%d certificates, want %d", n, c.certs)
			}
		})
	}
}

// sameSubjectCAs are two CAs with one subject (so one hash) and different
// keys: the layout must keep both, as .0 and .1.
func sameSubjectCAs(t *testing.T) (*imagetest.CA, *imagetest.CA) {
	return imagetest.NewCA(t, "Same Name CA"), imagetest.NewCA(t, "Same Name CA")
}

func TestMonoTrustLayout(t *testing.T) {
	a, b := sameSubjectCAs(t)
	other := imagetest.NewCA(t, "Other CA")
	es, err := monoTrustEntries([][]byte{a.Cert.Raw, b.Cert.Raw, other.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ha, _ := SubjectHash(a.Cert.RawSubject)
	ho, _ := SubjectHash(other.Cert.RawSubject)
	want := []struct {
		name string
		der  []byte
	}{{"", nil}, {hex8(ha) + ".0", a.Cert.Raw}, {hex8(ha) + ".1", b.Cert.Raw}, {hex8(ho) + ".0", other.Cert.Raw}}
	if len(es) != len(want) {
		t.Fatalf("%d entries, want %d", len(es), len(want))
	}
	if !es[0].Dir || es[0].Path != MonoTrustDir {
		t.Fatalf("first entry %+v, want the directory %s", es[0], MonoTrustDir)
	}
	for i, w := range want[1:] {
		e := es[i+1]
		blk, rest := pem.Decode(e.Data)
		if e.Path != path.Join(MonoTrustDir, w.name) || blk == nil || blk.Type != "CERTIFICATE" || !bytes.Equal(blk.Bytes, w.der) || len(rest) != 0 {
			t.Errorf("entry %d: %s, want %s holding one PEM certificate", i+1, e.Path, w.name)
		}
	}
}

func hex8(h uint32) string { return fmt.Sprintf("%08x", h) }

// TestMonoTrustLayoutVerifies hands the written layout to OpenSSL's own
// hash-directory lookup (the code BoringSSL's by_dir.c comes from): a
// certificate from either same-subject CA verifies, one from an unknown CA
// does not.
func TestMonoTrustLayoutVerifies(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install openssl)")
	}
	a, b := sameSubjectCAs(t)
	stranger := imagetest.NewCA(t, "Stranger CA")
	es, err := monoTrustEntries([][]byte{a.Cert.Raw, b.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trustDir := filepath.Join(dir, "Trust")
	os.Mkdir(trustDir, 0o755)
	for _, e := range es[1:] {
		os.WriteFile(filepath.Join(trustDir, path.Base(e.Path)), e.Data, 0o644)
	}
	for _, c := range []struct {
		name string
		ca   *imagetest.CA
		ok   bool
	}{{"first CA (.0)", a, true}, {"second CA (.1)", b, true}, {"unknown CA", stranger, false}} {
		_, leaf := c.ca.Leaf(t, false)
		p := filepath.Join(dir, "leaf.pem")
		os.WriteFile(p, leaf, 0o644)
		out, err := exec.Command("openssl", "verify", "-no-CAfile", "-no-CAstore", "-CApath", trustDir, p).CombinedOutput()
		if (err == nil) != c.ok {
			t.Errorf("%s: openssl verify: %v (want ok=%v)\n%s", c.name, err, c.ok, out)
		}
	}
}

// TestBuildCAFiles: --ca-file certificates go into the bundle, into Mono's
// layout for Mono bundles only, into the SBOM and a label; they change the
// digest, and the same inputs give the same digest.
func TestBuildCAFiles(t *testing.T) {
	dir := t.TempDir()
	hello := imagetest.BuildHello(t, dir, "amd64")
	data, err := os.ReadFile(hello)
	if err != nil {
		t.Fatal(err)
	}
	// A Go binary with mkbundle's signature at the end is a "bundle" to
	// the image code, which only looks at that signature.
	bundle := filepath.Join(dir, "bundle")
	os.WriteFile(bundle, append(data, monoBundleSignature...), 0o755)
	ca := imagetest.NewCA(t, "Corp Root")
	caFile := filepath.Join(dir, "corp-root.pem")
	os.WriteFile(caFile, ca.PEM, 0o644)
	hash, _ := SubjectHash(ca.Cert.RawSubject)
	build := func(bin string, files ...string) *Platform {
		t.Helper()
		b, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}, CAFiles: files})
		if err != nil {
			t.Fatal(err)
		}
		return &b.Platforms[0]
	}
	plain, withCA, again := build(bundle), build(bundle, caFile), build(bundle, caFile)
	if plain.Digest == withCA.Digest || withCA.Digest != again.Digest {
		t.Fatalf("digests: without %s, with %s, again %s: want a new digest, stable", plain.Digest, withCA.Digest, again.Digest)
	}
	layer := layerBytes(t, withCA)
	crt := fileInTar(t, layer, strings.TrimPrefix(CACertsFile, "/"))
	if !bytes.Contains(crt, bytes.TrimSpace(ca.PEM)) || !bytes.Contains(crt, []byte("--ca-file corp-root.pem")) {
		t.Errorf("%s lacks the added CA:\n%s", CACertsFile, crt)
	}
	mono := fileInTar(t, layer, strings.TrimPrefix(MonoTrustDir, "/")+"/"+hex8(hash)+".0")
	if !bytes.Equal(mono, ca.PEM) {
		t.Errorf("Mono's layout holds %q, want the CA", mono)
	}
	var doc spdxDoc
	if err := json.Unmarshal(withCA.SBOM, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range doc.Packages {
		if p.Name == "corp-root.pem" && len(p.Checksums) == 1 && p.Checksums[0].Value == sha256Hex(ca.PEM) && strings.Contains(p.Comment, "CN=Corp Root,O=mcc test") {
			found = true
		}
	}
	if !found {
		t.Errorf("SBOM does not list corp-root.pem with its sha256 and subject:\n%s", withCA.SBOM)
	}
	cf, _ := withCA.Image.ConfigFile()
	if !strings.Contains(cf.Config.Labels["mcc.ca-files"], "corp-root.pem sha256:"+sha256Hex(ca.PEM)) {
		t.Errorf("labels %v", cf.Config.Labels)
	}

	goImage := layerBytes(t, build(hello, caFile))
	if tarHas(t, goImage, strings.TrimPrefix(MonoTrustDir, "/")) {
		t.Errorf("a Go binary's image got %s", MonoTrustDir)
	}
	fileInTar(t, goImage, strings.TrimPrefix(CACertsFile, "/"))
}

func layerBytes(t *testing.T, p *Platform) []byte {
	t.Helper()
	ls, err := p.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ls[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return readAll(t, rc)
}

func tarHas(t *testing.T, raw []byte, name string) bool {
	for _, h := range readTar(t, raw) {
		if strings.TrimSuffix(h.Name, "/") == name {
			return true
		}
	}
	return false
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestBuildMonoTrustHasEveryRoot: a Mono bundle's image trusts, through
// Mono's layout, every root the bundle file has.
func TestBuildMonoTrustHasEveryRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the pinned CA roots")
	}
	caZip, _ := imagetest.PinnedInputs(t)
	dir := t.TempDir()
	data, _ := os.ReadFile(imagetest.BuildHello(t, dir, "amd64"))
	bundle := filepath.Join(dir, "bundle")
	os.WriteFile(bundle, append(data, monoBundleSignature...), 0o755)
	b, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bundle}}, CARoots: caZip})
	if err != nil {
		t.Fatal(err)
	}
	layer := layerBytes(t, &b.Platforms[0])
	bundleCerts := 0
	for rest := fileInTar(t, layer, strings.TrimPrefix(CACertsFile, "/")); ; bundleCerts++ {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
	}
	n := 0
	for _, h := range readTar(t, layer) {
		if path.Dir("/"+h.Name) == MonoTrustDir && !strings.HasSuffix(h.Name, "/") {
			n++
			if _, err := x509.ParseCertificate(mustPEM(t, fileInTar(t, layer, h.Name))); err != nil {
				t.Errorf("%s: %v", h.Name, err)
			}
		}
	}
	if n != bundleCerts || n < 100 {
		t.Fatalf("%s has %d files, the bundle %d certificates", MonoTrustDir, n, bundleCerts)
	}
}

func mustPEM(t *testing.T, b []byte) []byte {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("not PEM")
	}
	return blk.Bytes
}
