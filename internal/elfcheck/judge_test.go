package elfcheck

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMachineName(t *testing.T) {
	tests := []struct {
		m    elf.Machine
		c    elf.Class
		want string
	}{
		{elf.EM_X86_64, elf.ELFCLASS64, "x86_64"},
		{elf.EM_386, elf.ELFCLASS32, "i386"},
		{elf.EM_AARCH64, elf.ELFCLASS64, "aarch64"},
		{elf.EM_ARM, elf.ELFCLASS32, "arm"},
		{elf.EM_RISCV, elf.ELFCLASS64, "riscv64"},
		{elf.EM_RISCV, elf.ELFCLASS32, "riscv32"},
		{elf.EM_PPC64, elf.ELFCLASS64, "ppc64"},
		{elf.EM_S390, elf.ELFCLASS64, "s390x"},
		{elf.EM_MIPS, elf.ELFCLASS32, "mips"},
		{elf.EM_MIPS, elf.ELFCLASS64, "mips64"},
		{elf.EM_LOONGARCH, elf.ELFCLASS64, "loongarch"}, // no short name: elf's own, lower case
	}
	for _, tt := range tests {
		if got := MachineName(tt.m, tt.c); got != tt.want {
			t.Errorf("MachineName(%v, %v) = %q, want %q", tt.m, tt.c, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	static := func() *Report {
		return &Report{Path: "/out/app", Kind: Executable, Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Arch: "aarch64", Type: "ET_EXEC"}
	}
	arm64 := Want{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64}
	tests := []struct {
		name   string
		edit   func(*Report)
		want   Want
		wantOK string // the Summary
	}{
		{"static executable of the target", func(*Report) {}, arm64, "/out/app: ok: static aarch64 executable"},
		{"any machine wanted", func(*Report) {}, Want{}, "/out/app: ok: static aarch64 executable"},
		{"machine only", func(*Report) {}, Want{Machine: elf.EM_AARCH64}, "/out/app: ok: static aarch64 executable"},
		{"dynamic", func(r *Report) {
			r.Interp = "/lib/ld-linux-aarch64.so.1"
			r.Needed = []string{"libc.so.6", "libm.so.6"}
		}, arm64,
			"/out/app: not ok: has an interpreter /lib/ld-linux-aarch64.so.1; needs shared libraries libc.so.6, libm.so.6"},
		{"shared library", func(r *Report) { r.Kind = SharedLibrary }, arm64, "/out/app: not ok: is a shared library, not an executable"},
		{"object file", func(r *Report) { r.Kind, r.Type = Object, "ET_REL" }, arm64, "/out/app: not ok: is not an executable (ET_REL)"},
		{"other machine", func(*Report) {}, Want{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64}, "/out/app: not ok: is aarch64, want x86_64"},
		{"other class", func(r *Report) { r.Machine, r.Class, r.Arch = elf.EM_RISCV, elf.ELFCLASS32, "riscv32" },
			Want{Machine: elf.EM_RISCV, Class: elf.ELFCLASS64}, "/out/app: not ok: is riscv32, want riscv64"},
	}
	for _, tt := range tests {
		r := static()
		tt.edit(r)
		judge(r, tt.want)
		if got := r.Summary(); got != tt.wantOK {
			t.Errorf("%s:\n got  %s\n want %s", tt.name, got, tt.wantOK)
		}
		if strings.Contains(tt.wantOK, "not ok") == (len(r.Problems) == 0) {
			t.Errorf("%s: problems %q disagree with the summary", tt.name, r.Problems)
		}
	}
}

// TestCheckAll reports each file as it goes, stops at the first that is
// not ELF (files[len(reports)]), and Failing picks the ones with problems.
func TestCheckAll(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"static":  tinyELF(elf.ET_EXEC, "", 0),
		"dynamic": tinyELF(elf.ET_EXEC, "/lib/ld.so", 0),
		"notes":   []byte("not a program"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	tests := []struct {
		files   []string
		reports int
		failing int
		errFile string
	}{
		{path("static", "dynamic"), 2, 1, ""},
		{path("static", "notes", "dynamic"), 1, 0, "notes"},
		{nil, 0, 0, ""},
	}
	for _, tt := range tests {
		seen := 0
		reports, err := CheckAll(tt.files, Want{}, func(*Report) { seen++ })
		if len(reports) != tt.reports || seen != tt.reports || len(Failing(reports)) != tt.failing {
			t.Errorf("%v: %d reports (each saw %d), %d failing; want %d, %d", tt.files, len(reports), seen, len(Failing(reports)), tt.reports, tt.failing)
		}
		if tt.errFile == "" && err != nil || tt.errFile != "" && (err == nil || filepath.Base(tt.files[len(reports)]) != tt.errFile || !strings.Contains(err.Error(), tt.errFile)) {
			t.Errorf("%v: err = %v, want one naming %q", tt.files, err, tt.errFile)
		}
	}
}
