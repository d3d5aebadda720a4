package image

import (
	"encoding/json"
	"os"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/toolchains"
)

// readToolchainManifest reads {"components":[{"name","version","sha256","purl"}]}
// (or the bare array), what a toolchain store entry records about itself.
func readToolchainManifest(p string) ([]Component, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, badinput.Errorf("reading toolchain manifest %s: %v", p, unwrapPath(err))
	}
	var doc struct {
		Components []Component `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		var list []Component
		if err2 := json.Unmarshal(b, &list); err2 != nil {
			return nil, badinput.Errorf("toolchain manifest %s is not JSON like {\"components\":[{\"name\":\"musl\",\"version\":\"1.2.3\",\"sha256\":\"...\"}]}: %v", p, err)
		}
		doc.Components = list
	}
	for _, c := range doc.Components {
		if c.Name == "" {
			return nil, badinput.Errorf("toolchain manifest %s has a component without a name", p)
		}
	}
	return doc.Components, nil
}

// toolchainComponents lists, for the SBOM, the C toolchains that linked the
// binaries, as each binary records it (toolchains.ReadIdent).
func toolchainComponents(bins []Binary) []Component {
	var comps []Component
	seen := map[string]bool{}
	for _, b := range bins {
		id, ok, err := toolchains.ReadIdent(b.Path)
		if err != nil || !ok || seen[id.Key] {
			continue // not an ELF file is reported by the image build itself
		}
		seen[id.Key] = true
		comps = append(comps, identComponents(id)...)
	}
	return comps
}

// identComponents are the SBOM components of one toolchain identity.
func identComponents(id toolchains.Ident) []Component {
	return []Component{
		{Name: "musl", Version: id.Musl, SHA256: id.MuslSHA256, PURL: "pkg:generic/musl@" + id.Musl},
		{Name: "gcc (" + id.Target + " cross compiler, mcc toolchain " + id.Key + ")", Version: id.GCC, PURL: "pkg:generic/gcc@" + id.GCC},
	}
}
