// Package sysroots holds mcc's pins: every upstream artifact mcc may fetch,
// named by sha256 (its identity), size, the places it may be found, and where
// upstream signs it, the key that must have signed it. Pins are JSON files in
// this directory, embedded at build time, one file per artifact family; code
// names a pin by its role ("musl-source", "ca-roots"), never by a version.
//
// A location is one of
//
//	https://HOST/PATH           an upstream release file, used as is
//	debian:pool/main/...        a path in a Debian archive, resolved against
//	                            the archives the machine's apt uses
//	gomod:MODULE@VERSION        a Go module zip, resolved through GOPROXY
//
// and a pin names only bytes its locations keep serving for years.
package sysroots

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Pin names one artifact.
type Pin struct {
	Name      string     `json:"name"`    // the role: musl-source, kernel-headers-arm64, ...
	Version   string     `json:"version"` // upstream's version, for SBOMs and messages
	File      string     `json:"file"`
	SHA256    string     `json:"sha256"`
	Size      int64      `json:"size"`
	H1        string     `json:"h1,omitempty"` // Go module zips: the go.sum hash, checked too
	Locations []string   `json:"locations"`
	Aliases   []string   `json:"aliases,omitempty"`
	Signature *Signature `json:"signature,omitempty"`
	Note      string     `json:"note"`
}

// Signature is a detached OpenPGP signature published beside the artifact.
type Signature struct {
	File        string   `json:"file"`
	Locations   []string `json:"locations"`
	Key         string   `json:"key"`
	Fingerprint string   `json:"fingerprint"`
	// ArmoredKey, when set, is the key itself, used instead of the file
	// Key: tests sign with a key they make. Pin files cannot set it.
	ArmoredKey []byte `json:"-"`
}

// Location kinds (see the package doc).
const (
	KindURL    = "url"
	KindDebian = "debian"
	KindGoMod  = "gomod"
)

// ParseLocation splits a location into its kind and the rest: the URL, the
// archive path, or MODULE@VERSION.
func ParseLocation(loc string) (kind, rest string, err error) {
	switch {
	case strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://"):
		return KindURL, loc, nil
	case strings.HasPrefix(loc, "debian:"):
		rest = strings.TrimPrefix(loc, "debian:")
		if !strings.HasPrefix(rest, "pool/") || path.Clean(rest) != rest {
			return "", "", fmt.Errorf("location %q: a Debian location is a clean path under pool/", loc)
		}
		return KindDebian, rest, nil
	case strings.HasPrefix(loc, "gomod:"):
		rest = strings.TrimPrefix(loc, "gomod:")
		if _, _, ok := SplitModule(rest); !ok {
			return "", "", fmt.Errorf("location %q: a module location is gomod:MODULE@VERSION", loc)
		}
		return KindGoMod, rest, nil
	}
	return "", "", fmt.Errorf("location %q: want https://..., debian:pool/... or gomod:MODULE@VERSION", loc)
}

//go:embed *.json keys
var files embed.FS

var pins = mustLoad()

func mustLoad() map[string]Pin {
	m, err := load()
	if err != nil {
		panic(err) // the embedded pins are part of the source: a bad one is a build defect
	}
	return m
}

func load() (map[string]Pin, error) {
	names, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	m := map[string]Pin{}
	for _, e := range names {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		list, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("sysroots/%s: %w", e.Name(), err)
		}
		for _, p := range list {
			if _, dup := m[p.Name]; dup {
				return nil, fmt.Errorf("sysroots/%s: pin %q defined twice", e.Name(), p.Name)
			}
			m[p.Name] = p
		}
	}
	return m, nil
}

