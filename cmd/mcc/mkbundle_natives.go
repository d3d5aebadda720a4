package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/toolchains"
)

// glibcAppLibDir is where the glibc image keeps native libraries found
// outside the system's library directories (beside the app): the bundle's
// dllmap points at them there.
const glibcAppLibDir = "/app/lib"

// planNatives finds the native libraries the bundled assemblies P/Invoke
// (their ModuleRef and ImplMap tables), before anything is built: with
// glibc it resolves each as Mono would and points the bundle's dllmap at
// the file the image will carry; with musl each must be answered by the
// runtime or linked in with --native.
func (a *app) planNatives(j *mkbundleJob) error {
	if j.libc == "glibc" {
		return a.planGlibcNatives(j, j.members)
	}
	return a.planMuslNatives(j, j.members)
}

// planGlibcNatives resolves every native and records the files (for the
// image) and the bundle's dllmap.
func (a *app) planGlibcNatives(j *mkbundleJob, members []*mkbundle.Member) error {
	if len(j.nativeFlags) > 0 {
		return usagef("mcc mkbundle: --native links a static archive into the musl runtime; with --libc glibc native libraries are found by their [DllImport] names: drop --native")
	}
	r, err := glibcResolver(j.target)
	if err != nil {
		return err
	}
	targets := map[string]string{}
	var names []string
	for _, n := range mkbundle.PInvoked(members, libDirs(j.libs), nil) {
		if n.Optional {
			// A backend of Mono's class libraries (ALSA, FAM, ODBC): carried
			// only because the build machine has it, it would make the image
			// depend on what happens to be installed.
			continue
		}
		file, tried, err := r.Resolve(n)
		if err != nil {
			return badinput.Errorf("%s.config: %v", n.Path, err)
		}
		if file == "" {
			msg := fmt.Sprintf("%s P/Invokes native library %q, found nowhere (looked for %s in %s's directory and %s): install it, put it beside %s, map it with <dllmap dll=%q target=\"FILE\"/> in %s.config, or pass --allow-missing-native",
				n.Assembly, n.Name, strings.Join(tried, ", "), n.Assembly, strings.Join(r.Dirs, ", "), n.Assembly, n.Name, n.Assembly)
			if err := a.missingNative(j, msg); err != nil {
				return err
			}
			continue
		}
		lib, err := imageLibrary(file)
		if err != nil {
			return err
		}
		targets[n.Name] = lib.Path
		names = append(names, n.Name)
		j.nativeLibs = append(j.nativeLibs, lib)
	}
	j.dllmap = mkbundle.WithDllMaps(mkbundle.DefaultDllMap, names, targets)
	return nil
}

// missingNative is an error, or with --allow-missing-native a warning.
func (a *app) missingNative(j *mkbundleJob, msg string) error {
	if !j.allowMissing {
		return badinput.Errorf("%s", msg)
	}
	fmt.Fprintf(a.stderr, "mcc mkbundle: warning: %s\n", strings.TrimSuffix(msg, ", or pass --allow-missing-native"))
	return nil
}

// glibcResolver looks natives up as Debian's Mono would: mcc's dllmap,
// then Debian's /etc/mono/config, then the library directories.
func glibcResolver(t toolchains.Target) (*mkbundle.Resolver, error) {
	def, err := mkbundle.ParseDllMap([]byte(mkbundle.DefaultDllMap), mkbundle.LinuxAMD64)
	if err != nil {
		return nil, err
	}
	r := &mkbundle.Resolver{Configs: []*mkbundle.DllMap{def}, Dirs: mkbundle.GlibcLibDirs, Machine: t.Machine}
	if b, err := os.ReadFile(mkbundle.MonoConfig); err == nil {
		m, err := mkbundle.ParseDllMap(b, mkbundle.LinuxAMD64)
		if err != nil {
			return nil, badinput.Errorf("%s: %v: reinstall mono-runtime-common", mkbundle.MonoConfig, err)
		}
		r.Configs = append(r.Configs, m)
	}
	return r, nil
}

// imageLibrary is where file goes in the glibc image: where it is, if in
// a system library directory (its DT_NEEDED closure is looked up there
// too); else under glibcAppLibDir, so the image does not depend on where
// the app was built.
func imageLibrary(file string) (mkbundle.SharedLibrary, error) {
	src, err := filepath.EvalSymlinks(file)
	if err == nil {
		src, err = filepath.Abs(src) // a closure root must be absolute
	}
	if err != nil {
		return mkbundle.SharedLibrary{}, err
	}
	for _, d := range mkbundle.GlibcLibDirs {
		if filepath.Dir(file) == d {
			return mkbundle.SharedLibrary{Path: file, Source: src}, nil
		}
	}
	return mkbundle.SharedLibrary{Path: glibcAppLibDir + "/" + filepath.Base(file), Source: src}, nil
}

