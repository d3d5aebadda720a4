package toolchains

import (
	"bytes"
	"context"
	"debug/elf"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/progress"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/unpack"
	monopatches "github.com/mcc-build/mcc/patches/mono"
	"github.com/mcc-build/mcc/sysroots"
)

// monoRecipeVersion changes whenever this recipe changes the runtime's bytes.
const monoRecipeVersion = 2

// MonoSourcePin names the pinned Mono source.
const MonoSourcePin = "mono-source"

// monoSourceEpoch is the Mono tarball's file date, used as SOURCE_DATE_EPOCH.
const monoSourceEpoch = 1580835600 // 2020-02-04 17:00 UTC

// monoArch is what the runtime build needs per target. Only the first
// three fields are the Mono recipe's own; lookupMonoArch derives the rest
// from the target table, so a row here never restates a target.
type monoArch struct {
	headersPin string // pin of a .deb with the Linux UAPI headers
	asmDir     string // the arch's asm/, relative to includeDir
	processor  string // CMAKE_SYSTEM_PROCESSOR and BTLS_ARCH for BoringSSL

	triple     string      // configure --host: the target's musl triple
	includeDir string      // where the headers .deb keeps them: usr/<GNU triple>/include
	machine    elf.Machine // what the runtime must be
}

var monoArches = map[string]monoArch{
	"linux/amd64": {headersPin: "kernel-headers-amd64", asmDir: "asm", processor: "x86_64"},
	"linux/arm64": {headersPin: "kernel-headers-arm64", asmDir: "asm", processor: "aarch64"},
}

