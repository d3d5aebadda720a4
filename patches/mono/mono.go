// Package mono holds mcc's patches to the pinned Mono source, applied in
// file-name order. Their digests are part of the runtime's store key.
package mono

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"sort"
)

//go:embed *.patch
var files embed.FS

// Patch is one patch file.
type Patch struct {
	Name   string
	Data   []byte
	SHA256 string
}

// Patches returns the patches in the order they apply.
func Patches() []Patch {
	ents, err := files.ReadDir(".")
	if err != nil {
		panic(err) // embedded at build time
	}
	var ps []Patch
	for _, e := range ents {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ps = append(ps, Patch{Name: e.Name(), Data: b, SHA256: hex.EncodeToString(sum[:])})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}
