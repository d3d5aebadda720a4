package toolchains

import (
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/testenv"
	monopatches "github.com/mcc-build/mcc/patches/mono"
	"github.com/mcc-build/mcc/sysroots"
)

// pinSHA is the digest pin name pins.
func pinSHA(t *testing.T, name string) string {
	t.Helper()
	p, err := sysroots.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return p.SHA256
}

func TestMonoArchTable(t *testing.T) {
	if got := strings.Join(MonoTargets(), " "); got != "linux/amd64 linux/arm64" {
		t.Errorf("MonoTargets = %s", got)
	}
	for _, name := range MonoTargets() {
		arch, err := lookupMonoArch(name)
		if err != nil {
			t.Fatal(err)
		}
		tgt, err := Lookup(name)
		if err != nil {
			t.Fatalf("Mono target %s is not in the target table: %v", name, err)
		}
		// The runtime is built with the target's musl toolchain and checked
		// against its ELF machine: the two tables must agree.
		if arch.triple != tgt.Musl || arch.machine != tgt.Machine || !strings.HasPrefix(arch.includeDir, "usr/"+tgt.GNU+"/") {
			t.Errorf("%s: Mono row %+v disagrees with the target table %+v", name, arch, tgt)
		}
	}
	_, err := lookupMonoArch("linux/riscv64")
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "no static Mono runtime recipe for target linux/riscv64: supported: linux/amd64, linux/arm64") {
		t.Errorf("lookupMonoArch(linux/riscv64) = %v", err)
	}
}

// TestMonoArchives: the runtime's archives are distinct files of the
// built directories, and the table is made from archives that are linked.
func TestMonoArchives(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range monoArchives {
		if seen[filepath.Base(a)] || !strings.HasSuffix(a, ".a") {
			t.Errorf("%s: duplicate file name in link/ or not an archive", a)
		}
		seen[filepath.Base(a)] = true
		if !slices.ContainsFunc(monoDirs, func(d string) bool { return strings.HasPrefix(a, d+"/") }) {
			t.Errorf("%s is in no directory the build makes", a)
		}
	}
	for _, a := range nativeTableArchives {
		if !slices.Contains(monoArchives, a) {
			t.Errorf("table archive %s is not linked", a)
		}
	}
	if seen[btlsArchive] {
		t.Errorf("%s would be overwritten in link/", btlsArchive)
	}
}

