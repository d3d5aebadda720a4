package main

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/toolchains"
)

// ELF header flags (e_flags) the targets' ABIs set.
const (
	efARMEABIMask      = 0xff000000
	efARMEABIVer5      = 0x05000000
	efARMABIFloatHard  = 0x00000400
	efRISCVFloatABI    = 0x0006
	efRISCVFloatDouble = 0x0004
	efPPC64ABIMask     = 0x3
	efMIPSABI2         = 0x00000020 // n32
	efMIPSABIMask      = 0x0000f000
	efMIPSABIO32       = 0x00001000
	mipsFPSoft         = 3 // Val_GNU_MIPS_ABI_FP_SOFT in .MIPS.abiflags
)

// abiChecks are each architecture's ABI facts beyond machine and class,
// which a toolchain built with the wrong configure triple or float ABI
// would get wrong. A row without one is checked for machine, class and
// byte order only.
var abiChecks = map[string]func(flags uint32, f *elf.File) error{
	"arm": func(fl uint32, _ *elf.File) error {
		if fl&efARMEABIMask != efARMEABIVer5 || fl&efARMABIFloatHard == 0 {
			return fmt.Errorf("e_flags %#x: want EABI5 with hard float (armhf)", fl)
		}
		return nil
	},
	"riscv64": func(fl uint32, _ *elf.File) error {
		if fl&efRISCVFloatABI != efRISCVFloatDouble {
			return fmt.Errorf("e_flags %#x: want the lp64d (double float) ABI", fl)
		}
		return nil
	},
	"ppc64le": func(fl uint32, _ *elf.File) error {
		if fl&efPPC64ABIMask != 2 {
			return fmt.Errorf("e_flags %#x: want ELFv2", fl)
		}
		return nil
	},
	"mips64le": func(fl uint32, f *elf.File) error {
		if fl&(efMIPSABI2|efMIPSABIMask) != 0 {
			return fmt.Errorf("e_flags %#x: want n64 (no n32 or o32 ABI flags)", fl)
		}
		return mipsHardFloat(f)
	},
	"mipsle": func(fl uint32, f *elf.File) error {
		if fl&efMIPSABIMask != efMIPSABIO32 {
			return fmt.Errorf("e_flags %#x: want the o32 ABI", fl)
		}
		return mipsHardFloat(f)
	},
}

// mipsHardFloat reads fp_abi from .MIPS.abiflags: Go's GOMIPS default is
// hardfloat, so the C side must not be soft float.
func mipsHardFloat(f *elf.File) error {
	s := f.Section(".MIPS.abiflags")
	if s == nil {
		return fmt.Errorf("no .MIPS.abiflags section")
	}
	b, err := s.Data()
	if err != nil || len(b) < 8 {
		return fmt.Errorf("reading .MIPS.abiflags: %v", err)
	}
	if b[7] == mipsFPSoft {
		return fmt.Errorf(".MIPS.abiflags fp_abi is soft float: Go's code is hard float")
	}
	return nil
}

