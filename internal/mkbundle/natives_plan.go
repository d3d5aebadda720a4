package mkbundle

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/deb"
	"github.com/mcc-build/mcc/internal/userfile"
)

// planNatives finds the native libraries the bundled assemblies P/Invoke
// (their ModuleRef and ImplMap tables), before anything is built: with
// glibc it resolves each as Mono would and points the bundle's dllmap at
// the file the image will carry; with musl each must be answered by the
// runtime or linked in with --native.
func (r *run) planNatives() error {
	if r.Libc == "glibc" {
		return r.planGlibcNatives()
	}
	return r.planMuslNatives()
}

// planGlibcNatives resolves every native and records the files (for the
// image) and the bundle's dllmap.
func (r *run) planGlibcNatives() error {
	if len(r.Natives) > 0 {
		return badinput.Errorf("mcc mkbundle: --native links a static archive into the musl runtime; with --libc glibc native libraries are found by their [DllImport] names: drop --native")
	}
	res, err := glibcResolver(r.target, MonoConfig)
	if err != nil {
		return err
	}
	targets := map[string]string{}
	var names []string
	for _, n := range PInvoked(r.members, r.libDirs(), nil) {
		if n.Optional {
			// A backend of Mono's class libraries (ALSA, FAM, ODBC): carried
			// only because the build machine has it, it would make the image
			// depend on what happens to be installed.
			continue
		}
		file, tried, err := res.Resolve(n)
		if err != nil {
			return badinput.Errorf("%s.config: %v", n.Path, err)
		}
		if file == "" {
			msg := fmt.Sprintf("%s P/Invokes native library %q, found nowhere (looked for %s in %s's directory and %s): install it, put it beside %s, map it with <dllmap dll=%q target=\"FILE\"/> in %s.config, or pass --allow-missing-native",
				n.Assembly, n.Name, strings.Join(tried, ", "), n.Assembly, strings.Join(res.Dirs, ", "), n.Assembly, n.Name, n.Assembly)
			if err := r.missingNative(msg); err != nil {
				return err
			}
			continue
		}
		lib, err := ImageLibrary(file)
		if err != nil {
			return err
		}
		targets[n.Name] = lib.Path
		names = append(names, n.Name)
		r.nativeLibs = append(r.nativeLibs, lib)
	}
	r.dllmap = WithDllMaps(DefaultDllMap, names, targets)
	return nil
}

// missingNative is an error, or with --allow-missing-native a warning.
func (r *run) missingNative(msg string) error {
	if !r.AllowMissing {
		return badinput.Errorf("%s", msg)
	}
	r.warnf("%s", strings.TrimSuffix(msg, ", or pass --allow-missing-native"))
	return nil
}

// glibcResolver looks natives up as Debian's Mono would: mcc's dllmap,
// then Debian's Mono config (monoConfig, if there), then the library
// directories.
func glibcResolver(t Target, monoConfig string) (*Resolver, error) {
	def, err := ParseDllMap([]byte(DefaultDllMap), LinuxAMD64)
	if err != nil {
		return nil, err
	}
	r := &Resolver{Configs: []*DllMap{def}, Dirs: GlibcLibDirs, Machine: t.Machine}
	if b, err := os.ReadFile(monoConfig); err == nil {
		m, err := ParseDllMap(b, LinuxAMD64)
		if err != nil {
			return nil, badinput.Errorf("%s: %v: reinstall mono-runtime-common", monoConfig, err)
		}
		r.Configs = append(r.Configs, m)
	}
	return r, nil
}

// planMuslNatives checks that every native the assemblies P/Invoke is
// answered by the static runtime or linked in with --native.
func (r *run) planMuslNatives() error {
	if err := r.parseNatives(); err != nil {
		return err
	}
	used := map[string]bool{}
	for _, n := range PInvoked(r.members, r.libDirs(), nil) {
		if l, ok := r.linked(n.Name); ok {
			used[l] = true
			continue
		}
		if n.Optional {
			continue // Mono's class library copes without it
		}
		base := strings.TrimSuffix(strings.TrimPrefix(n.Name, "lib"), ".dll")
		msg := fmt.Sprintf("%s P/Invokes native library %q, which a static musl bundle cannot load: link a static archive of it in with --native %s=lib%s.a (built for %s), or use --libc glibc, or pass --allow-missing-native",
			n.Assembly, n.Name, n.Name, base, r.target.Name)
		if err := r.missingNative(msg); err != nil {
			return err
		}
	}
	for _, l := range r.archives {
		if !used[l.Name] {
			r.warnf("--native %s: no bundled assembly P/Invokes %q; linked in anyway", l.Name, l.Name)
		}
	}
	return nil
}

// linked finds the --native that answers a [DllImport] name, compared as
// the static runtime compares library names (no "lib", no ".so*").
func (r *run) linked(name string) (string, bool) {
	for _, l := range r.archives {
		if l.Name == name || SameLibrary(l.Name, name) {
			return l.Name, true
		}
	}
	return "", false
}

// parseNatives checks the --native NAME=ARCHIVE.a flags.
func (r *run) parseNatives() error {
	if len(r.Natives) > 0 && r.Runtime != "" {
		return badinput.Errorf("mcc mkbundle: --native links into mcc's static runtime, and --runtime gives another: drop one")
	}
	seen := map[string]bool{}
	for _, f := range r.Natives {
		name, archive, ok := strings.Cut(f, "=")
		if !ok || name == "" || archive == "" {
			return badinput.Errorf("mcc mkbundle: --native %q: give NAME=ARCHIVE.a, NAME as the [DllImport] says it, e.g. --native sqlite3=libsqlite3.a", f)
		}
		if seen[name] {
			return badinput.Errorf("mcc mkbundle: --native %s given twice: give each library once", name)
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
		r.archives = append(r.archives, NativeArchive{Name: name, Archive: abs})
	}
	return nil
}

// checkArchive refuses what is not a whole ar archive (a shared library, a
// linker script, a truncated file), which the static link could not use;
// internal/deb is the one ar reader, toolchains links with the same.
func checkArchive(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := deb.Read(b); err != nil {
		return fmt.Errorf("is not a static archive")
	}
	return nil
}

// nativeList is what the bundle's natives are, for --json.
func (r *run) nativeList() []string {
	var out []string
	for _, l := range r.nativeLibs {
		out = append(out, l.Path)
	}
	for _, n := range r.archives {
		out = append(out, n.Name+"="+n.Archive)
	}
	return out
}