// glibcImageLibraries is what the glibc image carries besides the bundle:
// the DT_NEEDED closure of the runtime, its dlopened helpers and the
// app's natives, and the natives themselves.
func glibcImageLibraries(runtime string, natives []mkbundle.SharedLibrary) ([]mkbundle.SharedLibrary, error) {
	roots := append([]string{runtime}, glibcDlopened...)
	for _, n := range natives {
		roots = append(roots, n.Source)
	}
	libs, err := mkbundle.LibraryClosure(roots, mkbundle.GlibcLibDirs)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, l := range libs {
		have[l.Path] = true
	}
	for _, n := range natives {
		if !have[n.Path] {
			have[n.Path] = true
			libs = append(libs, n)
		}
	}
	sort.Slice(libs, func(i, k int) bool { return libs[i].Path < libs[k].Path })
	return libs, nil
}

// planMuslNatives checks that every native the assemblies P/Invoke is
// answered by the static runtime or linked in with --native.
func (a *app) planMuslNatives(j *mkbundleJob, members []*mkbundle.Member) error {
	if err := j.parseNatives(); err != nil {
		return err
	}
	used := map[string]bool{}
	for _, n := range mkbundle.PInvoked(members, libDirs(j.libs), nil) {
		if l, ok := j.linked(n.Name); ok {
			used[l] = true
			continue
		}
		if n.Optional {
			continue // Mono's class library copes without it
		}
		base := strings.TrimSuffix(strings.TrimPrefix(n.Name, "lib"), ".dll")
		msg := fmt.Sprintf("%s P/Invokes native library %q, which a static musl bundle cannot load: link a static archive of it in with --native %s=lib%s.a (built for %s), or use --libc glibc, or pass --allow-missing-native",
			n.Assembly, n.Name, n.Name, base, j.target.Name)
		if err := a.missingNative(j, msg); err != nil {
			return err
		}
	}
	for _, l := range j.natives {
		if !used[l.Name] {
			fmt.Fprintf(a.stderr, "mcc mkbundle: warning: --native %s: no bundled assembly P/Invokes %q; linked in anyway\n", l.Name, l.Name)
		}
	}
	return nil
}

// linked finds the --native that answers a [DllImport] name, compared as
// the static runtime compares library names (no "lib", no ".so*").
func (j *mkbundleJob) linked(name string) (string, bool) {
	for _, l := range j.natives {
		if l.Name == name || mkbundle.SameLibrary(l.Name, name) {
			return l.Name, true
		}
	}
	return "", false
}

// parseNatives checks the --native NAME=ARCHIVE.a flags.
func (j *mkbundleJob) parseNatives() error {
	if len(j.nativeFlags) > 0 && j.runtime != "" {
		return usagef("mcc mkbundle: --native links into mcc's static runtime, and --runtime gives another: drop one")
	}
	seen := map[string]bool{}
	for _, f := range j.nativeFlags {
		name, archive, ok := strings.Cut(f, "=")
		if !ok || name == "" || archive == "" {
			return usagef("mcc mkbundle: --native %q: give NAME=ARCHIVE.a, NAME as the [DllImport] says it, e.g. --native sqlite3=libsqlite3.a", f)
		}
		if seen[name] {
			return usagef("mcc mkbundle: --native %s given twice: give each library once", name)
		}
		seen[name] = true
		if _, err := userfile.CheckNamed(userfile.Named{What: "--native " + name, Path: archive}); err != nil {
			return err
		}
		if err := checkArchive(archive); err != nil {
			return badinput.Errorf("--native %s: %s %v: give a static library (ar archive of .o files, e.g. built with 'ar rcs lib%s.a %s.o')", name, archive, err, name, name)
		}
		abs, err := filepath.Abs(archive) // the link runs in the store, not here
		if err != nil {
			return err
		}
		j.natives = append(j.natives, toolchains.NativeLib{Name: name, Archive: abs})
	}
	return nil
}

// checkArchive refuses what is not an ar archive (a shared library, a
// linker script), which the static link could not use.
func checkArchive(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	magic := make([]byte, 8)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte("!<arch>\n")) {
		return fmt.Errorf("is not a static archive")
	}
	return nil
}

// mkbundleTarget resolves the target, which the natives are checked for.
func (a *app) mkbundleTarget(j *mkbundleJob) error {
	t, err := a.resolveTarget()
	if err != nil {
		return err
	}
	if j.libc == "glibc" && !t.Native() {
		return usagef("mcc mkbundle: --libc glibc bundles this machine's Debian Mono, so it cannot target %s: drop --libc glibc to use the static musl runtime", t.Name)
	}
	j.target = t
	return nil
}

// appRuntime builds (once per set of archives) the static runtime with the
// --native archives linked in and answered.
func (a *app) appRuntime(ctx context.Context, t toolchains.Target, natives []toolchains.NativeLib) (string, error) {
	in, err := a.installer()
	if err != nil {
		return "", err
	}
	rt, err := toolchains.AppRuntime(ctx, in, t, natives)
	if err != nil {
		return "", err
	}
	return rt.Runtime, nil
}

// nativeList is what the bundle's natives are, for --json.
func (j *mkbundleJob) nativeList() []string {
	var out []string
	for _, l := range j.nativeLibs {
		out = append(out, l.Path)
	}
	for _, n := range j.natives {
		out = append(out, n.Name+"="+n.Archive)
	}
	return out
}
