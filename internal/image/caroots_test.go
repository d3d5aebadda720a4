package image

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/image/imagetest"
)

func TestCARootsFromPin(t *testing.T) {
	ca, _ := imagetest.PinnedInputs(t)
	first, err := readCARoots(ca)
	if err != nil {
		t.Fatal(err)
	}
	again, err := readCARoots(ca)
	if err != nil {
		t.Fatal(err)
	}
	bundle := first.Entries[0].Data
	if first.Entries[0].Path != CACertsFile || !bytes.Equal(bundle, again.Entries[0].Data) {
		t.Fatal("two reads of one pin give different bundles")
	}
	if first.Entries[1].Path != CARootsLicense || !bytes.Contains(first.Entries[1].Data, []byte("Redistribution")) {
		t.Fatalf("second entry %s is not the module's LICENSE", first.Entries[1].Path)
	}
	n := 0
	for rest := bundle; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Errorf("block %d does not parse: %v", n, err)
		}
		n++
	}
	if n != first.Kept || n < 100 {
		t.Fatalf("bundle holds %d certificates, kept %d: want every unconstrained root (>100)", n, first.Kept)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bundle) {
		t.Fatal("crypto/x509 reads no certificate from the bundle")
	}
	if len(first.LeftOut) == 0 {
		t.Fatal("the pinned store has a distrustAfter root; none was left out")
	}
	for _, r := range first.LeftOut {
		if bytes.Contains(bundle, []byte("# sha256 "+r.SHA256)) {
			t.Errorf("constrained root %s is in the bundle", r.CN)
		}
		if !bytes.Contains(bundle, []byte("Left out, constrained (distrustAfter "+r.DistrustAfter)) {
			t.Errorf("the bundle's header does not name left-out root %s", r.CN)
		}
	}
}

// fakeRoot is a root entry for bundle.go source text.
func fakeRoot(cn, sum string, off, n int, extra string) string {
	return fmt.Sprintf("\t{\n\t\tcn: %q,\n\t\tsha256Hash: %q,\n\t\tcertStartOff: %d,\n\t\tcertLength: %d,\n%s\t},\n", cn, sum, off, n, extra)
}

func bundleSource(roots ...string) []byte {
	return []byte("package bundle\n\nvar unparsedCertificates = []unparsedCertificate{\n" + strings.Join(roots, "") + "}\n")
}

func TestCARootsBundle(t *testing.T) {
	// Any bytes do for the hash check; x509 parsing is the pinned test's job.
	der := []byte("AAAA-first-cert-BBBB-second-cert")
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	a, b := der[:16], der[16:]
	cases := []struct {
		name    string
		src     []byte
		kept    int
		leftOut int
		err     string
	}{
		{"two roots", bundleSource(fakeRoot("CN=A", sum(a), 0, 16, ""), fakeRoot("CN=B", sum(b), 16, 16, "")), 2, 0, ""},
		{"constrained left out", bundleSource(fakeRoot("CN=A", sum(a), 0, 16, ""), fakeRoot("CN=B", sum(b), 16, 16, "\t\tdistrustAfter: \"2026-04-15T23:59:59Z\",\n")), 1, 1, ""},
		{"wrong hash", bundleSource(fakeRoot("CN=A", sum(b), 0, 16, "")), 0, 0, "sha256"},
		{"outside the der", bundleSource(fakeRoot("CN=A", sum(a), 20, 16, "")), 0, 0, "outside bundle.der"},
		{"unknown field", bundleSource(fakeRoot("CN=A", sum(a), 0, 16, "\t\tonlyFor: \"example.test\",\n")), 0, 0, "onlyFor is unknown"},
		{"missing field", bundleSource("\t{cn: \"CN=A\", certStartOff: 0, certLength: 16},\n"), 0, 0, "no sha256Hash"},
		{"computed value", bundleSource("\t{cn: \"CN=A\", sha256Hash: x, certStartOff: 0, certLength: 16},\n"), 0, 0, "keyed literal of constants"},
		{"no table", []byte("package bundle\n"), 0, 0, "no unparsedCertificates"},
		{"only constrained", bundleSource(fakeRoot("CN=A", sum(a), 0, 16, "\t\tdistrustAfter: \"2020-01-01T00:00:00Z\",\n")), 0, 1, "no unconstrained root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			roots, err := parseBundleIndex(c.src)
			var out caRoots
			var pemOut []byte
			if err == nil {
				pemOut, err = pemBundle(roots, der, &out)
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Kept != c.kept || len(out.LeftOut) != c.leftOut || bytes.Count(pemOut, []byte("BEGIN CERTIFICATE")) != c.kept {
				t.Fatalf("kept %d left out %d, want %d and %d:\n%s", out.Kept, len(out.LeftOut), c.kept, c.leftOut, pemOut)
			}
		})
	}
}

func TestPinnedZipRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.zip")
	os.WriteFile(small, []byte("PK not the pin"), 0o644)
	sameSize := filepath.Join(dir, "same-size.zip")
	os.WriteFile(sameSize, make([]byte, CARootsPin.Size), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, file, want string }{
		{"missing", filepath.Join(dir, "nope.zip"), "no such file"},
		{"wrong size", small, "bytes, the pin has"},
		{"wrong bytes", sameSize, "sha256"},
		{"fifo", fifo, "named pipe"},
		{"directory", dir, "directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := readCARoots(c.file); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("reading the input blocks")
			}
			if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), CARootsPin.File) {
				t.Fatalf("err %v, want bad input saying %q and naming %s", err, c.want, CARootsPin.File)
			}
		})
	}
}
