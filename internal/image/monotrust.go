package image

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/userfile"
)

// MonoTrustDir is where Mono's BTLS provider looks for trusted roots:
// MonoBtlsProvider.AddMachineStore adds a hash-directory lookup (PEM) on
// MonoBtlsX509StoreManager's MachineTrustedRoots, which is
// X509StoreManager.NewLocalMachinePath ("/usr/share" from
// Environment.GetFolderPath(CommonApplicationData), ".mono", "new-certs")
// plus X509Stores.Names.TrustedRoot ("Trust"). BTLS never reads
// /etc/ssl/certs (SetDefaultPaths is for Android only), so a bundle without
// this directory trusts no server at all.
const MonoTrustDir = "/usr/share/.mono/new-certs/Trust"

// monoBundleSignature ends every file Mono's mkbundle (and mcc's) writes;
// images of such files get MonoTrustDir.
const monoBundleSignature = "xmonkeysloveplay"

// IsMonoBundle says whether an executable's bytes are a Mono bundle.
func IsMonoBundle(data []byte) bool {
	return bytes.HasSuffix(data, []byte(monoBundleSignature))
}

// CAFile is a PEM file of CA certificates added with --ca-file.
type CAFile struct {
	Name     string   // the file's base name
	SHA256   string   // of the file
	Subjects []string // of its certificates, in order
	certs    [][]byte // DER
}

// ReadCAFiles reads and checks each --ca-file: a regular file holding only
// PEM CERTIFICATE blocks, at least one, each a CA certificate.
func ReadCAFiles(paths []string) ([]CAFile, error) {
	var out []CAFile
	seen := map[string]string{}
	for _, p := range paths {
		f, err := readCAFile(p)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[f.SHA256]; ok {
			return nil, badinput.Errorf("--ca-file %s has the same content as --ca-file %s: give each file once", p, prev)
		}
		seen[f.SHA256] = p
		out = append(out, *f)
	}
	return out, nil
}

const caFileFix = "give a PEM file of CA certificates (-----BEGIN CERTIFICATE-----), such as your organisation's root CA"

func readCAFile(p string) (*CAFile, error) {
	if err := userfile.CheckInput(p); err != nil {
		return nil, badinput.Errorf("--ca-file: %v", err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, badinput.Errorf("--ca-file %s: %v", p, unwrapPath(err))
	}
	sum := sha256.Sum256(data)
	f := &CAFile{Name: filepath.Base(p), SHA256: hex.EncodeToString(sum[:])}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		n := len(f.certs) + 1
		if b.Type != "CERTIFICATE" {
			return nil, badinput.Errorf("--ca-file %s: PEM block %d is a %s, not a CERTIFICATE: %s (and keep keys out of images)", p, n, b.Type, caFileFix)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, badinput.Errorf("--ca-file %s: certificate %d does not parse (%v): %s", p, n, err, caFileFix)
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			return nil, badinput.Errorf("--ca-file %s: certificate %d (%s) is not a CA certificate (no basicConstraints CA:TRUE): give the CA that signed it instead", p, n, badinput.OneLine(c.Subject.String()))
		}
		f.certs = append(f.certs, b.Bytes)
		f.Subjects = append(f.Subjects, badinput.OneLine(c.Subject.String()))
	}
	if len(f.certs) == 0 {
		return nil, badinput.Errorf("--ca-file %s holds no PEM certificate: %s", p, caFileFix)
	}
	return f, nil
}

// appendCAFiles adds the --ca-file certificates after the pinned bundle
// (which may be empty with --no-ca-certs), each after a comment naming its
// file; certificates already in the bundle are not repeated.
func appendCAFiles(bundle []byte, roots [][]byte, files []CAFile) ([]byte, [][]byte, error) {
	have := map[[32]byte]bool{}
	for _, r := range roots {
		have[sha256.Sum256(r)] = true
	}
	var b bytes.Buffer
	b.Write(bundle)
	for _, f := range files {
		for i, c := range f.certs {
			if have[sha256.Sum256(c)] {
				continue
			}
			have[sha256.Sum256(c)] = true
			roots = append(roots, c)
			fmt.Fprintf(&b, "\n# Added with --ca-file %s (sha256 %s): %s\n", badinput.OneLine(f.Name), f.SHA256, f.Subjects[i])
			if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c}); err != nil {
				return nil, nil, err
			}
		}
	}
	return b.Bytes(), roots, nil
}

// monoTrustEntries lays certificates out the way BoringSSL's hash
// directory lookup reads them (external/boringssl/crypto/x509/by_dir.c):
// one PEM certificate per file named by SubjectHash as %08x.N, N counting
// from 0 among certificates whose subjects share a hash; the lookup tries
// .0, .1, … until a name is missing. Order is the certificates' order, so
// the same inputs give the same names.
func monoTrustEntries(certs [][]byte) ([]Node, error) {
	es := []Node{{Path: MonoTrustDir, Dir: true, Mode: 0o755}}
	next := map[uint32]int{}
	for _, der := range certs {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("CA certificate for %s: %w", MonoTrustDir, err)
		}
		h, err := SubjectHash(c.RawSubject)
		if err != nil {
			return nil, fmt.Errorf("CA certificate %s: %w", badinput.OneLine(c.Subject.String()), err)
		}
		name := fmt.Sprintf("%08x.%d", h, next[h])
		next[h]++
		es = append(es, Node{
			Path: path.Join(MonoTrustDir, name), Mode: 0o644,
			Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		})
	}
	return es, nil
}

// caFilesLabel is the image label listing the added CA files.
func caFilesLabel(files []CAFile) string {
	var s []string
	for _, f := range files {
		s = append(s, badinput.OneLine(f.Name)+" sha256:"+f.SHA256)
	}
	return strings.Join(s, "; ")
}