// MonoTargets lists the targets a static Mono runtime can be built for.
func MonoTargets() []string {
	var ts []string
	for t := range monoArches {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// monoConfigureFlags make a static runtime without the managed build, LLVM
// or AOT images: Debian's class libraries supply the managed side.
// --enable-btls defines HAVE_BTLS (the class libraries ask the runtime
// whether BTLS is there); --disable-btls-lib because mcc builds BoringSSL
// itself, as a static archive (buildBTLS), not Mono's shared library.
var monoConfigureFlags = []string{
	"--disable-boehm", "--with-sgen=yes", "--disable-mcs-build", "--with-mcs-docs=no",
	"--disable-nls", "--enable-btls", "--disable-btls-lib", "--disable-llvm", "--disable-dtrace",
	"--without-ikvm-native", "--disable-system-aot", "--with-profile4_x=no",
	"--enable-static", "--disable-shared", "--with-shared_mono=no", "--with-static_mono=yes",
	"--disable-crash-reporting",
}

// monoDirs are the runtime's directories, built in this order (mono/tests,
// dis, profiler and the rest of the tree are not needed).
var monoDirs = []string{"mono/eglib", "mono/arch", "mono/utils", "mono/cil", "mono/sgen", "mono/metadata", "mono/mini", "mono/native", "support"}

// monoArchives are linked, in a group, into the static runtime.
var monoArchives = []string{
	"mono/mini/libmain.a",
	"mono/mini/.libs/libmini.a",
	"mono/mini/.libs/libmono-ee-interp.a",
	"mono/mini/.libs/libmono-dbg.a",
	"mono/metadata/.libs/libmonoruntimesgen.a",
	"mono/metadata/.libs/libmonoruntime-config.a",
	"mono/metadata/.libs/libmonoruntime-support.a",
	"mono/sgen/.libs/libmonosgen.a",
	"mono/utils/.libs/libmonoutils.a",
	"mono/utils/.libs/libmonomath.a",
	"mono/eglib/.libs/libeglib.a",
	"mono/native/.libs/libmono-native.a",
	"support/.libs/libMonoPosixHelper.a",
}

// nativeTableArchives provide the symbols the static main serves to
// [DllImport]s; libc comes from the toolchain's sysroot.
var nativeTableArchives = []string{
	"mono/native/.libs/libmono-native.a",
	"support/.libs/libMonoPosixHelper.a",
}

// btlsArchive is what buildBTLS makes, relative to its build directory:
// BoringSSL and Mono's BTLS glue. Of its functions only the glue's
// (btlsPrefix) go in the table: the class libraries import nothing else,
// and listing BoringSSL's would only make the table bigger.
const (
	btlsArchive = "libmono-btls-static.a"
	btlsPrefix  = "mono_btls_"
)

// lookupMonoArch is target's row of the Mono recipe, or the error naming
// the targets that have one.
func lookupMonoArch(target string) (monoArch, error) {
	arch, ok := monoArches[target]
	if !ok {
		return monoArch{}, badinput.Errorf("no static Mono runtime recipe for target %s: supported: %s", target, strings.Join(MonoTargets(), ", "))
	}
	t, err := Lookup(target)
	if err != nil {
		return monoArch{}, err
	}
	arch.triple, arch.machine = t.Musl, t.Machine
	arch.includeDir = "usr/" + t.GNU + "/include"
	return arch, nil
}

// InstallMono returns the static musl Mono runtime for t, building t's musl
// toolchain and then the runtime if the store lacks them.
func InstallMono(ctx context.Context, in *Installer, t Target) (*MonoRuntime, error) {
	if _, err := lookupMonoArch(t.Name); err != nil {
		return nil, err
	}
	tc, err := in.Install(ctx, t)
	if err != nil {
		return nil, err
	}
	b := &MonoBuild{
		Store: in.Store, Fetcher: in.Fetcher, Target: t.Name,
		CC: tc.CC, CCIdentity: tc.Key, LibC: filepath.Join(tc.Sysroot, "lib", "libc.a"),
		CXXDriver: t.GNU + "-g++", CXXPackage: cxxPackage(t),
		Progress: in.Progress, Log: in.Log,
	}
	return b.Install(ctx)
}

// MonoBuild builds (once per key) a static musl Mono runtime for a target.
// The C compiler's libc.a must provide _dl_find_object (mcc's toolchains
// add a shim): Debian's libgcc_eh needs it and musl lacks it.
type MonoBuild struct {
	Store      *store.Store
	Fetcher    *fetch.Fetcher
	Target     string // e.g. "linux/amd64"
	CC         string // the target's musl C compiler
	CCIdentity string // what identifies CC's bytes: its toolchain's store key
	LibC       string // the sysroot's libc.a, read for the libc symbol table
	CXXDriver  string // a g++ for the target, which Mono's configure probes; checked before building
	CXXPackage string // the Debian package that has CXXDriver
	Progress   *progress.Reporter
	Log        io.Writer // build output is also copied here (-v)
}

// monoJobs is make's -j for the runtime build: the build machines are shared.
const monoJobs = 2

// MonoRuntime is a built runtime in the store.
type MonoRuntime struct {
	Target  string `json:"target"`
	Dir     string `json:"dir"`
	Runtime string `json:"runtime"` // Dir/bin/mono: static, stripped
	Key     string `json:"key"`
	Built   bool   `json:"built"` // this call built it
}

// monoKeyInputs is everything that changes the runtime's bytes.
type monoKeyInputs struct {
	Recipe  int
	Target  string
	Source  string
	Headers string
	Patches []string
	Flags   []string
	CC      string
	LibC    string
}

// Install returns the runtime for b.Target, building it if the store lacks it.
func (b *MonoBuild) Install(ctx context.Context) (*MonoRuntime, error) {
	arch, err := lookupMonoArch(b.Target)
	if err != nil {
		return nil, err
	}
	srcPin, err := sysroots.Lookup(MonoSourcePin)
	if err != nil {
		return nil, err
	}
	khPin, err := sysroots.Lookup(arch.headersPin)
	if err != nil {
		return nil, err
	}
	key, err := b.key(srcPin.SHA256, khPin.SHA256)
	if err != nil {
		return nil, err
	}
	rt := &MonoRuntime{Target: b.Target, Key: key}
	if b.Store.Has(key) && b.Store.Check(key) == nil { // else Entry rebuilds it
		rt.Dir = b.Store.Path(key)
		rt.Runtime = filepath.Join(rt.Dir, "bin", "mono")
		return rt, nil
	}
	if err := b.checkTools(); err != nil {
		return nil, err
	}
	src, err := b.Fetcher.Fetch(ctx, srcPin)
	if err != nil {
		return nil, err
	}
	kh, err := b.Fetcher.Fetch(ctx, khPin)
	if err != nil {
		return nil, err
	}
	logPath := b.Store.LogPath(key)
	dir, built, err := b.Store.Entry(ctx, key, func(ctx context.Context, dir string) error {
		err := b.build(ctx, dir, arch, src.Path, kh.Path, logPath)
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w (build log: %s)", err, logPath)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	rt.Dir, rt.Built = dir, built
	rt.Runtime = filepath.Join(dir, "bin", "mono")
	return rt, nil
}

// key is the runtime's store key, from the digests of the pinned Mono
// source and kernel headers and everything else that changes its bytes.
func (b *MonoBuild) key(source, headers string) (string, error) {
	libcSum, err := store.FileSHA256(b.LibC)
	if err != nil {
		return "", badinput.Errorf("musl libc.a %s: %v", b.LibC, err)
	}
	in := monoKeyInputs{
		Recipe: monoRecipeVersion, Target: b.Target, Source: source, Headers: headers,
		Flags: monoConfigureFlags, CC: b.CCIdentity, LibC: libcSum,
	}
	for _, p := range monopatches.Patches() {
		in.Patches = append(in.Patches, p.Name+"@"+p.SHA256)
	}
	return store.Key("mono-runtime-"+b.Target, in), nil
}

// checkTools finds the programs the build runs besides the C compiler,
// before anything is fetched, or names the package that has the missing one.
func (b *MonoBuild) checkTools() error {
	// Mono's configure probes a C++ compiler (the gcc driver needs the
	// target's cc1plus) and fails obscurely without one.
	if _, err := exec.LookPath(b.CXXDriver); err != nil {
		return badinput.Errorf("the Mono runtime build for %s needs the C++ compiler %s: install it with 'apt-get install %s'", b.Target, b.CXXDriver, b.CXXPackage)
	}
	if _, err := exec.LookPath("cmake"); err != nil {
		return badinput.Errorf("the Mono runtime build needs cmake (it builds BoringSSL for TLS): install it with 'apt-get install cmake'")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		return badinput.Errorf("the Mono runtime build needs python3 (it runs mono/mini/genmdesc.py): install it with 'apt-get install python3'")
	}
	return nil
}

// monoTree is where a runtime build works: dir is the store entry being
// filled; work (under it) is removed once the runtime is linked.
type monoTree struct {
	dir, work, src, headers, btls string
}

func newMonoTree(dir string) monoTree {
	work := filepath.Join(dir, "work")
	return monoTree{dir: dir, work: work, src: filepath.Join(work, "mono"),
		headers: filepath.Join(work, "kernel-headers"), btls: filepath.Join(work, "btls")}
}

// monoMakeVars are set on every make of the runtime: mono/mini's Makefile
// runs genmdesc.py (it writes the per-CPU instruction tables) as
// `python`, which Debian 12 does not have; the script is Python 3 clean,
// so it runs under python3, checked in Install.
var monoMakeVars = []string{"GENMDESC_PRG=python3 $(srcdir)/genmdesc.py $(target_define) $(srcdir)"}

// build fills dir with the runtime: sources unpacked and patched,
// configured, BoringSSL and the runtime's directories made, the static
// runtime linked and checked.
func (b *MonoBuild) build(ctx context.Context, dir string, arch monoArch, srcArchive, headersDeb, logPath string) error {
	tree := newMonoTree(dir)
	log, closeLog, err := openBuildLog(logPath, b.Log)
	if err != nil {
		return err
	}
	defer closeLog()
	r := &runner{ctx: ctx, dir: tree.src, log: log, env: fixedEnv("SOURCE_DATE_EPOCH=" + strconv.Itoa(monoSourceEpoch))}
	if err := b.unpack(ctx, tree, arch, srcArchive, headersDeb); err != nil {
		return err
	}
	if err := applyMonoPatches(r); err != nil {
		return err
	}
	cc := monoCC(b.CC, tree)
	if err := b.make(r, tree, arch, cc); err != nil {
		return err
	}
	out := filepath.Join(dir, "bin", "mono")
	if err := b.step("mono runtime: linking the static runtime", func() error {
		return b.link(r, tree, cc, out)
	}); err != nil {
		return fmt.Errorf("linking the static Mono runtime: %w", err)
	}
	return b.finish(tree, arch, out)
}

// step runs f as one line of progress.
func (b *MonoBuild) step(msg string, f func() error) error {
	done := b.Progress.Step(msg)
	err := f()
	done(err)
	return err
}

// monoCC is the compiler command the runtime is built with: the kernel
// headers on its include path, and the build's temp dirs kept out of
// debug info and __FILE__.
func monoCC(cc string, tree monoTree) string {
	return fmt.Sprintf("%s -isystem %s -ffile-prefix-map=%s=/mono -ffile-prefix-map=%s=/kernel-headers", cc, tree.headers, tree.src, tree.headers)
}

// unpack unpacks the Mono source and the kernel headers into tree.
func (b *MonoBuild) unpack(ctx context.Context, tree monoTree, arch monoArch, srcArchive, headersDeb string) error {
	for _, d := range []string{tree.src, tree.headers} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := b.step("mono runtime: unpacking Mono source", func() error {
		if err := unpack.Archive(ctx, srcArchive, tree.src, monoUnpack); err != nil {
			return err
		}
		// Extraction time stamps come out in archive order, so make would
		// regenerate shipped files (opcode.def needs Perl's XML::Parser) and
		// automake's outputs. One time stamp for every file keeps them current.
		return setTimes(tree.src, time.Unix(monoSourceEpoch, 0))
	}); err != nil {
		return err
	}
	return b.step("mono runtime: unpacking kernel headers", func() error {
		return extractKernelHeaders(ctx, headersDeb, tree.headers, arch.includeDir, arch.asmDir)
	})
}

// make configures Mono and builds BoringSSL and the runtime's directories.
func (b *MonoBuild) make(r *runner, tree monoTree, arch monoArch, cc string) error {
	if err := b.step("mono runtime: configure", func() error {
		return r.run(monoConfigureArgs(cc, arch)...)
	}); err != nil {
		return fmt.Errorf("configuring Mono: %w", err)
	}
	// BoringSSL first: of the long steps, the one most likely to fail on a
	// new compiler or target.
	if err := b.step("mono runtime: BoringSSL and BTLS (cmake)", func() error {
		return buildBTLS(r, arch, tree.src, tree.btls, cc, monoJobs)
	}); err != nil {
		return fmt.Errorf("building BoringSSL for BTLS: %w", err)
	}
	for _, d := range monoDirs {
		if err := b.step("mono runtime: make "+d, func() error {
			return r.run(monoMakeArgs(d)...)
		}); err != nil {
			return fmt.Errorf("building Mono %s: %w", d, err)
		}
	}
	return nil
}

// monoConfigureArgs is Mono's configure command line for arch.
func monoConfigureArgs(cc string, arch monoArch) []string {
	return append([]string{"./configure", "CC=" + cc, "CXX=" + cc, "--host=" + arch.triple}, monoConfigureFlags...)
}

// monoMakeArgs makes one of monoDirs.
func monoMakeArgs(dir string) []string {
	return append([]string{"make", "-C", dir, "-j" + strconv.Itoa(monoJobs)}, monoMakeVars...)
}

// link keeps the link inputs in the entry and links the static runtime out.
func (b *MonoBuild) link(r *runner, tree monoTree, cc, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	linkDir := filepath.Join(tree.dir, monoLinkDir)
	spec, err := b.prepareLink(r, tree.src, tree.btls, cc, linkDir)
	if err != nil {
		return err
	}
	return linkRuntime(r, b.CC, linkDir, spec, tree.work, out)
}

// finish checks the runtime is a static binary for arch, removes the
// build tree and records what the entry is.
func (b *MonoBuild) finish(tree monoTree, arch monoArch, out string) error {
	rep, err := elfcheck.Check(out, elfcheck.Want{Machine: arch.machine})
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("static Mono runtime %s: %s", out, strings.Join(rep.Problems, "; "))
	}
	if err := os.RemoveAll(tree.work); err != nil {
		return err
	}
	info, _ := json.MarshalIndent(map[string]any{"target": b.Target, "recipe": monoRecipeVersion}, "", "  ")
	return os.WriteFile(filepath.Join(tree.dir, "mono-runtime.json"), append(info, '\n'), 0o644)
}

// skipMonoSource leaves out what the runtime build never reads: the managed
// class libraries and compilers' tests, and external projects other than
// corefx's native code (System.Native) and BoringSSL (BTLS); of BoringSSL,
// its fuzzers and the tools and tests mcc does not build.
func skipMonoSource(name string) bool {
	for _, p := range []string{"mcs/class/", "mcs/tests/", "mcs/errors/", "mcs/docs/", "docs/", "netcore/", "acceptance-tests/"} {
		if strings.HasPrefix(name, p) {
			return !strings.HasSuffix(name, ".in") && !strings.HasSuffix(name, "Makefile.am")
		}
	}
	if strings.HasPrefix(name, "mono/tests/") || strings.HasPrefix(name, "mono/unit-tests/") {
		// configure writes their Makefiles and tests-config.
		return !strings.HasSuffix(name, ".in")
	}
	if strings.HasPrefix(name, "external/boringssl/") {
		for _, p := range []string{"fuzz/", "tool/", "ssl/test/", "decrepit/"} {
			if strings.HasPrefix(name, "external/boringssl/"+p) {
				return true
			}
		}
		return false
	}
	if strings.HasPrefix(name, "external/") {
		return !strings.HasPrefix(name, "external/corefx/src/Native/")
	}
	return false
}

// applyMonoPatches applies patches/mono in order; one that does not apply
// cleanly is an error naming it.
func applyMonoPatches(r *runner) error {
	for _, p := range monopatches.Patches() {
		var out bytes.Buffer
		cmd := r.command("patch", "-p1", "--forward", "--batch", "--no-backup-if-mismatch", "-r", "-")
		cmd.Stdin = bytes.NewReader(p.Data)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := runGuarded(cmd); err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			first := strings.SplitN(strings.TrimSpace(out.String()), "\n", 3)
			return fmt.Errorf("patches/mono/%s no longer applies to %s: %s: update the patch", p.Name, MonoSourcePin, strings.Join(first, " / "))
		}
		fmt.Fprintf(r.log, "applied patches/mono/%s\n%s", p.Name, out.String())
	}
	return nil
}

// shellWords splits a compiler command like "musl-gcc -isystem X"; mcc's
// own paths contain no spaces or quotes.
func shellWords(s string) []string { return strings.Fields(s) }

// setTimes gives every file and directory under root the time t.
func setTimes(root string, t time.Time) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return os.Chtimes(p, t, t)
	})
}

// cxxPackage is the Debian package with t's g++.
func cxxPackage(t Target) string {
	if t.Package == "gcc" {
		return "g++"
	}
	return strings.Replace(t.Package, "gcc-", "g++-", 1)
}
