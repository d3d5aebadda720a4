package toolchains

import (
	"debug/elf"
	"fmt"
	"os/exec"
	"strings"

	"github.com/mcc-build/mcc/sysroots"
)

// Every binary linked by an mcc toolchain carries one line in its .comment
// section (where gcc already records its version) naming the toolchain: its
// store key, the musl source digest and the compiler. That is the anchor
// that ties a binary, and so an image's SBOM, to the C toolchain that built
// it; nothing else in a static binary records it.

// IdentObject is the object file in a toolchain's lib/ that holds the line.
const IdentObject = "mcc-ident.o"

const identPrefix = "mcc-toolchain:"

func identText(t Target, key, gcc string) string {
	pin, _ := sysroots.Lookup(MuslPin)
	out, _ := exec.Command(gcc, "-dumpfullversion").Output()
	return fmt.Sprintf("%s target=%s key=%s musl=%s musl-sha256=%s gcc=%s",
		identPrefix, t.Name, key, strings.TrimPrefix(pin.Name, "musl-"), pin.SHA256, strings.TrimSpace(string(out)))
}

// identC is C source that puts text in .comment (mergeable strings, like
// gcc's own). %progbits is accepted by every GNU assembler, ARM's included.
func identC(text string) string {
	return fmt.Sprintf("__asm__(\".section .comment,\\\"MS\\\",%%progbits,1\\n.asciz \\\"%s\\\"\\n.previous\");\n", text)
}

// Ident is what a binary says about the toolchain that linked it.
type Ident struct {
	Target     string `json:"target"`
	Key        string `json:"key"`
	Musl       string `json:"musl"`
	MuslSHA256 string `json:"musl_sha256"`
	GCC        string `json:"gcc"`
}

// ReadIdent reads the toolchain identity from a binary's .comment section;
// ok is false for binaries no mcc toolchain linked.
func ReadIdent(path string) (id Ident, ok bool, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return id, false, err
	}
	defer f.Close()
	sec := f.Section(".comment")
	if sec == nil {
		return id, false, nil
	}
	b, err := sec.Data()
	if err != nil {
		return id, false, err
	}
	for _, s := range strings.Split(string(b), "\x00") {
		if rest, found := strings.CutPrefix(s, identPrefix); found {
			return parseIdent(rest), true, nil
		}
	}
	return id, false, nil
}

func parseIdent(s string) Ident {
	var id Ident
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "target":
			id.Target = v
		case "key":
			id.Key = v
		case "musl":
			id.Musl = v
		case "musl-sha256":
			id.MuslSHA256 = v
		case "gcc":
			id.GCC = v
		}
	}
	return id
}
