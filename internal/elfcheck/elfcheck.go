// Package elfcheck reads ELF files and says whether they are fully static
// executables for an expected machine: an executable (not a shared library
// or an object file), no PT_INTERP, no dynamic section that needs shared
// libraries, the right e_machine.
package elfcheck

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/userfile"
)

// Report describes one file.
type Report struct {
	Path     string      `json:"path"`
	Machine  elf.Machine `json:"-"`
	Class    elf.Class   `json:"-"`
	Arch     string      `json:"machine"`
	Type     string      `json:"type"`
	Kind     Kind        `json:"kind"`
	Interp   string      `json:"interp,omitempty"`
	Needed   []string    `json:"needed,omitempty"`
	Dynamic  bool        `json:"dynamic_section"`
	Static   bool        `json:"static"` // linkage only: no interpreter, no needed libraries; Kind says what the file is
	Problems []string    `json:"problems,omitempty"`
}

// Kind is what an ELF file is for, from e_type, PT_INTERP and DT_FLAGS_1.
type Kind string

const (
	Executable    Kind = "executable"
	SharedLibrary Kind = "shared library"
	Object        Kind = "object file"
	Other         Kind = "other"
)

// Want is what a file must be; the zero Machine accepts any machine.
type Want struct {
	Machine elf.Machine
	Class   elf.Class
}

// Inspect reads path. A file that is not ELF is bad input, and so is
// anything but a regular file (refused before it is opened: a FIFO would
// block the open forever).
func Inspect(path string) (*Report, error) {
	if err := userfile.CheckInput(path); err != nil {
		return nil, err
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, badinput.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	defer file.Close()
	return inspect(file, path)
}

// inspect reads the ELF file in ra; path only names it in messages.
func inspect(ra io.ReaderAt, path string) (*Report, error) {
	magic := make([]byte, 4)
	if _, err := ra.ReadAt(magic, 0); err != nil || string(magic) != elf.ELFMAG {
		return nil, badinput.Errorf("%s is not an ELF file: give a compiled executable", path)
	}
	f, err := elf.NewFile(ra)
	if err != nil {
		return nil, badinput.Errorf("%s is a corrupt ELF file (%v): rebuild it", path, err)
	}
	r := &Report{Path: path, Machine: f.Machine, Class: f.Class, Arch: MachineName(f.Machine, f.Class), Type: f.Type.String()}
	var flags1 uint64
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			r.Interp = interp(p)
		case elf.PT_DYNAMIC:
			r.Dynamic = true
			flags1 = dynFlags1(f, p)
		}
	}
	if r.Dynamic {
		// Static-pie binaries have a dynamic section for self-relocation but
		// need nothing; only DT_NEEDED entries make a binary depend on others.
		needed, err := f.ImportedLibraries()
		if err != nil {
			return nil, badinput.Errorf("%s is a corrupt ELF file (dynamic section: %v): rebuild it", path, err)
		}
		r.Needed = needed
	}
	r.Kind = kindOf(f.Type, r.Interp != "", elf.DynFlag1(flags1))
	r.Static = r.Interp == "" && len(r.Needed) == 0
	return r, nil
}

// maxInterp bounds PT_INTERP: a path, so PATH_MAX. A hostile file's p_filesz
// must not make us allocate gigabytes.
const maxInterp = 4096

func interp(p *elf.Prog) string {
	if p.Filesz == 0 || p.Filesz > maxInterp {
		return "(unreadable)"
	}
	b := make([]byte, p.Filesz)
	if _, err := p.ReadAt(b, 0); err != nil {
		return "(unreadable)"
	}
	return strings.TrimRight(string(b), "\x00")
}

// dynFlags1 reads DT_FLAGS_1 from the PT_DYNAMIC segment, which is what the
// loader reads; debug/elf's DynValue needs section headers, which sstrip
// and hostile files drop. Entries are read one at a time up to DT_NULL or
// the segment's end (real ones hold a few dozen; maxDyn bounds a hostile
// one), so a huge p_filesz costs nothing.
func dynFlags1(f *elf.File, p *elf.Prog) uint64 {
	size := 16
	if f.Class == elf.ELFCLASS32 {
		size = 8
	}
	ent := make([]byte, size)
	const maxDyn = 4096
	for i, off := 0, int64(0); i < maxDyn && off+int64(size) <= int64(p.Filesz); i, off = i+1, off+int64(size) {
		if _, err := p.ReadAt(ent, off); err != nil {
			return 0
		}
		var tag elf.DynTag
		var val uint64
		if size == 16 {
			tag, val = elf.DynTag(f.ByteOrder.Uint64(ent)), f.ByteOrder.Uint64(ent[8:])
		} else {
			tag, val = elf.DynTag(f.ByteOrder.Uint32(ent)), uint64(f.ByteOrder.Uint32(ent[4:]))
		}
		switch tag {
		case elf.DT_NULL:
			return 0
		case elf.DT_FLAGS_1:
			return val
		}
	}
	return 0
}

// kindOf tells executables from shared libraries. Both can be ET_DYN: a
// position-independent executable has PT_INTERP, or, when static-pie, the
// DF_1_PIE flag that linkers (GNU ld, lld, Go's) set for every PIE; an
// ET_DYN file with neither is a shared library.
func kindOf(t elf.Type, hasInterp bool, flags1 elf.DynFlag1) Kind {
	switch t {
	case elf.ET_EXEC:
		return Executable
	case elf.ET_REL:
		return Object
	case elf.ET_DYN:
		if hasInterp || flags1&elf.DF_1_PIE != 0 {
			return Executable
		}
		return SharedLibrary
	}
	return Other
}

// Check inspects path and lists every way it falls short of want.
func Check(path string, want Want) (*Report, error) {
	r, err := Inspect(path)
	if err != nil {
		return nil, err
	}
	judge(r, want)
	return r, nil
}

// CheckAll checks files in order, calling each with every report as it is
// made. It stops at the first file it cannot read as ELF: the error is
// that file's, and it is files[len(reports)].
func CheckAll(files []string, want Want, each func(*Report)) (reports []*Report, err error) {
	for _, f := range files {
		r, err := Check(f, want)
		if err != nil {
			return reports, err
		}
		reports = append(reports, r)
		each(r)
	}
	return reports, nil
}

// Failing lists the reports that found problems.
func Failing(reports []*Report) []*Report {
	var bad []*Report
	for _, r := range reports {
		if len(r.Problems) > 0 {
			bad = append(bad, r)
		}
	}
	return bad
}

// judge lists every way r falls short of want in r.Problems.
func judge(r *Report, want Want) {
	switch r.Kind {
	case Executable:
	case SharedLibrary:
		r.Problems = append(r.Problems, "is a shared library, not an executable")
	default:
		r.Problems = append(r.Problems, "is not an executable ("+r.Type+")")
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
}

// MachineName gives the short name users know (x86_64, aarch64, arm, ...).
// It names the machine of any ELF file mcc is shown, not only mcc's targets,
// so it is not derived from the target table (toolchains.Targets, which
// imports this package); toolchains' TestEveryTargetHasAMachineName checks
// every target has its own name here.
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
	case elf.EM_MIPS:
		if c == elf.ELFCLASS64 {
			return "mips64"
		}
		return "mips"
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
