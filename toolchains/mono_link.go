package toolchains

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/deb"
	"github.com/mcc-build/mcc/internal/store"
)

// monoLinkDir is where a runtime's store entry keeps what a relink needs:
// the compiled static natives, every archive in link order, and the names
// the runtime's table holds. A per-app runtime is then one table and one
// link, not a rebuild.
const monoLinkDir = "link"

// monoLinkSpec is link/link.json.
type monoLinkSpec struct {
	Archives  []string `json:"archives"`  // file names in link/, in link order
	Symbols   []string `json:"symbols"`   // what the table serves, sorted
	Libraries []string `json:"libraries"` // what the table answers for, as LinkedLibraryName gives them
}

const staticNativesObject = "mcc-static-natives.o"

// NativeLib is a static archive linked into a per-app runtime and the P/Invoke name it answers.
type NativeLib struct{ Name, Archive string } // Name as [DllImport] says it, e.g. "sqlite3" or "libfoo.so"

// prepareLink fills linkDir: the static natives compiled, the runtime's
// archives moved in (the build tree is deleted next), link.json written.
func (b *MonoBuild) prepareLink(r *runner, srcDir, btlsDir, cc, linkDir string) (*monoLinkSpec, error) {
	if err := os.MkdirAll(linkDir, 0o755); err != nil {
		return nil, err
	}
	if err := r.run(append(shellWords(cc), "-O2", "-I"+srcDir, "-I"+filepath.Join(srcDir, "mono"), "-I"+filepath.Join(srcDir, "mono/eglib"),
		"-c", "-o", filepath.Join(linkDir, staticNativesObject), filepath.Join(srcDir, "mono/mini/mcc-static-natives.c"))...); err != nil {
		return nil, err
	}
	tableFrom := []string{b.LibC}
	for _, a := range nativeTableArchives {
		tableFrom = append(tableFrom, filepath.Join(srcDir, a))
	}
	syms, err := NativeSymbols(tableFrom...)
	if err != nil {
		return nil, err
	}
	btls, err := NativeSymbols(filepath.Join(btlsDir, btlsArchive))
	if err != nil {
		return nil, err
	}
	for _, s := range btls {
		if strings.HasPrefix(s, btlsPrefix) {
			syms = append(syms, s)
		}
	}
	sort.Strings(syms)
	spec := &monoLinkSpec{Symbols: syms, Libraries: baseLinkedLibraries}
	paths := append([]string{}, monoArchives...)
	for _, a := range paths {
		spec.Archives = append(spec.Archives, filepath.Base(a))
		if err := os.Rename(filepath.Join(srcDir, a), filepath.Join(linkDir, filepath.Base(a))); err != nil {
			return nil, err
		}
	}
	spec.Archives = append(spec.Archives, btlsArchive)
	if err := os.Rename(filepath.Join(btlsDir, btlsArchive), filepath.Join(linkDir, btlsArchive)); err != nil {
		return nil, err
	}
	data, _ := json.MarshalIndent(spec, "", "  ")
	return spec, os.WriteFile(filepath.Join(linkDir, "link.json"), append(data, '\n'), 0o644)
}

// linkRuntime generates the table for spec plus the extra archives, and
// links everything into out: static, stripped. work holds the table's
// source and object. cc is the plain musl compiler.
func linkRuntime(r *runner, cc, linkDir string, spec *monoLinkSpec, work, out string, extra ...string) error {
	table := filepath.Join(work, "mcc-natives-table.c")
	if err := os.WriteFile(table, NativeTableC(spec.Symbols, spec.Libraries), 0o644); err != nil {
		return err
	}
	ccw := shellWords(cc)
	tableObj := filepath.Join(work, "mcc-natives-table.o")
	if err := r.run(append(ccw, "-O2", "-w", "-fno-builtin", "-c", "-o", tableObj, table)...); err != nil {
		return err
	}
	args := append(ccw, "-static", "-s", "-Wl,--build-id=none", "-o", out, filepath.Join(linkDir, staticNativesObject), tableObj, "-Wl,--start-group")
	for _, a := range spec.Archives {
		args = append(args, filepath.Join(linkDir, a))
	}
	args = append(args, extra...)
	args = append(args, "-Wl,--end-group", "-lm", "-lpthread")
	return r.run(args...)
}

func readLinkSpec(rt *MonoRuntime) (*monoLinkSpec, error) {
	data, err := os.ReadFile(filepath.Join(rt.Dir, monoLinkDir, "link.json"))
	if err != nil {
		return nil, fmt.Errorf("the Mono runtime %s keeps no link inputs: %w", rt.Dir, err)
	}
	var spec monoLinkSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("the Mono runtime %s has a bad link.json: %w", rt.Dir, err)
	}
	return &spec, nil
}

// appNative is one checked NativeLib: its archive's digest and functions.
type appNative struct {
	Name    string `json:"name"`
	SHA256  string `json:"sha256"`
	path    string
	symbols []string
}