// Parse reads and validates a JSON array of pins.
func Parse(b []byte) ([]Pin, error) {
	var list []Pin
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("parsing pins: %w", err)
	}
	for _, p := range list {
		if err := p.validate(); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (p Pin) validate() error {
	switch {
	case p.Name == "":
		return fmt.Errorf("pin without a name")
	case p.File == "" || path.Base(p.File) != p.File || p.File == "." || p.File == "..":
		return fmt.Errorf("pin %s: file %q must be a plain file name", p.Name, p.File)
	case len(p.SHA256) != 64 || !isHex(p.SHA256):
		return fmt.Errorf("pin %s: sha256 must be 64 lower-case hex digits", p.Name)
	case p.Size <= 0:
		return fmt.Errorf("pin %s: size must be positive", p.Name)
	case len(p.Locations) == 0:
		return fmt.Errorf("pin %s: needs at least one location a user with internet reaches", p.Name)
	case p.Note == "":
		return fmt.Errorf("pin %s: needs a note saying why its source lasts", p.Name)
	}
	for _, l := range p.Locations {
		kind, _, err := ParseLocation(l)
		if err != nil {
			return fmt.Errorf("pin %s: %w", p.Name, err)
		}
		if kind == KindGoMod && !strings.HasPrefix(p.H1, "h1:") {
			return fmt.Errorf("pin %s: a module location needs the module's h1: hash", p.Name)
		}
	}
	if s := p.Signature; s != nil {
		if s.File == "" || path.Base(s.File) != s.File || s.Key == "" || len(s.Fingerprint) != 40 {
			return fmt.Errorf("pin %s: signature needs a plain file name, a key and a 40-digit fingerprint", p.Name)
		}
		for _, l := range s.Locations {
			if _, _, err := ParseLocation(l); err != nil {
				return fmt.Errorf("pin %s signature: %w", p.Name, err)
			}
		}
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// Lookup returns the pin called name.
func Lookup(name string) (Pin, error) {
	p, ok := pins[name]
	if !ok {
		return Pin{}, badinput.Errorf("no pin named %q: known pins are %s", name, strings.Join(Names(), ", "))
	}
	return p, nil
}

// Names lists the pins, sorted.
func Names() []string {
	var n []string
	for k := range pins {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// All returns every pin, sorted by name.
func All() []Pin {
	var all []Pin
	for _, n := range Names() {
		all = append(all, pins[n])
	}
	return all
}

// BySHA256 finds the pin whose artifact has this digest.
func BySHA256(sum string) (Pin, bool) {
	for _, p := range pins {
		if p.SHA256 == sum {
			return p, true
		}
	}
	return Pin{}, false
}

// Key returns the armored public key that must sign the pin's artifact.
func (p Pin) Key() ([]byte, error) {
	if p.Signature == nil {
		return nil, fmt.Errorf("pin %s has no signing key", p.Name)
	}
	if p.Signature.ArmoredKey != nil {
		return p.Signature.ArmoredKey, nil
	}
	return files.ReadFile(path.Clean(p.Signature.Key))
}

// Select looks up the named pins, or returns every pin if none is named.
func Select(names []string) ([]Pin, error) {
	if len(names) == 0 {
		return All(), nil
	}
	var out []Pin
	for _, n := range names {
		p, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Describe is the pin as 'mcc pins list' prints it: name, file, size and
// sha256, then a line per location.
func (p Pin) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %s  %d bytes  sha256 %s", p.Name, p.File, p.Size, p.SHA256)
	for _, l := range p.Locations {
		fmt.Fprintf(&b, "\n%-22s   %s", "", l)
	}
	return b.String()
}

// The one place a pin turns into names to fetch it by: a mirror holds
// the artifact under MirrorNames and its signature under
// SignatureMirrorNames (fetch reads them, internal/mirror writes them);
// ParseLocation, SplitModule and Module read the pin's own locations
// (fetch.Resolver turns them into URLs).

// MirrorNames are the names a mirror may hold the pin's artifact under, in
// the order fetch asks for them: its file name, its DigestName, and its
// aliases (names it had in older mirrors).
func (p Pin) MirrorNames() []string {
	return append([]string{p.File, DigestName(p.SHA256)}, p.Aliases...)
}

// DigestName is the mirror name of an artifact by its sha256: a name that
// no file name change can break.
func DigestName(sum string) string { return "sha256/" + sum }

// SignatureMirrorNames are the names a mirror may hold the pin's signature
// under: the signature's file name, then each alias with .asc.
func (p Pin) SignatureMirrorNames() []string {
	if p.Signature == nil {
		return nil
	}
	names := []string{p.Signature.File}
	for _, a := range p.Aliases {
		names = append(names, a+".asc")
	}
	return names
}

// SplitModule splits MODULE@VERSION at its last @; ok is false unless both
// parts are non-empty.
func SplitModule(modver string) (mod, version string, ok bool) {
	i := strings.LastIndex(modver, "@")
	if i <= 0 || i == len(modver)-1 {
		return "", "", false
	}
	return modver[:i], modver[i+1:], true
}

// Module is the MODULE@VERSION of the pin's first gomod: location.
func (p Pin) Module() (mod, version string, ok bool) {
	for _, l := range p.Locations {
		if kind, rest, err := ParseLocation(l); err == nil && kind == KindGoMod {
			return SplitModule(rest)
		}
	}
	return "", "", false
}
