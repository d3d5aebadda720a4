package toolchains

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/testenv"
)

const tinyLibC = `/* A native library a C# program P/Invokes (mono_link_test.go). */
int tiny_mul(int a, int b) { return a * b; }
const char *tiny_name(void) { return "tiny from a static archive"; }
`

const tinyProgramCS = `using System;
using System.Runtime.InteropServices;

class Tiny
{
	[DllImport("tiny")]
	static extern int tiny_mul(int a, int b);

	[DllImport("libtiny.so")]
	static extern IntPtr tiny_name();

	static void Main()
	{
		Console.WriteLine("tiny_mul(6, 7) = " + tiny_mul(6, 7));
		Console.WriteLine(Marshal.PtrToStringAnsi(tiny_name()));
	}
}
`

// staticLib compiles C source with cc into dir/lib<name>.a.
func staticLib(t *testing.T, cc, dir, name, src string) string {
	t.Helper()
	ar := testenv.Tool(t, "ar")
	c := filepath.Join(dir, name+".c")
	o := filepath.Join(dir, name+".o")
	a := filepath.Join(dir, "lib"+name+".a")
	os.WriteFile(c, []byte(src), 0o644)
	if out, err := exec.Command(cc, "-O2", "-c", "-o", o, c).CombinedOutput(); err != nil {
		t.Fatalf("%s -c %s: %v\n%s", cc, c, err, out)
	}
	if out, err := exec.Command(ar, "rcs", a, o).CombinedOutput(); err != nil {
		t.Fatalf("ar: %v\n%s", err, out)
	}
	return a
}

// TestCheckNativeArchive: archives that cannot be linked into a runtime are
// one-line input errors naming the archive, before any link.
func TestCheckNativeArchive(t *testing.T) {
	gcc := testenv.Tool(t, "gcc") // makes x86-64 objects: wrong for linux/arm64
	dir := t.TempDir()
	good := staticLib(t, gcc, dir, "tiny", tinyLibC)
	empty := staticLib(t, gcc, dir, "nofuncs", "int tiny_data = 1;\n")
	text := filepath.Join(dir, "notar.a")
	os.WriteFile(text, []byte("not an archive\n"), 0o644)
	amd64, _ := Lookup("linux/amd64")
	arm64, _ := Lookup("linux/arm64")
	for _, tc := range []struct {
		name string
		tgt  Target
		lib  NativeLib
		want string // "" for no error
	}{
		{"good", amd64, NativeLib{"tiny", good}, ""},
		{"not ar", amd64, NativeLib{"tiny", text}, "is not a static library"},
		{"missing", amd64, NativeLib{"tiny", filepath.Join(dir, "nope.a")}, "give the path of a static library"},
		{"wrong machine", arm64, NativeLib{"tiny", good}, "not a EM_AARCH64 object: rebuild it for linux/arm64"},
		{"no functions", amd64, NativeLib{"nofuncs", empty}, "defines no global functions"},
		{"no name", amd64, NativeLib{"/", good}, "names no library"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkNatives(tc.tgt, []NativeLib{tc.lib})
			if tc.want == "" {
				if err != nil || len(got) != 1 || strings.Join(got[0].symbols, ",") != "tiny_mul,tiny_name" || len(got[0].SHA256) != 64 {
					t.Fatalf("got %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !badinput.Is(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want a one-line input error with %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.lib.Archive) && tc.name != "no name" {
				t.Errorf("error does not name the archive: %v", err)
			}
		})
	}
}

// TestAppRuntimeAnswersNativeLibrary links a tiny C library, built with the
// musl toolchain, into a per-app runtime; a C# program P/Invoking it by two
// spellings of its name runs as a bundle. An archive with an undefined
// symbol is an error naming it.
func TestAppRuntimeAnswersNativeLibrary(t *testing.T) {
	mcs := testenv.Tool(t, "mcs")
	base := monoRuntime(t, "linux/amd64")
	in := installer(t)
	tgt, _ := Lookup("linux/amd64")
	tc, err := in.Install(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lib := staticLib(t, tc.CC, dir, "tiny", tinyLibC)
	t.Chdir(dir) // a relative archive path is the caller's, not the store's
	start := time.Now()
	rt, err := AppRuntime(context.Background(), in, tgt, []NativeLib{{Name: "tiny", Archive: filepath.Base(lib)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("relink: %v (built: %v)", time.Since(start), rt.Built)
	if rt.Key == base.Key || rt.Runtime == base.Runtime {
		t.Fatalf("AppRuntime gave the base runtime %s", rt.Runtime)
	}
	again, err := AppRuntime(context.Background(), in, tgt, []NativeLib{{Name: "tiny", Archive: lib}})
	if err != nil || again.Key != rt.Key || again.Built {
		t.Errorf("second AppRuntime: %+v %v, want the cached %s", again, err, rt.Key)
	}

	cs := filepath.Join(dir, "tinyprog.cs")
	os.WriteFile(cs, []byte(tinyProgramCS), 0o644)
	exe := filepath.Join(dir, "tinyprog.exe")
	if out, err := exec.Command(mcs, "-out:"+exe, cs).CombinedOutput(); err != nil {
		t.Fatalf("mcs: %v\n%s", err, out)
	}
	bundle := monoBundleExe(t, rt, exe)
	out, err := runFor(exec.Command(bundle), 2*time.Minute)
	if err != nil || !strings.Contains(out, "tiny_mul(6, 7) = 42") || !strings.Contains(out, "tiny from a static archive") {
		t.Fatalf("bundle with the per-app runtime: %v\n%s", err, out)
	}
	// The base runtime does not answer "tiny".
	plain := monoBundleExe(t, base, exe)
	if out, err := runFor(exec.Command(plain), 2*time.Minute); err == nil || !strings.Contains(out, "DllNotFoundException") {
		t.Errorf("base runtime answered tiny: %v\n%s", err, out)
	}

	bad := staticLib(t, tc.CC, dir, "needy", "extern int nowhere_defined(int);\nint needy(int x) { return nowhere_defined(x); }\n")
	_, err = AppRuntime(context.Background(), in, tgt, []NativeLib{{Name: "needy", Archive: filepath.Base(bad)}})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "undefined symbols nowhere_defined") || strings.Contains(err.Error(), "\n") {
		t.Errorf("archive with an undefined symbol: %v", err)
	}
}

// TestMonoRuntimeRelinksToTheSameBytes: what the store entry keeps in
// link/ is the whole runtime: linking it again, elsewhere, with no natives
// added gives the same bytes (no build path or time stamp gets in).
func TestMonoRuntimeRelinksToTheSameBytes(t *testing.T) {
	base := monoRuntime(t, "linux/amd64")
	tgt, _ := Lookup("linux/amd64")
	tc, err := installer(t).Install(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := readLinkSpec(base)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	var log strings.Builder
	r := &runner{ctx: context.Background(), dir: work, log: &log, env: []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}}
	out := filepath.Join(work, "mono")
	if err := linkRuntime(r, tc.CC, filepath.Join(base.Dir, monoLinkDir), spec, work, out); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	a, _ := os.ReadFile(base.Runtime)
	b, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("relinked runtime differs from %s (%d vs %d bytes): %v", base.Runtime, len(a), len(b), err)
	}
}
