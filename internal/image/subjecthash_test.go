package image

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/image/imagetest"
)

// Attribute types and string tags used to build test names.
var (
	oidCN = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidO  = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidC  = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidSN = asn1.ObjectIdentifier{2, 5, 4, 5}
)

const (
	tagPrintable = 19
	tagT61       = 20
	tagIA5       = 22
	tagUTF8      = 12
	tagBMP       = 30
	tagUniversal = 28
	tagNumeric   = 18
)

type testATV struct {
	oid asn1.ObjectIdentifier
	tag byte
	val []byte
}

// testName encodes a Name: one RDN per inner slice, attributes in the
// order given (not sorted: the hash must sort them).
func testName(t testing.TB, rdns ...[]testATV) []byte {
	var seq []byte
	for _, rdn := range rdns {
		var set []byte
		for _, a := range rdn {
			o, err := asn1.Marshal(a.oid)
			if err != nil {
				t.Fatal(err)
			}
			set = append(set, derTLV(0x30, append(o, derTLV(a.tag, a.val)...))...)
		}
		seq = append(seq, derTLV(0x31, set)...)
	}
	return derTLV(0x30, seq)
}

func bmp(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

func ucs4(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
	}
	return b
}

// subjectHashCases are names exercising each rule of OpenSSL's canonical
// encoding. The hashes are what `openssl x509 -noout -subject_hash`
// (OpenSSL 3.0 on Debian 12) prints for a certificate with that subject;
// TestSubjectHashOpenSSL re-checks them against the openssl on PATH.
var subjectHashCases = []struct {
	name string
	rdns [][]testATV
	want uint32
}{
	{"printable CN", [][]testATV{{{oidCN, tagPrintable, []byte("Test Root CA")}}}, 0x43203952},
	{"case is folded", [][]testATV{{{oidCN, tagPrintable, []byte("TEST ROOT ca")}}}, 0x43203952},
	{"spaces trimmed and collapsed", [][]testATV{{{oidCN, tagUTF8, []byte("  Test \t\n Root   CA \r")}}}, 0x43203952},
	{"UTF8 vs printable is the same", [][]testATV{{{oidCN, tagUTF8, []byte("test root ca")}}}, 0x43203952},
	{"BMPString", [][]testATV{{{oidCN, tagBMP, bmp("Test Root CA")}}}, 0x43203952},
	{"UniversalString", [][]testATV{{{oidCN, tagUniversal, ucs4("Test Root CA")}}}, 0x43203952},
	{"T61 Latin-1", [][]testATV{{{oidCN, tagT61, []byte("F\xf6tan\xfas\xedtv\xe1ny")}}}, 0xf34a1bb7},
	{"UTF8 non-ASCII kept", [][]testATV{{{oidCN, tagUTF8, []byte("Főtanúsítvány ÅB")}}}, 0x1b2d049b},
	{"IA5", [][]testATV{{{oidCN, tagIA5, []byte("Mail@Example.COM")}}}, 0x3fd671de},
	{"NumericString not canonicalised", [][]testATV{{{oidSN, tagNumeric, []byte(" 0123  45 ")}}}, 0x2f292110},
	{"several RDNs", [][]testATV{
		{{oidC, tagPrintable, []byte("DE")}},
		{{oidO, tagUTF8, []byte("Example  GmbH")}},
		{{oidCN, tagUTF8, []byte("Example Root")}},
	}, 0xbf5788ea},
	{"multi-valued RDN is sorted", [][]testATV{
		{{oidOU, tagUTF8, []byte("Zeta Unit, a longer value")}, {oidCN, tagPrintable, []byte("Alpha")}, {oidO, tagUTF8, []byte("B")}},
	}, 0x33393b8d},
	{"long value (two-byte length)", [][]testATV{{{oidCN, tagUTF8, []byte(strings.Repeat("Ab c", 70))}}}, 0x1f8eb879},
	{"empty name", nil, 0xeea339da},
}

func TestSubjectHash(t *testing.T) {
	for _, c := range subjectHashCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SubjectHash(testName(t, c.rdns...))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("SubjectHash = %08x, want %08x", got, c.want)
			}
		})
	}
}

func TestSubjectHashRefusesBadNames(t *testing.T) {
	for name, raw := range map[string][]byte{
		"not DER":         []byte("CN=x"),
		"trailing data":   append(testName(t, []testATV{{oidCN, tagUTF8, []byte("x")}}), 0),
		"RDN not a SET":   derTLV(0x30, derTLV(0x30, nil)),
		"odd BMPString":   testName(t, []testATV{{oidCN, tagBMP, []byte{0, 'a', 0}}}),
		"bad UTF8String":  testName(t, []testATV{{oidCN, tagUTF8, []byte{0xff, 0xfe}}}),
		"UniversalString": testName(t, []testATV{{oidCN, tagUniversal, []byte{0, 0, 'a'}}}),
	} {
		if _, err := SubjectHash(raw); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestSubjectHashOpenSSL checks SubjectHash against openssl for the test
// names and for every root the pinned ca-roots module ships.
func TestSubjectHashOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install openssl)")
	}
	dir := t.TempDir()
	for _, c := range subjectHashCases {
		raw := testName(t, c.rdns...)
		got, err := SubjectHash(raw)
		if err != nil {
			t.Fatal(err)
		}
		// Go's x509 cannot parse some of these names (UniversalString):
		// openssl reads the certificate, mcc hashes the name it was made of.
		if want := opensslHash(t, dir, selfSigned(t, raw)); got != want {
			t.Errorf("%s: SubjectHash %08x, openssl %08x", c.name, got, want)
		}
	}
	if testing.Short() {
		return
	}
	ca, _ := imagetest.PinnedInputs(t)
	roots, err := readCARoots(ca)
	if err != nil {
		t.Fatal(err)
	}
	for _, der := range roots.Certs {
		if got, want := mustHash(t, der), opensslHash(t, dir, der); got != want {
			c, _ := x509.ParseCertificate(der)
			t.Errorf("%s: SubjectHash %08x, openssl %08x", c.Subject, got, want)
		}
	}
	t.Logf("%d pinned roots and %d test names agree with openssl", len(roots.Certs), len(subjectHashCases))
}

func mustHash(t testing.TB, der []byte) uint32 {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	h, err := SubjectHash(c.RawSubject)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func opensslHash(t testing.TB, dir string, der []byte) uint32 {
	p := filepath.Join(dir, "c.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "x509", "-noout", "-subject_hash", "-in", p).Output()
	if err != nil {
		t.Fatalf("openssl x509 -subject_hash: %v", err)
	}
	var h uint32
	if _, err := fmt.Sscanf(string(out), "%x", &h); err != nil {
		t.Fatalf("openssl printed %q", out)
	}
	return h
}

// selfSigned makes a CA certificate whose subject (and issuer) is rawName.
func selfSigned(t testing.TB, rawName []byte) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), RawSubject: rawName,
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
