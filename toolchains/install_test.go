package toolchains

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/testenv"
)

// The four targets CI proves; the other rows need only their cross gcc.
var tested = []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/riscv64"}

const unwindC = `#include <stdio.h>
#include <unwind.h>
static _Unwind_Reason_Code count(struct _Unwind_Context *c, void *n) { ++*(int *)n; return _URC_NO_REASON; }
__attribute__((noinline)) static int frames(void) { int n = 0; _Unwind_Backtrace(count, &n); return n; }
int main(void) { int n = frames(); printf("unwound %s\n", n >= 2 ? "ok" : "NOTHING"); return n >= 2 ? 0 : 1; }
`

func installer(t *testing.T) *Installer { return installerFor(t, testenv.Store(t)) }

// TestToolchainsCompileStaticUnwindingC builds each target's toolchain and
// compiles a C program that unwinds its own stack (so it needs the
// _dl_find_object shim), then proves it static and runs it.
func TestToolchainsCompileStaticUnwindingC(t *testing.T) {
	in := installer(t)
	for _, name := range tested {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			tgt, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			tc, err := in.Install(context.Background(), tgt)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.Meta.Pins) != 1 || tc.Meta.Pins[0].Name != MuslPin {
				t.Fatalf("meta %+v", tc.Meta)
			}
			dir := t.TempDir()
			src, bin := filepath.Join(dir, "u.c"), filepath.Join(dir, "u")
			os.WriteFile(src, []byte(unwindC), 0o644)
			if out, err := exec.Command(tc.CC, "-static", "-O1", "-funwind-tables", "-o", bin, src).CombinedOutput(); err != nil {
				t.Fatalf("compile: %v\n%s", err, out)
			}
			r, err := elfcheck.Check(bin, elfcheck.Want{Machine: tgt.Machine, Class: tgt.Class})
			if err != nil || len(r.Problems) > 0 {
				t.Fatalf("not a static %s binary: %v %v", name, err, r.Problems)
			}
			id, ok, err := ReadIdent(bin)
			if err != nil || !ok || id.Key != tc.Key || id.Target != name || id.MuslSHA256 != tc.Meta.Pins[0].SHA256 || id.GCC == "" {
				t.Fatalf("binary does not name its toolchain: %+v ok=%v err=%v", id, ok, err)
			}
			out, err := runOn(tgt, bin).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "unwound ok" {
				t.Fatalf("run: %v: %s", err, out)
			}
		})
	}
}

func TestMissingCompilerNamesPackage(t *testing.T) {
	tgt := Target{Name: "linux/fake", GNU: "fake-linux-gnu", Package: "gcc-fake-linux-gnu"}
	_, _, err := Compiler(tgt)
	if err == nil || !strings.Contains(err.Error(), "apt-get install gcc-fake-linux-gnu") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkInstallCached is the cost of resolving an installed toolchain:
// what every `mcc go` pays before running go (a stat and gcc's version).
func BenchmarkInstallCached(b *testing.B) {
	in := installerFor(b, testenv.Store(b))
	tgt, _ := Lookup("linux/amd64")
	if _, err := in.Install(context.Background(), tgt); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := in.Install(context.Background(), tgt); err != nil {
			b.Fatal(err)
		}
	}
}
