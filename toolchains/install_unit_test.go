package toolchains

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

func amd64(t *testing.T) Target {
	t.Helper()
	tgt, err := Lookup("linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// TestCompilerVersionRemembered: gcc is asked its version once; the answer
// is remembered until the gcc binary changes.
func TestCompilerVersionRemembered(t *testing.T) {
	gcc, _, log := fakeHostGCC(t)
	in := shortInstaller(t)
	const want = "12.2.0 (fake-gcc (Debian 12.2.0-14) 12.2.0)"
	for i := 0; i < 2; i++ {
		path, version, err := in.compiler(amd64(t))
		if err != nil || path != gcc || version != want {
			t.Fatalf("call %d: compiler = %q, %q, %v; want %q, %q", i, path, version, err, gcc, want)
		}
	}
	if runs := log.lines(t); len(runs) != 2 {
		t.Fatalf("gcc ran %d times for two lookups, want 2 (once each question): %q", len(runs), runs)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(gcc, later, later); err != nil { // a gcc upgrade
		t.Fatal(err)
	}
	if _, _, err := in.compiler(amd64(t)); err != nil {
		t.Fatal(err)
	}
	if runs := log.lines(t); len(runs) != 4 {
		t.Errorf("a changed gcc was not asked again: %d runs", len(runs))
	}
}

// TestMissingCompilerIsInputError: no cross gcc is a one-line input error
// naming the Debian package, from the memoised lookup too.
func TestMissingCompilerIsInputError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	tgt, err := Lookup("linux/riscv64")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = shortInstaller(t).compiler(tgt)
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "riscv64-linux-gnu-gcc for linux/riscv64 not found: install it with 'apt-get install gcc-riscv64-linux-gnu'") {
		t.Fatalf("got %v", err)
	}
}

// TestToolchainKeyInputs: the key changes with what changes the bytes (the
// target's ABI flags, gcc's version) and with nothing else.
func TestToolchainKeyInputs(t *testing.T) {
	fake, dir, log := fakeHostGCC(t)
	in := shortInstaller(t)
	tgt := amd64(t)
	k1, gcc, version, err := in.Key(tgt)
	if err != nil || gcc != fake || !strings.HasPrefix(version, "12.2.0 ") {
		t.Fatalf("Key = %q, %q, %q, %v", k1, gcc, version, err)
	}
	if k2, _, _, _ := shortInstaller(t).Key(tgt); k2 != k1 {
		t.Errorf("same inputs, other store: key %s, want %s", k2, k1)
	}
	flagged := tgt
	flagged.CFlags = []string{"-mfoo"}
	if k3, _, _, _ := in.Key(flagged); k3 == k1 {
		t.Error("ABI flags do not change the key")
	}
	fakeTool(t, dir, log, "x86_64-linux-gnu-gcc", "echo 13.1.0") // an upgrade
	if k4, _, _, _ := in.Key(tgt); k4 == k1 {
		t.Error("another gcc version, same key")
	}
	if !strings.HasPrefix(k1, "musl-linux/amd64") && !strings.HasPrefix(k1, "musl-linux-amd64") {
		t.Errorf("key %s does not name the target", k1)
	}
}

// storedToolchain puts a toolchain entry for tgt into in's store as a
// finished build would (toolchain.json, bin/cc, lib/libc.a), with cc a
// copy of ccScript, and returns its key.
func storedToolchain(t *testing.T, in *Installer, tgt Target, ccScript string) string {
	t.Helper()
	key, _, version, err := in.Key(tgt)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = in.Store.Entry(context.Background(), key, func(_ context.Context, tmp string) error {
		b, _ := json.Marshal(Meta{Recipe: recipe, Target: tgt.Name, GCCVersion: version})
		cc, err := os.ReadFile(ccScript)
		if err != nil {
			return err
		}
		for name, f := range map[string]struct {
			data []byte
			mode os.FileMode
		}{MetaFile: {b, 0o644}, "bin/cc": {cc, 0o755}, "lib/libc.a": {arFile(), 0o644}} {
			os.MkdirAll(filepath.Dir(filepath.Join(tmp, name)), 0o755)
			if err := os.WriteFile(filepath.Join(tmp, name), f.data, f.mode); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestInstallFindsStoredToolchain: Installed and Install return a stored
// toolchain without building; a missing one is built (here: its fetch
// fails offline, an error naming the target), a damaged one refused.
func TestInstallFindsStoredToolchain(t *testing.T) {
	gcc, _, _ := fakeHostGCC(t)
	in := shortInstaller(t)
	tgt := amd64(t)
	if _, ok, err := in.Installed(tgt); ok || err != nil {
		t.Fatalf("Installed on an empty store: %v, %v", ok, err)
	}
	if _, err := in.Install(context.Background(), tgt); err == nil || !strings.Contains(err.Error(), "installing the linux/amd64 toolchain: ") {
		t.Fatalf("Install offline without the musl source: %v", err)
	}
	key := storedToolchain(t, in, tgt, gcc)
	tc, ok, err := in.Installed(tgt)
	if err != nil || !ok || tc.Key != key || tc.CC != filepath.Join(in.Store.Path(key), "bin", "cc") || tc.Meta.Target != "linux/amd64" {
		t.Fatalf("Installed = %+v, %v, %v", tc, ok, err)
	}
	tc, err = in.Install(context.Background(), tgt)
	if err != nil || tc.Built || tc.Key != key || tc.Sysroot != in.Store.Path(key) {
		t.Fatalf("Install = %+v, %v; want the stored entry, not built", tc, err)
	}
	if _, err := load(tgt, key, t.TempDir()); err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "mcc toolchain prune --all") {
		t.Errorf("load of an entry without %s: %v", MetaFile, err)
	}
}

func TestMuslSteps(t *testing.T) {
	ppc, err := Lookup("linux/ppc64le")
	if err != nil {
		t.Fatal(err)
	}
	got := muslSteps(ppc, "/usr/bin/powerpc64le-linux-gnu-gcc", "/s/tmp/x")
	want := [][]string{
		{"./configure", "--prefix=/s/tmp/x", "--target=powerpc64le-linux-musl", "CROSS_COMPILE=/usr/bin/powerpc64le-linux-gnu-",
			"CC=/usr/bin/powerpc64le-linux-gnu-gcc -mlong-double-64", "--disable-shared", "--disable-wrapper"},
		{"make", "-j" + strconv.Itoa(runtime.NumCPU())},
		{"make", "install"},
	}
	if !equalSteps(got, want) {
		t.Errorf("muslSteps = %q,\nwant %q", got, want)
	}
	got = shimSteps("/usr/bin/x-gcc", "/p", "/w/mcc-ident.c")
	want = [][]string{
		{"/usr/bin/x-gcc", "-O2", "-nostdinc", "-isystem", "/p/include", "-c", "dlfo.c", "-o", "dlfo.o"},
		{"/usr/bin/x-ar", "rD", "/p/lib/libc.a", "dlfo.o"},
		{"/usr/bin/x-gcc", "-c", "/w/mcc-ident.c", "-o", "/p/lib/" + IdentObject},
	}
	if !equalSteps(got, want) {
		t.Errorf("shimSteps = %q,\nwant %q", got, want)
	}
}

func equalSteps(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

// muslFakes sets up build's inputs with fake tools: a musl "source" whose
// configure makes the install dirs, fake make, gcc and ar; it returns the
// source archive, the gcc path and the tool log.
func muslFakes(t *testing.T, makeBody string) (*fetch.Result, string, toolLog) {
	t.Helper()
	gcc, dir, log := fakeHostGCC(t)
	fakeTool(t, dir, log, "x86_64-linux-gnu-ar", "")
	fakeTool(t, dir, log, "make", makeBody)
	src := tarGz(t, filepath.Join(t.TempDir(), "musl.tar.gz"), map[string]string{
		"musl-1.2.3/configure": "#!/bin/sh\necho \"configure $*\" >> " + string(log) + "\n" +
			"for a; do case $a in --prefix=*) mkdir -p \"${a#--prefix=}/lib\" \"${a#--prefix=}/include\";; esac; done\n",
		"musl-1.2.3/tools/musl-gcc.specs.sh": "echo \"specs.sh $*\" >> " + string(log) + "\n" +
			"printf '%s\\n' '*link:' '-dynamic-linker '$3' -nostdlib' '' '*startfile:' 'crt1.o%s crti.o%s crtbeginS.o%s'\n",
	})
	return &fetch.Result{Path: src, Info: store.BlobInfo{Signature: "good signature"}}, gcc, log
}

// TestMuslBuildWithFakeTools runs the musl recipe with fake tools: the
// steps in order with their arguments, and the entry's specs, wrapper and
// metadata naming the final directory.
func TestMuslBuildWithFakeTools(t *testing.T) {
	src, gcc, log := muslFakes(t, "")
	in := shortInstaller(t)
	tgt := amd64(t)
	tmp, final := t.TempDir(), "/store/entries/musl-linux-amd64-abc"
	if err := in.build(context.Background(), tgt, gcc, "12.2.0 (x)", src, tmp, final); err != nil {
		t.Fatal(err)
	}
	cross := strings.TrimSuffix(gcc, "gcc")
	want := []string{
		"configure --prefix=" + tmp + " --target=x86_64-linux-musl CROSS_COMPILE=" + cross + " CC=" + gcc + " --disable-shared --disable-wrapper",
		"make -j" + strconv.Itoa(runtime.NumCPU()),
		"make install",
		"x86_64-linux-gnu-gcc -dumpfullversion", // for the ident line
		"x86_64-linux-gnu-gcc -O2 -nostdinc -isystem " + tmp + "/include -c dlfo.c -o dlfo.o",
		"x86_64-linux-gnu-ar rD " + tmp + "/lib/libc.a dlfo.o",
		"x86_64-linux-gnu-gcc -c " + tmp + "/.build/mcc-ident.c -o " + tmp + "/lib/" + IdentObject,
		"specs.sh " + final + "/include " + final + "/lib /lib/ld-musl-x86_64.so.1",
	}
	if got := log.lines(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ran:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	specs, _ := os.ReadFile(filepath.Join(tmp, "lib", "musl-gcc.specs"))
	if !strings.Contains(string(specs), "*link:\n--eh-frame-hdr -dynamic-linker") ||
		!strings.Contains(string(specs), "crtbeginS.o%s "+final+"/lib/"+IdentObject+"\n") {
		t.Errorf("specs:\n%s", specs)
	}
	cc, err := os.Stat(filepath.Join(tmp, "bin", "cc"))
	wrapper, _ := os.ReadFile(filepath.Join(tmp, "bin", "cc"))
	if err != nil || cc.Mode().Perm() != 0o755 || !strings.HasSuffix(string(wrapper), "\nexec "+gcc+" \"$@\" -specs "+final+"/lib/musl-gcc.specs\n") {
		t.Errorf("wrapper (%v):\n%s", err, wrapper)
	}
	var meta Meta
	b, _ := os.ReadFile(filepath.Join(tmp, MetaFile))
	pin, _ := sysroots.Lookup(MuslPin)
	if err := json.Unmarshal(b, &meta); err != nil || meta.Compiler != "x86_64-linux-gnu-gcc" || meta.GCCVersion != "12.2.0 (x)" ||
		len(meta.Pins) != 1 || meta.Pins[0] != (PinRecord{Name: pin.Name, SHA256: pin.SHA256, Signature: "good signature"}) {
		t.Errorf("meta %+v, %v", meta, err)
	}
	if _, err := os.Stat(filepath.Join(tmp, ".build")); !os.IsNotExist(err) {
		t.Errorf("build dir left in the entry: %v", err)
	}
	if b, err := os.ReadFile(in.Store.LogPath(filepath.Base(final))); err != nil || !strings.Contains(string(b), "+ make install\n") {
		t.Errorf("build log: %v\n%s", err, b)
	}
}

// TestMuslBuildFailureNamesLog: a failed step's error names the program
// and the build log.
func TestMuslBuildFailureNamesLog(t *testing.T) {
	src, gcc, _ := muslFakes(t, "exit 2")
	in := shortInstaller(t)
	final := "/store/entries/musl-linux-amd64-def"
	err := in.build(context.Background(), amd64(t), gcc, "12", src, t.TempDir(), final)
	if err == nil || err.Error() != "make: exit status 2: see "+in.Store.LogPath(filepath.Base(final)) {
		t.Fatalf("got %v", err)
	}
}