func TestCXXPackage(t *testing.T) {
	for name, want := range map[string]string{"linux/amd64": "g++", "linux/arm64": "g++-aarch64-linux-gnu", "linux/arm/v7": "g++-arm-linux-gnueabihf"} {
		tgt, _ := Lookup(name)
		if got := cxxPackage(tgt); got != want {
			t.Errorf("cxxPackage(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestMonoCommandLines(t *testing.T) {
	arm64, _ := lookupMonoArch("linux/arm64")
	got := monoConfigureArgs("cc -x", arm64)
	if got[0] != "./configure" || got[1] != "CC=cc -x" || got[2] != "CXX=cc -x" || got[3] != "--host=aarch64-linux-musl" ||
		!slices.Equal(got[4:], monoConfigureFlags) {
		t.Errorf("monoConfigureArgs = %q", got)
	}
	if got := strings.Join(monoMakeArgs("mono/mini"), " "); got != "make -C mono/mini -j2 GENMDESC_PRG=python3 $(srcdir)/genmdesc.py $(target_define) $(srcdir)" {
		t.Errorf("monoMakeArgs = %q", got)
	}
	tree := newMonoTree("/e")
	if got := monoCC("/tc/bin/cc", tree); got != "/tc/bin/cc -isystem /e/work/kernel-headers -ffile-prefix-map=/e/work/mono=/mono -ffile-prefix-map=/e/work/kernel-headers=/kernel-headers" {
		t.Errorf("monoCC = %q", got)
	}
}

// TestMonoBuildNeedsTools: each program the build needs is checked before
// anything is fetched; a missing one is a one-line input error naming the
// package to install.
func TestMonoBuildNeedsTools(t *testing.T) {
	libc := filepath.Join(t.TempDir(), "libc.a")
	os.WriteFile(libc, arFile(), 0o644)
	for _, tc := range []struct {
		have []string
		want string
	}{
		{[]string{"cmake", "python3"}, "needs the C++ compiler x86_64-linux-gnu-g++: install it with 'apt-get install g++'"},
		{[]string{"x86_64-linux-gnu-g++", "python3"}, "install it with 'apt-get install cmake'"},
		{[]string{"x86_64-linux-gnu-g++", "cmake"}, "install it with 'apt-get install python3'"},
	} {
		dir := t.TempDir()
		t.Setenv("PATH", dir)
		log := toolLog(filepath.Join(dir, "log"))
		for _, p := range tc.have {
			fakeTool(t, dir, log, p, "")
		}
		b := &MonoBuild{Store: shortInstaller(t).Store, Target: "linux/amd64", CC: "cc", CCIdentity: "tc", LibC: libc,
			CXXDriver: "x86_64-linux-gnu-g++", CXXPackage: "g++"}
		_, err := b.Install(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !badinput.Is(err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("with only %v: got %v, want a one-line input error with %q", tc.have, err, tc.want)
		}
	}
}

// TestMonoKey: the runtime's key changes with its compiler and libc, and
// a missing libc.a is an input error.
func TestMonoKey(t *testing.T) {
	dir := t.TempDir()
	libc, other := filepath.Join(dir, "libc.a"), filepath.Join(dir, "other.a")
	os.WriteFile(libc, arFile(), 0o644)
	os.WriteFile(other, arFile([2]string{"x.o/", "x"}), 0o644)
	key := func(b MonoBuild) string {
		k, err := b.key("src", "headers")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := MonoBuild{Target: "linux/amd64", CCIdentity: "tc1", LibC: libc}
	k := key(base)
	for what, b := range map[string]MonoBuild{
		"compiler": {Target: "linux/amd64", CCIdentity: "tc2", LibC: libc},
		"libc":     {Target: "linux/amd64", CCIdentity: "tc1", LibC: other},
		"target":   {Target: "linux/arm64", CCIdentity: "tc1", LibC: libc},
	} {
		if key(b) == k {
			t.Errorf("another %s, same key", what)
		}
	}
	if k2, _ := base.key("src2", "headers"); k2 == k {
		t.Error("another source, same key")
	}
	if key(base) != k {
		t.Error("key not stable")
	}
	missing := base
	missing.LibC = filepath.Join(dir, "none.a")
	if _, err := missing.key("src", "headers"); err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "none.a") {
		t.Errorf("missing libc.a: %v", err)
	}
}

// storedMonoRuntime puts a runtime entry for b into b's store as a build
// would leave it, with link/link.json holding spec, and returns its key.
func storedMonoRuntime(t *testing.T, b *MonoBuild, spec monoLinkSpec) string {
	t.Helper()
	arch, _ := lookupMonoArch(b.Target)
	src, khPin := pinSHA(t, MonoSourcePin), pinSHA(t, arch.headersPin)
	key, err := b.key(src, khPin)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.Store.Entry(context.Background(), key, func(_ context.Context, dir string) error {
		for _, d := range []string{"bin", monoLinkDir} {
			os.MkdirAll(filepath.Join(dir, d), 0o755)
		}
		data, _ := json.Marshal(spec)
		os.WriteFile(filepath.Join(dir, monoLinkDir, "link.json"), data, 0o644)
		return os.WriteFile(filepath.Join(dir, "bin", "mono"), tinyExecutable(arch.machine), 0o755)
	})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestInstallMonoFindsStoredRuntime: with the toolchain and the runtime
// in the store, InstallMono builds nothing and needs no build tools.
func TestInstallMonoFindsStoredRuntime(t *testing.T) {
	gcc, _, _ := fakeHostGCC(t)
	in := shortInstaller(t)
	tgt := amd64(t)
	tcKey := storedToolchain(t, in, tgt, gcc)
	b := &MonoBuild{Store: in.Store, Target: tgt.Name, CCIdentity: tcKey, LibC: filepath.Join(in.Store.Path(tcKey), "lib", "libc.a")}
	key := storedMonoRuntime(t, b, monoLinkSpec{})
	rt, err := InstallMono(context.Background(), in, tgt)
	if err != nil || rt.Key != key || rt.Built || rt.Runtime != filepath.Join(in.Store.Path(key), "bin", "mono") {
		t.Fatalf("InstallMono = %+v, %v; want the stored %s", rt, err, key)
	}
	riscv, _ := Lookup("linux/riscv64")
	if _, err := InstallMono(context.Background(), in, riscv); err == nil || !badinput.Is(err) {
		t.Errorf("InstallMono(linux/riscv64) = %v, want an input error", err)
	}
}

func TestReadLinkSpec(t *testing.T) {
	dir := t.TempDir()
	rt := &MonoRuntime{Dir: dir}
	if _, err := readLinkSpec(rt); err == nil || !strings.Contains(err.Error(), "keeps no link inputs") {
		t.Errorf("no link.json: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, monoLinkDir), 0o755)
	os.WriteFile(filepath.Join(dir, monoLinkDir, "link.json"), []byte("{"), 0o644)
	if _, err := readLinkSpec(rt); err == nil || !strings.Contains(err.Error(), "bad link.json") {
		t.Errorf("corrupt link.json: %v", err)
	}
	os.WriteFile(filepath.Join(dir, monoLinkDir, "link.json"), []byte(`{"archives":["a.a"],"symbols":["f"],"libraries":["c"]}`), 0o644)
	if spec, err := readLinkSpec(rt); err != nil || !slices.Equal(spec.Archives, []string{"a.a"}) || !slices.Equal(spec.Symbols, []string{"f"}) || !slices.Equal(spec.Libraries, []string{"c"}) {
		t.Errorf("readLinkSpec = %+v, %v", spec, err)
	}
}

func TestLinkError(t *testing.T) {
	natives := []appNative{{Name: "a", path: "/x/liba.a"}, {Name: "b", path: "/x/libb.a"}}
	many := ""
	for _, s := range []string{"s9", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s1"} {
		many += "liba.a(a.o): in function `f': a.c:(.text+0x5): undefined reference to `" + s + "'\n"
	}
	for _, tc := range []struct {
		output, want string
		input        bool
	}{
		{"a.o: undefined reference to `zlib_x'\nb.o: undefined reference to `m_y'\na.o: undefined reference to `zlib_x'\n",
			"linking native archive /x/liba.a, /x/libb.a into the Mono runtime: undefined symbols m_y, zlib_x: add the archives", true},
		{many, "undefined symbols s1, s2, s3, s4, s5, s6, s7, s8, …: add", true},
		{"(.text+0x0): multiple definition of `malloc'", "it defines symbols the runtime already has", true},
		{"collect2: fatal error: ld terminated with signal 9", "linking native archive /x/liba.a, /x/libb.a into the Mono runtime: ld failed", false},
	} {
		err := linkError(tc.output, natives, errString("ld failed"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || badinput.Is(err) != tc.input || strings.Contains(err.Error(), "\n") {
			t.Errorf("linkError(%q) = %v (input error: %v), want %q", tc.output, err, badinput.Is(err), tc.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestUniqueSorted(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"b", "a", "b", "c", "a"}, []string{"a", "b", "c"}},
		{[]string{"x"}, []string{"x"}},
	} {
		if got := uniqueSorted(append([]string(nil), tc.in...)); !slices.Equal(got, tc.want) {
			t.Errorf("uniqueSorted(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBuildBTLSCommands: BoringSSL is configured as a cross build for the
// arch's processor, with the prefix map for its build dir, then only the
// static BTLS target is built.
func TestBuildBTLSCommands(t *testing.T) {
	dir := fakePath(t)
	log := toolLog(filepath.Join(t.TempDir(), "log"))
	fakeTool(t, dir, log, "cmake", `echo "CC=$CC" >> `+string(log))
	arm64, _ := lookupMonoArch("linux/arm64")
	r := &runner{ctx: context.Background(), dir: t.TempDir(), env: fixedEnv(), log: &strings.Builder{}}
	build := filepath.Join(t.TempDir(), "btls")
	if err := buildBTLS(r, arm64, "/src", build, "musl-cc", 3); err != nil {
		t.Fatal(err)
	}
	runs := log.lines(t)
	if len(runs) != 4 {
		t.Fatalf("cmake ran %d times: %q", len(runs), runs)
	}
	for _, want := range []string{"-DCMAKE_SYSTEM_PROCESSOR=aarch64 -DBTLS_ARCH=aarch64", "-DCMAKE_SYSTEM_NAME=Linux",
		"-DBTLS_ROOT=/src/external/boringssl", "-DCCACHE_PROGRAM=CCACHE_PROGRAM-NOTFOUND", " /src/mono/btls"} {
		if !strings.Contains(runs[0], want) {
			t.Errorf("cmake configure %q lacks %q", runs[0], want)
		}
	}
	if runs[1] != "CC=musl-cc -ffile-prefix-map="+build+"=/btls" || runs[2] != "cmake --build . --target mono-btls-static -- -j3" {
		t.Errorf("cmake runs %q", runs[1:])
	}
}

// monoFakes makes the Mono recipe's inputs for a -short run: fake tools
// (the compiler's every output a tiny executable, as only the link's is
// read), a Mono "source" whose configure logs the kernel headers and its
// own time stamp, and a kernel headers .deb. It returns the source, the
// .deb, the compiler, a libc.a and the tool log.
func monoFakes(t *testing.T) (src, deb, cc, libc string, log toolLog) {
	t.Helper()
	dir := fakePath(t)
	work := t.TempDir()
	log = toolLog(filepath.Join(work, "log"))
	exe := filepath.Join(work, "mono.elf")
	os.WriteFile(exe, tinyExecutable(elf.EM_X86_64), 0o755)
	cc = fakeCompiler(t, dir, log, "musl-cc", exe)
	fakeTool(t, dir, log, "patch", "cat > /dev/null")
	fakeTool(t, dir, log, "make", "")
	fakeTool(t, dir, log, "cmake", `[ "$1" = --build ] && cp `+filepath.Join(work, "empty.a")+" libmono-btls-static.a; exit 0")
	os.WriteFile(filepath.Join(work, "empty.a"), arFile(), 0o644)
	libc = filepath.Join(work, "libc.a")
	os.WriteFile(libc, arFile(), 0o644)
	files := map[string]string{
		"mono-6.8/configure": "#!/bin/sh\necho \"configure $*\" >> " + string(log) + "\n" +
			"echo \"headers $(ls ../kernel-headers | tr '\\n' ' ')mtime $(stat -c %Y configure)\" >> " + string(log) + "\n",
		"mono-6.8/mcs/class/corlib/skipped.cs": "",
	}
	for _, a := range monoArchives {
		files["mono-6.8/"+a] = string(arFile())
	}
	src = tarGz(t, filepath.Join(work, "mono.tar.gz"), files)
	deb = filepath.Join(work, "headers.deb")
	data := tarGz(t, filepath.Join(work, "data.tar.gz"), map[string]string{
		"./usr/x86_64-linux-gnu/include/asm/unistd.h":    "",
		"./usr/x86_64-linux-gnu/include/linux/types.h":   "",
		"./usr/x86_64-linux-gnu/include/asm-generic/x.h": "",
		"./usr/share/doc/x":                              "",
	})
	control := tarGz(t, filepath.Join(work, "control.tar.gz"), map[string]string{"./control": "Package: linux-libc-dev-amd64-cross\n"})
	dataBytes, _ := os.ReadFile(data)
	controlBytes, _ := os.ReadFile(control)
	os.WriteFile(deb, arFile([2]string{"debian-binary", "2.0\n"}, [2]string{"control.tar.gz", string(controlBytes)}, [2]string{"data.tar.gz", string(dataBytes)}), 0o644)

	return src, deb, cc, libc, log
}

// TestMonoBuildWithFakeTools runs the whole runtime recipe with fake
// tools and a fake Mono source: unpacking (one time stamp for every
// file), kernel headers laid out as musl wants them, patches, configure,
// BoringSSL, every directory's make in order, the link inputs kept in
// link/, the runtime checked for the target's machine.
func TestMonoBuildWithFakeTools(t *testing.T) {
	src, deb, cc, libc, log := monoFakes(t)
	in := shortInstaller(t)
	b := &MonoBuild{Store: in.Store, Target: "linux/amd64", CC: cc, LibC: libc}
	entry := t.TempDir()
	arch, _ := lookupMonoArch("linux/amd64")
	if err := b.build(context.Background(), entry, arch, src, deb, filepath.Join(t.TempDir(), "build.log")); err != nil {
		t.Fatal(err)
	}
	runs := log.lines(t)
	var progs []string
	for _, r := range runs {
		progs = append(progs, strings.Fields(r)[0])
	}
	wantProgs := []string{}
	for range monopatches.Patches() {
		wantProgs = append(wantProgs, "patch")
	}
	wantProgs = append(wantProgs, "configure", "headers", "cmake", "cmake")
	for range monoDirs {
		wantProgs = append(wantProgs, "make")
	}
	wantProgs = append(wantProgs, "musl-cc", "musl-cc", "musl-cc") // static natives, table, link
	if !slices.Equal(progs, wantProgs) {
		t.Fatalf("ran %q,\nwant %q:\n%s", progs, wantProgs, strings.Join(runs, "\n"))
	}
	for i, r := range runs {
		switch {
		case progs[i] == "configure" && !strings.Contains(r, "--host=x86_64-linux-musl --disable-boehm"):
			t.Errorf("configure: %s", r)
		case progs[i] == "headers" && r != "headers asm asm-generic linux mtime 1580835600":
			t.Errorf("kernel headers or source times: %s", r)
		case i == len(runs)-1 && !strings.Contains(r, " -static -s -Wl,--build-id=none -o "+entry+"/bin/mono "):
			t.Errorf("link: %s", r)
		}
	}
	spec, err := readLinkSpec(&MonoRuntime{Dir: entry})
	if err != nil || len(spec.Archives) != len(monoArchives)+1 || spec.Archives[len(spec.Archives)-1] != btlsArchive ||
		!slices.Equal(spec.Libraries, baseLinkedLibraries) {
		t.Errorf("link.json %+v, %v", spec, err)
	}
	for _, a := range spec.Archives {
		if _, err := os.Stat(filepath.Join(entry, monoLinkDir, a)); err != nil {
			t.Errorf("link input: %v", err)
		}
	}
	left, _ := os.ReadDir(entry)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "bin link mono-runtime.json" {
		t.Errorf("entry holds %v, want bin, link and mono-runtime.json (no build tree)", names)
	}
}

// TestAppRuntimeRelinksWithFakeLinker: with the toolchain and the base
// runtime in the store, a per-app runtime is one table and one link: the
// table serves the base's symbols plus the archive's and answers for its
// library name, the archive is linked in the group, the result is cached;
// an archive the link finds undefined symbols in is an input error naming
// them.
func TestAppRuntimeRelinksWithFakeLinker(t *testing.T) {
	hostGCC := testenv.Tool(t, "gcc") // the natives: x86-64 objects, as linux/amd64's
	_, dir, log := fakeHostGCC(t)
	work := t.TempDir()
	exe, table := filepath.Join(work, "mono.elf"), filepath.Join(work, "table.c")
	os.WriteFile(exe, tinyExecutable(elf.EM_X86_64), 0o755)
	cc := fakeTool(t, dir, log, "musl-cc", `case "$*" in *libneedy.a*) printf 'x.o: undefined reference to \140nowhere_defined\047\n'; exit 1;; esac
for a; do case "$a" in *mcc-natives-table.c) cp "$a" `+table+`;; esac; done
while [ $# -gt 0 ]; do [ "$1" = -o ] && cp `+exe+` "$2"; shift; done; exit 0`)
	in := shortInstaller(t)
	tgt := amd64(t)
	tcKey := storedToolchain(t, in, tgt, cc)
	b := &MonoBuild{Store: in.Store, Target: tgt.Name, CCIdentity: tcKey, LibC: filepath.Join(in.Store.Path(tcKey), "lib", "libc.a")}
	baseKey := storedMonoRuntime(t, b, monoLinkSpec{Archives: []string{"libmini.a"}, Symbols: []string{"mono_main", "zz_last"}, Libraries: []string{"c"}})

	if rt, err := AppRuntime(context.Background(), in, tgt, nil); err != nil || rt.Key != baseKey {
		t.Fatalf("AppRuntime without natives = %+v, %v; want the base runtime", rt, err)
	}
	lib := staticLib(t, hostGCC, work, "tiny", tinyLibC)
	rt, err := AppRuntime(context.Background(), in, tgt, []NativeLib{{Name: "libtiny.so", Archive: lib}})
	if err != nil || !rt.Built || rt.Key == baseKey || rt.Runtime != filepath.Join(in.Store.Path(rt.Key), "bin", "mono") {
		t.Fatalf("AppRuntime = %+v, %v", rt, err)
	}
	runs := log.lines(t)
	link := runs[len(runs)-1]
	if !strings.Contains(link, " -Wl,--start-group "+in.Store.Path(baseKey)+"/link/libmini.a "+lib+" -Wl,--end-group -lm -lpthread") {
		t.Errorf("link: %s", link)
	}
	src, _ := os.ReadFile(table)
	for _, want := range []string{`{"mono_main", (void *)mono_main}`, `{"tiny_mul", (void *)tiny_mul}`, "mcc_native_symbols_count = 4;", "\t\"c\",\n\t\"tiny\",\n\tNULL"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("table lacks %q:\n%s", want, src)
		}
	}
	if _, err := os.Stat(filepath.Join(in.Store.Path(rt.Key), "work")); !os.IsNotExist(err) {
		t.Errorf("relink left its work dir: %v", err)
	}
	again, err := AppRuntime(context.Background(), in, tgt, []NativeLib{{Name: "libtiny.so", Archive: lib}})
	if err != nil || again.Built || again.Key != rt.Key {
		t.Errorf("second AppRuntime = %+v, %v; want the stored one", again, err)
	}

	needy := staticLib(t, hostGCC, work, "needy", "extern int nowhere_defined(int);\nint needy(int x) { return nowhere_defined(x); }\n")
	_, err = AppRuntime(context.Background(), in, tgt, []NativeLib{{Name: "needy", Archive: needy}})
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), needy+" into the Mono runtime: undefined symbols nowhere_defined") {
		t.Errorf("archive with an undefined symbol: %v", err)
	}
}
