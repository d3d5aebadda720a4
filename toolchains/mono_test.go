package toolchains

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/testenv"
	monopatches "github.com/mcc-build/mcc/patches/mono"
	"github.com/mcc-build/mcc/sysroots"
)

func TestSkipMonoSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		skip bool
	}{
		{"mono/mini/main.c", false},
		{"configure", false},
		{"mcs/class/corlib/System/String.cs", true},
		{"mcs/build/config-default.make", false},
		{"mono/tests/Makefile.in", false},
		{"mono/tests/tests-config.in", false},
		{"mono/tests/array-coop-bigvt.cs", true},
		{"external/boringssl/crypto/aes/aes.c", true},
		{"external/corefx/src/Native/Unix/System.Native/pal_io.c", false},
		{"external/corefx/src/System.Runtime/ref/System.Runtime.cs", true},
		{"support/zlib-helper.c", false},
	} {
		if got := skipMonoSource(tc.name); got != tc.skip {
			t.Errorf("skipMonoSource(%q) = %v, want %v", tc.name, got, tc.skip)
		}
	}
}

func TestMonoPatchesAreOrderedAndNamed(t *testing.T) {
	ps := monopatches.Patches()
	if len(ps) < 2 {
		t.Fatalf("want the build-date and static-natives patches, got %d", len(ps))
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
		if len(p.SHA256) != 64 || !bytes.Contains(p.Data, []byte("\n+++ b/")) {
			t.Errorf("%s: not a -p1 unified diff", p.Name)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("patches out of order: %v", names)
	}
}

func TestArMembersAndNativeSymbols(t *testing.T) {
	cc := testenv.Tool(t, "gcc")
	ar := testenv.Tool(t, "ar")
	dir := t.TempDir()
	src := filepath.Join(dir, "a_rather_long_object_name.c")
	os.WriteFile(src, []byte("int zeta(void){return 1;}\nint alpha(void){return 2;}\nstatic int hidden(void){return 3;}\nint _internal(void){return hidden();}\nint counter;\n"), 0o644)
	obj := filepath.Join(dir, "a_rather_long_object_name.o")
	lib := filepath.Join(dir, "libx.a")
	if out, err := exec.Command(cc, "-c", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := exec.Command(ar, "rcs", lib, obj).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	syms, err := NativeSymbols(lib)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(syms, ",") != "alpha,zeta" {
		t.Errorf("symbols = %v, want [alpha zeta] (functions only, no statics, no _names, sorted)", syms)
	}
	c := string(NativeTableC(syms))
	if !strings.Contains(c, `{"alpha", (void *)alpha}`) || !strings.Contains(c, "mcc_native_symbols_count = 2;") {
		t.Errorf("table:\n%s", c)
	}
	if _, err := arMembers([]byte("!<arch>\nshort")); err == nil {
		t.Error("truncated archive accepted")
	}
}

// monoInputs are the mirror files each target's runtime build needs.
var monoInputs = map[string][]string{
	"linux/amd64": {pinFile(MonoSourcePin), pinFile("kernel-headers-amd64")},
	"linux/arm64": {pinFile(MonoSourcePin), pinFile("kernel-headers-arm64")},
}

// monoRuntime builds (or finds in the shared test store) the static runtime.
func monoRuntime(t *testing.T, target string) *MonoRuntime {
	t.Helper()
	src := testenv.Sources(t)
	for _, f := range monoInputs[target] {
		if _, err := os.Stat(filepath.Join(src, f)); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s missing from MCC_TEST_SOURCES: run make mirror (mcc mirror fill --dir %s)", f, src)
			}
			t.Skipf("%s missing from MCC_TEST_SOURCES: run make mirror (mcc mirror fill --dir %s)", f, src)
		}
	}
	tgt, err := Lookup(target)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := InstallMono(context.Background(), installer(t), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestMonoRuntimeIsStaticAndRuns builds the runtime from the pinned source
// and patches and proves it static, stripped of nothing it needs, and alive.
func TestMonoRuntimeIsStaticAndRuns(t *testing.T) {
	rt := monoRuntime(t, "linux/amd64")
	r, err := elfcheck.Check(rt.Runtime, elfcheck.Want{Machine: elf.EM_X86_64})
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("runtime not static amd64: %v %v", err, r.Problems)
	}
	out, err := exec.Command(rt.Runtime, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Mono JIT compiler version 6.8.0.105") {
		t.Fatalf("mono --version: %v\n%s", err, out)
	}
	// The build date comes from SOURCE_DATE_EPOCH (patch 0001), not the clock.
	if !strings.Contains(string(out), "2020") {
		t.Errorf("build date not reproducible:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(rt.Dir, "work")); err == nil {
		t.Error("build tree left in the store entry")
	}
}

// TestMonoRuntimeArm64UnderQemu cross-builds the linux/arm64 runtime and
// runs it under qemu-user.
func TestMonoRuntimeArm64UnderQemu(t *testing.T) {
	testenv.Tool(t, "qemu-aarch64-static")
	testenv.Tool(t, "aarch64-linux-gnu-g++") // Mono's configure probes C++
	rt := monoRuntime(t, "linux/arm64")
	r, err := elfcheck.Check(rt.Runtime, elfcheck.Want{Machine: elf.EM_AARCH64})
	if err != nil || len(r.Problems) > 0 {
		t.Fatalf("runtime not static arm64: %v %v", err, r.Problems)
	}
	tgt, _ := Lookup("linux/arm64")
	out, err := Run(tgt, rt.Runtime, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Mono JIT compiler version 6.8.0.105") || !strings.Contains(string(out), "Architecture:  arm64") {
		t.Fatalf("mono --version under qemu: %v\n%s", err, out)
	}
}

// TestMonoPatchThatNoLongerAppliesIsAClearError applies patches/mono to a
// tree without Mono's files: the first patch must fail, by name.
func TestMonoPatchThatNoLongerAppliesIsAClearError(t *testing.T) {
	testenv.Tool(t, "patch")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "mono", "mini"), 0o755)
	os.WriteFile(filepath.Join(dir, "mono", "mini", "Makefile.in"), []byte("something else entirely\n"), 0o644)
	var log bytes.Buffer
	err := applyMonoPatches(&runner{ctx: context.Background(), dir: dir, log: &log})
	if err == nil || !strings.Contains(err.Error(), "patches/mono/0001-reproducible-build-date.patch no longer applies to mono-source") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error: %q", err)
	}
}

// pinFile is the file name the test sources hold a pin under.
func pinFile(role string) string {
	p, err := sysroots.Lookup(role)
	if err != nil {
		panic(err)
	}
	return p.File
}
