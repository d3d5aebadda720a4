// Package elfcheck reads ELF files and says whether they are fully static
// executables for an expected machine: no PT_INTERP, no dynamic section that
// needs shared libraries, the right e_machine.
package elfcheck

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Report describes one file.
type Report struct {
	Path     string      `json:"path"`
	Machine  elf.Machine `json:"-"`
	Class    elf.Class   `json:"-"`
	Arch     string      `json:"machine"`
	Type     string      `json:"type"`
	Interp   string      `json:"interp,omitempty"`
	Needed   []string    `json:"needed,omitempty"`
	Dynamic  bool        `json:"dynamic_section"`
	Static   bool        `json:"static"`
	Problems []string    `json:"problems,omitempty"`
}

// Want is what a file must be; the zero Machine accepts any machine.
type Want struct {
	Machine elf.Machine
	Class   elf.Class
}

// Inspect reads path. A file that is not ELF is bad input.
func Inspect(path string) (*Report, error) {
	if err := checkMagic(path); err != nil {
		return nil, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, badinput.Errorf("%s is a corrupt ELF file (%v): rebuild it", path, err)
	}
	defer f.Close()
	r := &Report{Path: path, Machine: f.Machine, Class: f.Class, Arch: MachineName(f.Machine, f.Class), Type: f.Type.String()}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				r.Interp = strings.TrimRight(string(b), "\x00")
			} else {
				r.Interp = "(unreadable)"
			}
		case elf.PT_DYNAMIC:
			r.Dynamic = true
		}
	}
	if r.Dynamic {
		// Static-pie binaries have a dynamic section for self-relocation but
		// need nothing; only DT_NEEDED entries make a binary depend on others.
		needed, err := f.ImportedLibraries()
		if err != nil {
			return nil, fmt.Errorf("reading dynamic section of %s: %w", path, err)
		}
		r.Needed = needed
	}
	r.Static = r.Interp == "" && len(r.Needed) == 0
	return r, nil
}

func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return badinput.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != elf.ELFMAG {
		return badinput.Errorf("%s is not an ELF file: give a compiled executable", path)
	}
	return nil
}

// Check inspects path and lists every way it falls short of want.
func Check(path string, want Want) (*Report, error) {
	r, err := Inspect(path)
	if err != nil {
		return nil, err
	}
	if r.Interp != "" {
		r.Problems = append(r.Problems, "has an interpreter "+r.Interp)
	}
	if len(r.Needed) > 0 {
		r.Problems = append(r.Problems, "needs shared libraries "+strings.Join(r.Needed, ", "))
	}
	if want.Machine != elf.EM_NONE && (r.Machine != want.Machine || (want.Class != elf.ELFCLASSNONE && r.Class != want.Class)) {
		r.Problems = append(r.Problems, fmt.Sprintf("is %s, want %s", r.Arch, MachineName(want.Machine, want.Class)))
	}
	if r.Type != elf.ET_EXEC.String() && r.Type != elf.ET_DYN.String() {
		r.Problems = append(r.Problems, "is not an executable ("+r.Type+")")
	}
	return r, nil
}

// MachineName gives the short name users know (x86_64, aarch64, arm, ...).
func MachineName(m elf.Machine, c elf.Class) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i386"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_RISCV:
		if c == elf.ELFCLASS32 {
			return "riscv32"
		}
		return "riscv64"
	case elf.EM_PPC64:
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
}

// Summary is the one-line verdict for a report.
func (r *Report) Summary() string {
	if len(r.Problems) == 0 {
		return fmt.Sprintf("%s: ok: static %s executable", r.Path, r.Arch)
	}
	return fmt.Sprintf("%s: not ok: %s", r.Path, strings.Join(r.Problems, "; "))
}