// AppRuntime returns a static runtime for t with natives linked in and their global functions answered from the table (cached in the store by the base runtime key + each archive's sha256 + name).
func AppRuntime(ctx context.Context, in *Installer, t Target, natives []NativeLib) (*MonoRuntime, error) {
	if len(natives) == 0 {
		return InstallMono(ctx, in, t)
	}
	// The archives are checked before the base runtime is installed: a bad
	// one is refused at once, not after a cold build of many minutes.
	checked, err := checkNatives(t, natives)
	if err != nil {
		return nil, err
	}
	base, err := InstallMono(ctx, in, t)
	if err != nil {
		return nil, err
	}
	spec, err := readLinkSpec(base)
	if err != nil {
		return nil, err
	}
	tc, err := in.Install(ctx, t)
	if err != nil {
		return nil, err
	}
	key := store.Key("mono-app-runtime-"+t.Name, struct {
		Base    string
		Natives []appNative
	}{base.Key, checked})
	rt := &MonoRuntime{Target: t.Name, Key: key}
	logPath := in.Store.LogPath(key)
	dir, built, err := in.Store.Entry(ctx, key, func(ctx context.Context, dir string) error {
		done := in.Progress.Step("mono runtime: linking " + strings.Join(nativeNames(checked), ", ") + " in")
		err := relink(ctx, tc.CC, base, spec, checked, dir, logPath)
		done(err)
		return err
	})
	if err != nil {
		return nil, err
	}
	rt.Dir, rt.Built, rt.Runtime = dir, built, filepath.Join(dir, "bin", "mono")
	return rt, nil
}

func nativeNames(ns []appNative) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

// relink links base's inputs plus the natives into dir/bin/mono.
func relink(ctx context.Context, cc string, base *MonoRuntime, spec *monoLinkSpec, natives []appNative, dir, logPath string) error {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return err
	}
	var log bytes.Buffer
	defer func() { os.WriteFile(logPath, log.Bytes(), 0o644) }()
	work := filepath.Join(dir, "work")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{work, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	app := *spec
	app.Symbols = append([]string{}, spec.Symbols...)
	app.Libraries = append([]string{}, spec.Libraries...)
	var archives []string
	for _, n := range natives {
		app.Symbols = append(app.Symbols, n.symbols...)
		app.Libraries = append(app.Libraries, LinkedLibraryName(n.Name))
		archives = append(archives, n.path)
	}
	app.Symbols = uniqueSorted(app.Symbols)
	r := &runner{ctx: ctx, dir: work, log: &log, env: fixedEnv()}
	if err := linkRuntime(r, cc, filepath.Join(base.Dir, monoLinkDir), &app, work, filepath.Join(bin, "mono"), archives...); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return linkError(log.String(), natives, fmt.Errorf("%w (link log: %s)", err, logPath))
	}
	return os.RemoveAll(work)
}

func uniqueSorted(names []string) []string {
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}

var undefinedRef = regexp.MustCompile("undefined reference to `([^']+)'")

// linkError turns a failed link's output into one line naming the
// archives and what they lack.
func linkError(output string, natives []appNative, err error) error {
	var paths []string
	for _, n := range natives {
		paths = append(paths, n.path)
	}
	seen := map[string]bool{}
	var undef []string
	for _, m := range undefinedRef.FindAllStringSubmatch(output, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			undef = append(undef, m[1])
		}
	}
	if len(undef) > 0 {
		sort.Strings(undef)
		if len(undef) > 8 {
			undef = append(undef[:8], "…")
		}
		return badinput.Errorf("linking native archive %s into the Mono runtime: undefined symbols %s: add the archives that define them (another --native NAME=ARCHIVE.a) or build the library without those dependencies",
			strings.Join(paths, ", "), strings.Join(undef, ", "))
	}
	if strings.Contains(output, "multiple definition of") {
		return badinput.Errorf("linking native archive %s into the Mono runtime: it defines symbols the runtime already has: rename them or leave them out of the archive", strings.Join(paths, ", "))
	}
	return fmt.Errorf("linking native archive %s into the Mono runtime: %w", strings.Join(paths, ", "), err)
}

// checkNatives reads each archive: an ar archive of objects for t's
// machine that defines at least one function.
func checkNatives(t Target, natives []NativeLib) ([]appNative, error) {
	arch, err := lookupMonoArch(t.Name)
	if err != nil {
		return nil, err
	}
	var out []appNative
	for _, n := range natives {
		if LinkedLibraryName(n.Name) == "" {
			return nil, badinput.Errorf("native library name %q for %s names no library: give it as [DllImport] does, e.g. sqlite3=%s", n.Name, n.Archive, n.Archive)
		}
		an, err := checkNativeArchive(n, arch.machine, t.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, *an)
	}
	return out, nil
}

func checkNativeArchive(n NativeLib, machine elf.Machine, target string) (*appNative, error) {
	data, err := os.ReadFile(n.Archive)
	if err != nil {
		return nil, badinput.Errorf("native archive for %s: %v: give the path of a static library (.a)", n.Name, err)
	}
	members, err := deb.Read(data)
	if err != nil {
		return nil, badinput.Errorf("native archive %s is not a static library (%v): build one with 'ar rcs lib%s.a *.o'", n.Archive, err, LinkedLibraryName(n.Name))
	}
	objects := 0
	for _, m := range members {
		f, err := elf.NewFile(bytes.NewReader(m.Data))
		if err != nil {
			continue
		}
		objects++
		if f.Machine != machine || f.Type != elf.ET_REL {
			return nil, badinput.Errorf("native archive %s: member %s is a %s %s file, not a %s object: rebuild it for %s with mcc's musl C compiler",
				n.Archive, m.Name, f.Machine, f.Type, machine, target)
		}
	}
	if objects == 0 {
		return nil, badinput.Errorf("native archive %s holds no ELF objects: rebuild it for %s with mcc's musl C compiler", n.Archive, target)
	}
	syms, err := NativeSymbols(n.Archive)
	if err != nil {
		return nil, err
	}
	if len(syms) == 0 {
		return nil, badinput.Errorf("native archive %s defines no global functions to answer [DllImport(%q)] with: check it is the library you meant", n.Archive, n.Name)
	}
	sum, err := store.FileSHA256(n.Archive)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(n.Archive) // the link runs in the store
	if err != nil {
		return nil, err
	}
	return &appNative{Name: n.Name, SHA256: sum, path: abs, symbols: syms}, nil
}
