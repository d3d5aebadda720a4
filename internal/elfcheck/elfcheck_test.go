package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/testenv"
)

// build compiles a tiny C program with the host gcc and extra flags.
func build(t *testing.T, flags ...string) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "x.c"), filepath.Join(dir, "x")
	os.WriteFile(src, []byte("int main(void){return 0;}\n"), 0o644)
	args := append(append([]string{}, flags...), "-o", bin, src)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", flags, err, out)
	}
	return bin
}

func TestCheck(t *testing.T) {
	x86 := Want{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64}
	tests := []struct {
		name     string
		flags    []string
		want     Want
		static   bool
		problems []string
	}{
		{"static", []string{"-static"}, x86, true, nil},
		{"static-pie has a dynamic section but needs nothing", []string{"-static-pie"}, x86, true, nil},
		{"dynamic", nil, x86, false, []string{"has an interpreter", "needs shared libraries libc.so.6"}},
		{"wrong machine", []string{"-static"}, Want{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64}, true, []string{"is x86_64, want aarch64"}},
		{"object file", []string{"-c"}, Want{}, true, []string{"not an executable (ET_REL)"}},
		{"shared library", []string{"-shared", "-fPIC"}, x86, true, []string{"is a shared library, not an executable"}},
		{"shared library with dependencies", []string{"-shared", "-fPIC", "-Wl,--no-as-needed", "-lm"}, x86, false, []string{"is a shared library, not an executable", "needs shared libraries libm.so.6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check(build(t, tt.flags...), tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if r.Static != tt.static {
				t.Errorf("Static = %v, want %v (%+v)", r.Static, tt.static, r)
			}
			got := strings.Join(r.Problems, "; ")
			for _, p := range tt.problems {
				if !strings.Contains(got, p) {
					t.Errorf("problems %q lack %q", got, p)
				}
			}
			if len(tt.problems) == 0 && got != "" {
				t.Errorf("unexpected problems %q", got)
			}
		})
	}
}

func TestNotELF(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"text": "hello", "empty": "", "truncated": "\x7fELF\x02\x01"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Inspect(p); err == nil || !badinput.Is(err) {
			t.Errorf("%s: err = %v, want bad input", name, err)
		}
	}
	if _, err := Inspect(filepath.Join(dir, "missing")); !badinput.Is(err) {
		t.Errorf("missing file: err = %v", err)
	}
}

// tinyELF builds a minimal x86_64 ELF file without section headers: what
// the loader reads (program headers, PT_INTERP, PT_DYNAMIC), nothing else.
func tinyELF(typ elf.Type, interp string, flags1 uint64) []byte {
	le := binary.LittleEndian
	var phdrs, data []byte
	phnum := 0
	const dataOff = 64 + 3*56 // room for PT_LOAD, PT_INTERP, PT_DYNAMIC
	phdr := func(pt elf.ProgType, off, size int) {
		phnum++
		h := le.AppendUint32(le.AppendUint32(nil, uint32(pt)), 4)
		for _, v := range []uint64{uint64(off), uint64(off), uint64(off), uint64(size), uint64(size), 8} {
			h = le.AppendUint64(h, v)
		}
		phdrs = append(phdrs, h...)
	}
	if interp != "" {
		phdr(elf.PT_INTERP, dataOff+len(data), len(interp)+1)
		data = append(append(data, interp...), 0)
	}
	if flags1 != 0 {
		dyn := le.AppendUint64(le.AppendUint64(nil, uint64(elf.DT_FLAGS_1)), flags1)
		dyn = append(dyn, make([]byte, 16)...) // DT_NULL
		phdr(elf.PT_DYNAMIC, dataOff+len(data), len(dyn))
		data = append(data, dyn...)
	}
	phdr(elf.PT_LOAD, 0, dataOff+len(data))
	h := []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	h = le.AppendUint16(h, uint16(typ))
	h = le.AppendUint16(h, uint16(elf.EM_X86_64))
	h = le.AppendUint32(h, 1)
	h = le.AppendUint64(h, 0x1000) // entry
	h = le.AppendUint64(h, 64)     // phoff
	h = le.AppendUint64(h, 0)      // shoff
	h = le.AppendUint32(h, 0)      // flags
	for _, v := range []uint16{64, 56, uint16(phnum), 64, 0, 0} {
		h = le.AppendUint16(h, v)
	}
	h = append(h, phdrs...)
	h = append(h, make([]byte, dataOff-len(h))...)
	return append(h, data...)
}

