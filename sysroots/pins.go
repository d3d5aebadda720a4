// Package sysroots holds mcc's pins: every upstream artifact mcc may fetch,
// named by sha256 (its identity), size, the places it may be found, and where
// upstream signs it, the key that must have signed it. Pins are JSON files in
// this directory, embedded at build time, one file per artifact family.
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
	Name      string     `json:"name"`
	File      string     `json:"file"`
	SHA256    string     `json:"sha256"`
	Size      int64      `json:"size"`
	URLs      []string   `json:"urls"`
	Aliases   []string   `json:"aliases,omitempty"`
	Signature *Signature `json:"signature,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// Signature is a detached OpenPGP signature published beside the artifact.
type Signature struct {
	File        string   `json:"file"`
	URLs        []string `json:"urls"`
	Key         string   `json:"key"`
	Fingerprint string   `json:"fingerprint"`
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
	}
	if s := p.Signature; s != nil {
		if s.File == "" || path.Base(s.File) != s.File || s.Key == "" || len(s.Fingerprint) != 40 {
			return fmt.Errorf("pin %s: signature needs a plain file name, a key and a 40-digit fingerprint", p.Name)
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
	return files.ReadFile(path.Clean(p.Signature.Key))
}