// checkABI reads bin with debug/elf: no program interpreter, no dynamic
// section, the target's machine, class, byte order and ABI flags.
func checkABI(t *testing.T, tgt toolchains.Target, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != tgt.Machine || f.Class != tgt.Class {
		t.Fatalf("%s is %v %v, want %v %v", bin, f.Machine, f.Class, tgt.Machine, tgt.Class)
	}
	wantOrder := binary.ByteOrder(binary.LittleEndian)
	if tgt.GOARCH == "s390x" {
		wantOrder = binary.BigEndian
	}
	if f.ByteOrder != wantOrder {
		t.Fatalf("%s is %v, want %v", bin, f.ByteOrder, wantOrder)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("%s has a %v program header: not static", bin, p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("%s needs %v: not static", bin, libs)
	}
	if check := abiChecks[tgt.GOARCH]; check != nil {
		if err := check(eFlags(t, f, bin), f); err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
	}
}

// eFlags reads e_flags, which debug/elf does not expose.
func eFlags(t *testing.T, f *elf.File, bin string) uint32 {
	t.Helper()
	off := int64(36) // ELF32: after e_ident, type, machine, version, entry, phoff, shoff
	if f.Class == elf.ELFCLASS64 {
		off = 48
	}
	r, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b [4]byte
	if _, err := r.ReadAt(b[:], off); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return f.ByteOrder.Uint32(b[:])
}

// TestGoTestAndRunEveryTarget: `mcc go test` of a package with a cgo test,
// and `mcc go run`, for every target: natively or under the qemu-user
// binary the target table names; the musl tag is set in both.
func TestGoTestAndRunEveryTarget(t *testing.T) {
	testenv.Sources(t)
	for _, tgt := range toolchains.Targets() {
		t.Run(strings.ReplaceAll(tgt.Name, "/", "_"), func(t *testing.T) {
			if !tgt.Native() {
				testenv.Tool(t, tgt.QEMU)
			}
			dir := t.TempDir()
			copyTree(t, "testdata/cgotest", dir)
			for _, verb := range [][]string{{"test", "-v", "."}, {"run", "."}} {
				cmd := mccCmd(t, append(append(sharedArgs(t), "--target", tgt.Name, "go"), verb...)...)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("mcc go %s: %v\n%s", verb[0], err, out)
				}
				want := map[string][]string{
					"test": {"--- PASS: TestTriple", "--- PASS: TestMuslTag"},
					"run":  {"triple=42 arch=" + tgt.GOARCH + " tag=musl"},
				}[verb[0]]
				for _, w := range want {
					if !strings.Contains(string(out), w) {
						t.Fatalf("mcc go %s output lacks %q:\n%s", verb[0], w, out)
					}
				}
			}
		})
	}
}

// TestMuslTagAtWork: the //go:build musl file is picked with the user's own
// -tags too, and the !musl one with MCC_MUSL_TAG=0.
func TestMuslTagAtWork(t *testing.T) {
	testenv.Sources(t)
	dir := t.TempDir()
	copyTree(t, "testdata/cgotest", dir)
	tests := []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"-tags", "netgo osusergo", "."}, "tag=musl"},
		{[]string{"MCC_MUSL_TAG=0"}, []string{"."}, "tag=not-musl"},
	}
	for _, tt := range tests {
		cmd := mccCmd(t, append(append(sharedArgs(t), "--target", "linux/amd64", "go", "run"), tt.args...)...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Env, tt.env...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Fatalf("%v mcc go run %v: %v, want %q in:\n%s", tt.env, tt.args, err, tt.want, out)
		}
	}
}

// TestGlibcArchiveDiagnosed links a static archive compiled by Debian's
// glibc gcc with _FORTIFY_SOURCE: the link fails, and mcc's last line names
// the archive and its glibc-only symbols.
func TestGlibcArchiveDiagnosed(t *testing.T) {
	testenv.Sources(t)
	gcc := testenv.Tool(t, "gcc")
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/glibcdep\n\ngo 1.26\n",
		"foo.c": `#include <stdio.h>
#include <string.h>
int foo_format(const char *name, int n) {
	char buf[16];
	memcpy(buf, name, n); /* n unknown: fortified to __memcpy_chk */
	buf[15] = 0;
	return printf("hello %s %d\n", buf, n); /* __printf_chk */
}
`,
		"main.go": `package main

// #cgo LDFLAGS: ${SRCDIR}/libfoo.a
// int foo_format(const char *name, int n);
import "C"

func main() { C.foo_format(C.CString("x"), 2) }
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// foo.c is not in a cgo package's files once compiled: move it aside.
	for _, c := range [][]string{
		{gcc, "-D_FORTIFY_SOURCE=2", "-O2", "-c", "foo.c", "-o", "foo.o"},
		{"ar", "rcs", "libfoo.a", "foo.o"},
		{"rm", "foo.c", "foo.o"},
	} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	cmd := mccCmd(t, append(sharedArgs(t), "--target", "linux/amd64", "go", "build", "-o", "app", ".")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1:\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	for _, w := range []string{"mcc: go build failed (exit 1): ", "/libfoo.a(foo.o) was compiled for glibc", "__memcpy_chk", "__printf_chk", "musl build of that library"} {
		if !strings.Contains(last, w) {
			t.Errorf("last line %q lacks %q", last, w)
		}
	}
	if n := strings.Count(string(out), "mcc: "); n != 1 {
		t.Errorf("mcc said %d lines, want one:\n%s", n, out)
	}
}