// TestKind tells executables from shared libraries as the loader would,
// from program headers alone (no section headers, as after sstrip).
func TestKind(t *testing.T) {
	for _, tc := range []struct {
		name   string
		elf    []byte
		kind   Kind
		static bool
	}{
		{"static ET_EXEC", tinyELF(elf.ET_EXEC, "", 0), Executable, true},
		{"static-pie: ET_DYN with DF_1_PIE", tinyELF(elf.ET_DYN, "", uint64(elf.DF_1_PIE|elf.DF_1_NOW)), Executable, true},
		{"PIE with an interpreter", tinyELF(elf.ET_DYN, "/lib/ld-musl-x86_64.so.1", 0), Executable, false},
		{"shared library: ET_DYN, no interpreter, no DF_1_PIE", tinyELF(elf.ET_DYN, "", uint64(elf.DF_1_NOW)), SharedLibrary, true},
		{"shared library without a dynamic segment", tinyELF(elf.ET_DYN, "", 0), SharedLibrary, true},
		{"relocatable", tinyELF(elf.ET_REL, "", 0), Object, true},
		{"core", tinyELF(elf.ET_CORE, "", 0), Other, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			os.WriteFile(p, tc.elf, 0o755)
			r, err := Check(p, Want{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64})
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.kind || r.Static != tc.static {
				t.Errorf("kind %q static %v, want %q %v", r.Kind, r.Static, tc.kind, tc.static)
			}
			if ok := len(r.Problems) == 0; ok != (tc.kind == Executable && tc.static) {
				t.Errorf("verdict %q", r.Summary())
			}
		})
	}
}

// TestHostileHeaders: lengths in the headers are the file's word, not ours.
func TestHostileHeaders(t *testing.T) {
	b := tinyELF(elf.ET_EXEC, "/lib/ld.so", 0)
	// p_filesz of PT_INTERP (first program header) set to 1 TiB.
	binary.LittleEndian.PutUint64(b[64+32:], 1<<40)
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, b, 0o755)
	r, err := Check(p, Want{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Interp != "(unreadable)" || len(r.Problems) == 0 {
		t.Errorf("interp %q problems %v: a huge PT_INTERP must read as an unreadable interpreter", r.Interp, r.Problems)
	}
}

// TestNotRegular: special files are refused before they are opened; a FIFO
// would block the open forever.
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, dir, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := Inspect(p); done <- err }()
		select {
		case err := <-done:
			if !badinput.Is(err) || !strings.Contains(err.Error(), "not a") {
				t.Errorf("%s: err = %v, want a bad-input refusal", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Inspect blocked", p)
		}
	}
}

// FuzzInspect: any bytes give a report or an error, never a panic or a
// huge allocation. Seeds: testdata/fuzz/FuzzInspect (tinyELF outputs and
// damaged copies) and the cases here.
func FuzzInspect(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add(tinyELF(elf.ET_DYN, "/lib/ld.so", uint64(elf.DF_1_PIE)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := inspect(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !badinput.Is(err) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		judge(r, Want{Machine: elf.EM_X86_64})
		if r.Kind == "" || (len(r.Problems) == 0 && (r.Kind != Executable || !r.Static)) {
			t.Fatalf("verdict %q for kind %q static %v", r.Summary(), r.Kind, r.Static)
		}
	})
}
