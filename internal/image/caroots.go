package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"

	"github.com/mcc-build/mcc/internal/badinput"
)

// CACertsFile is where the certificate bundle lives in an image: the path
// Go's crypto/x509 and OpenSSL look at first on Debian-like systems.
const CACertsFile = "/etc/ssl/certs/ca-certificates.crt"

// CARootsLicense is the license of the module the roots come from.
const CARootsLicense = "/usr/share/doc/ca-roots/LICENSE"

// caRoot is one root of x509roots/fallback's bundle/bundle.go.
type caRoot struct {
	CN            string
	SHA256        string
	Start, Length int
	DistrustAfter string // non-empty: the root is constrained
}

// caRoots is what an image gets from the ca-roots pin.
type caRoots struct {
	Entries    []Node
	Kept       int
	LeftOut    []caRoot // constrained roots, not in the bundle
	ModVersion string   // MODULE@VERSION
	Certs      [][]byte // the kept roots, DER, in the bundle's order
}

// readCARoots turns the pinned x509roots/fallback module zip into a PEM
// bundle at CACertsFile (the roots in bundle.go's order, which the pin
// fixes) and the module's LICENSE.
//
// Roots that carry a distrustAfter constraint are left out: a PEM bundle
// cannot say "trust only certificates issued before D", and trusting such a
// root without the date would accept what Mozilla distrusts. Go programs
// that want them can link x509roots/fallback itself, which applies the
// constraint.
func readCARoots(file string) (*caRoots, error) {
	z, err := openPinnedZip(file, CARootsPin)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	index, err := z.read("bundle/bundle.go", 4<<20)
	if err != nil {
		return nil, err
	}
	der, err := z.read("bundle/bundle.der", 16<<20)
	if err != nil {
		return nil, err
	}
	license, err := z.read("LICENSE", 1<<20)
	if err != nil {
		return nil, err
	}
	roots, err := parseBundleIndex(index)
	if err != nil {
		return nil, fmt.Errorf("pin %s: bundle/bundle.go: %w", CARootsPin.Name, err)
	}
	mod, ver := pinModule(CARootsPin)
	out := &caRoots{ModVersion: mod + "@" + ver}
	bundle, err := pemBundle(roots, der, out)
	if err != nil {
		return nil, fmt.Errorf("pin %s: %w", CARootsPin.Name, err)
	}
	out.Entries = []Node{
		{Path: CACertsFile, Mode: 0o644, Data: bundle},
		{Path: CARootsLicense, Mode: 0o644, Data: license},
	}
	return out, nil
}

// pemBundle checks each root against its sha256 and writes the
// unconstrained ones as PEM, each after a comment naming it.
func pemBundle(roots []caRoot, der []byte, out *caRoots) ([]byte, error) {
	var kept bytes.Buffer
	for _, r := range roots {
		if r.Start < 0 || r.Length <= 0 || r.Start > len(der)-r.Length {
			return nil, fmt.Errorf("root %s lies outside bundle.der (offset %d, length %d, file %d bytes)", r.CN, r.Start, r.Length, len(der))
		}
		cert := der[r.Start : r.Start+r.Length]
		if sum := sha256.Sum256(cert); hex.EncodeToString(sum[:]) != r.SHA256 {
			return nil, fmt.Errorf("root %s: sha256 %x, bundle.go says %s", r.CN, sum, r.SHA256)
		}
		if r.DistrustAfter != "" {
			out.LeftOut = append(out.LeftOut, r)
			continue
		}
		fmt.Fprintf(&kept, "\n# %s\n# sha256 %s\n", badinput.OneLine(r.CN), r.SHA256)
		if err := pem.Encode(&kept, &pem.Block{Type: "CERTIFICATE", Bytes: cert}); err != nil {
			return nil, err
		}
		out.Kept++
		out.Certs = append(out.Certs, cert)
	}
	if out.Kept == 0 {
		return nil, fmt.Errorf("bundle.go lists no unconstrained root")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Mozilla's root store from %s: %d roots.\n", out.ModVersion, out.Kept)
	for _, r := range out.LeftOut {
		fmt.Fprintf(&b, "# Left out, constrained (distrustAfter %s, which PEM cannot express): %s\n", r.DistrustAfter, badinput.OneLine(r.CN))
	}
	b.Write(kept.Bytes())
	return b.Bytes(), nil
}

// parseBundleIndex reads the unparsedCertificates table of bundle.go with
// go/parser: every element must be a keyed struct literal with constant
// values. A field mcc does not know is refused rather than ignored, since a
// new field may be a new constraint (roots.go applies each one).
func parseBundleIndex(src []byte) ([]caRoot, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "bundle.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	lit := findVarLiteral(f, "unparsedCertificates")
	if lit == nil {
		return nil, fmt.Errorf("no unparsedCertificates table")
	}
	var roots []caRoot
	for i, el := range lit.Elts {
		r, err := parseRootLiteral(el)
		if err != nil {
			return nil, fmt.Errorf("unparsedCertificates[%d]: %w", i, err)
		}
		roots = append(roots, r)
	}
	return roots, nil
}

func findVarLiteral(f *ast.File, name string) *ast.CompositeLit {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name == name && i < len(vs.Values) {
					lit, _ := vs.Values[i].(*ast.CompositeLit)
					return lit
				}
			}
		}
	}
	return nil
}

func parseRootLiteral(el ast.Expr) (caRoot, error) {
	var r caRoot
	lit, ok := el.(*ast.CompositeLit)
	if !ok {
		return r, fmt.Errorf("not a struct literal")
	}
	seen := map[string]bool{}
	for _, e := range lit.Elts {
		key, val, ok := keyedConst(e)
		if !ok {
			return r, fmt.Errorf("not a keyed literal of constants")
		}
		seen[key.Name] = true
		var err error
		switch key.Name {
		case "cn":
			r.CN, err = stringLit(val)
		case "sha256Hash":
			r.SHA256, err = stringLit(val)
		case "certStartOff":
			r.Start, err = intLit(val)
		case "certLength":
			r.Length, err = intLit(val)
		case "distrustAfter":
			r.DistrustAfter, err = stringLit(val)
		default:
			return r, fmt.Errorf("field %s is unknown to mcc (it may constrain the root): update mcc's reader before bumping the ca-roots pin", key.Name)
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", key.Name, err)
		}
	}
	for _, k := range []string{"cn", "sha256Hash", "certStartOff", "certLength"} {
		if !seen[k] {
			return r, fmt.Errorf("no %s", k)
		}
	}
	return r, nil
}

func keyedConst(e ast.Expr) (*ast.Ident, *ast.BasicLit, bool) {
	kv, ok := e.(*ast.KeyValueExpr)
	if !ok {
		return nil, nil, false
	}
	key, ok := kv.Key.(*ast.Ident)
	val, ok2 := kv.Value.(*ast.BasicLit)
	return key, val, ok && ok2
}

func stringLit(v *ast.BasicLit) (string, error) {
	if v.Kind != token.STRING {
		return "", fmt.Errorf("want a string, got %s", v.Value)
	}
	return strconv.Unquote(v.Value)
}

func intLit(v *ast.BasicLit) (int, error) {
	if v.Kind != token.INT {
		return 0, fmt.Errorf("want an integer, got %s", v.Value)
	}
	n, err := strconv.ParseInt(v.Value, 0, 64)
	return int(n), err
}
