package elfcheck

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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

func FuzzInspect(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f")
		os.WriteFile(p, b, 0o644)
		Inspect(p) // must not panic
	})
}
