package mkbundle

import (
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Native is a native library that bundled assemblies P/Invoke and that
// the runtime does not answer itself.
type Native struct {
	Name     string // as the [DllImport] names it, e.g. "sqlite3"
	Assembly string // the first member (in bundle order) that P/Invokes it
	Path     string // that member's file, beside which its .config lies
	// Optional: only Mono's own class libraries load it, for a feature
	// that may go unused and whose absence they handle (System.dll's
	// libfam, System.Data's ODBC); a missing one is not an error.
	Optional bool
}

// runtimeAnswered are the libraries both runtimes answer themselves, as
// named without "lib" and ".so*": the static runtime from linked-in code
// (patches/mono/0002, plus BTLS), Debian's from the helpers and libc the
// glibc image always carries (DefaultDllMap).
var runtimeAnswered = map[string]bool{
	"c": true, "m": true, "dl": true, "rt": true, "pthread": true,
	"System.Native": true, "mono-native": true, "MonoPosixHelper": true,
	"__Internal": true, "mono-btls-shared": true,
}

// classLibraryNatives are the libraries a class library of Mono's profile
// exists to wrap: without them it does nothing, so they are required
// like an app's own. Its other natives are optional.
var classLibraryNatives = map[string][]string{
	"Mono.Data.Sqlite":         {"sqlite3"},
	"System.Drawing":           {"gdiplus", "gdiplus.dll"},
	"Mono.Cairo":               {"libcairo-2.dll"},
	"System.Data.OracleClient": {"oci"},
	"IBM.Data.DB2":             {"db2", "db2cli"},
}

// windowsOnly are Windows system libraries Mono's class libraries import
// on code paths that never run on Linux.
var windowsOnly = map[string]bool{
	"kernel32": true, "advapi32": true, "user32": true, "gdi32": true, "ole32": true,
	"oleaut32": true, "shell32": true, "winmm": true, "ws2_32": true, "iphlpapi": true,
	"crypt32": true, "comdlg32": true, "winspool": true, "uxtheme": true, "ntdll": true,
	"secur32": true, "bcrypt": true, "ncrypt": true, "psapi": true, "dbghelp": true,
	"version": true, "netapi32": true, "mscoree": true, "rpcrt4": true, "userenv": true,
	"shlwapi": true, "comctl32": true, "dwmapi": true, "imm32": true, "wininet": true,
	"winhttp": true, "dnsapi": true, "kernelbase": true,
}

// baseName is how the static runtime compares library names
// (is_linked_library): no directory, no "lib", no ".so*", ".dll" or
// ".dylib", compared case-sensitively as the runtime does.
func baseName(name string) string {
	b := name[strings.LastIndexByte(name, '/')+1:]
	if len(b) > 3 && strings.HasPrefix(b, "lib") {
		b = b[3:]
	}
	if i := strings.Index(b, ".so"); i >= 0 && (len(b) == i+3 || b[i+3] == '.') {
		b = b[:i]
	} else {
		for _, ext := range []string{".dylib", ".dll", ".drv"} {
			b = strings.TrimSuffix(b, ext)
		}
	}
	return b
}

// RuntimeAnswers says whether a runtime answers the library a [DllImport]
// names after the bundle's dllmap: it is linked in, or never loaded on
// Linux (Windows system libraries, macOS frameworks).
func RuntimeAnswers(mapped string) bool {
	b := baseName(mapped)
	return runtimeAnswered[b] || windowsOnly[strings.ToLower(b)] || strings.HasPrefix(mapped, "/System/Library/") ||
		strings.HasSuffix(mapped, ".dylib") || strings.HasSuffix(mapped, ".framework")
}

// PInvoked lists the natives members P/Invoke that the runtime does not
// answer given the bundle's dllmap (DefaultDllMap if nil), sorted by name.
// A member found in one of classLibDirs is one of Mono's class libraries.
func PInvoked(members []*Member, classLibDirs []string, bundleMap *DllMap) []Native {
	if bundleMap == nil {
		bundleMap, _ = ParseDllMap([]byte(DefaultDllMap), LinuxAMD64)
	}
	byName := map[string]*Native{}
	for _, m := range members {
		classLib := inDirs(m.Path, classLibDirs)
		for _, n := range m.Assembly.PInvoked {
			mapped, ok := bundleMap.Lookup(n)
			if !ok {
				mapped = n
			}
			if RuntimeAnswers(mapped) {
				continue
			}
			optional := classLib && !slices.Contains(classLibraryNatives[m.Assembly.Name], n)
			if prev, ok := byName[n]; ok {
				prev.Optional = prev.Optional && optional
				continue
			}
			byName[n] = &Native{Name: n, Assembly: m.FileName, Path: m.Path, Optional: optional}
		}
	}
	out := make([]Native, 0, len(byName))
	for _, n := range byName {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func inDirs(path string, dirs []string) bool {
	d := filepath.Clean(filepath.Dir(path))
	for _, x := range dirs {
		if filepath.Clean(x) == d {
			return true
		}
	}
	return false
}

// Resolver finds native libraries as Mono would on a glibc system.
type Resolver struct {
	Configs []*DllMap   // tried after the assembly's own .config, in order
	Dirs    []string    // library directories, after the assembly's own
	Machine elf.Machine // the runtime's: a library for another is skipped
}

// Resolve returns the file n loads: n's dllmap (the assembly's .config
// beside it, then r.Configs), then the names Mono tries (NAME, NAME.so,
// libNAME.so, without a ".dll"), and the versioned libNAME.so.N an
// installed runtime package provides, in the assembly's directory and then
// r.Dirs. If nowhere, file is "" and tried lists the names looked for.
func (r *Resolver) Resolve(n Native) (file string, tried []string, err error) {
	target, err := r.mapped(n)
	if err != nil {
		return "", nil, err
	}
	if filepath.IsAbs(target) {
		return r.usable(target), []string{target}, nil
	}
	forms := candidates(target)
	for _, d := range append([]string{filepath.Dir(n.Path)}, r.Dirs...) {
		for _, c := range forms {
			if p := r.usable(filepath.Join(d, c)); p != "" {
				return p, nil, nil
			}
		}
		for _, c := range forms {
			if p := r.versioned(d, c); p != "" {
				return p, nil, nil
			}
		}
	}
	for _, c := range forms {
		if strings.HasSuffix(c, ".so") {
			tried = append(tried, c+".N")
		}
	}
	return "", append(forms, tried...), nil
}

// mapped applies the first dllmap that maps n.Name.
func (r *Resolver) mapped(n Native) (string, error) {
	maps := r.Configs
	if b, err := os.ReadFile(n.Path + ".config"); err == nil {
		own, err := ParseDllMap(b, LinuxAMD64)
		if err != nil {
			return "", err
		}
		maps = append([]*DllMap{own}, maps...)
	}
	for _, m := range maps {
		if t, ok := m.Lookup(n.Name); ok {
			return t, nil
		}
	}
	return n.Name, nil
}

// candidates are the file names Mono's loader tries for name, in order,
// ending in ".so" where they name a shared library.
func candidates(name string) []string {
	base := strings.TrimSuffix(name, ".dll")
	var out []string
	for _, c := range []string{name, base + ".so", "lib" + base + ".so", base} {
		if !slices.Contains(out, c) && !strings.HasPrefix(c, "liblib") {
			out = append(out, c)
		}
	}
	return out
}

// versioned finds NAME.so.N in dir (ldconfig's SONAME links), the
// highest N, for a NAME.so that only a -dev package would install.
func (r *Resolver) versioned(dir, name string) string {
	if !strings.HasSuffix(name, ".so") {
		return ""
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	best, bestN := "", -1
	for _, e := range ents {
		v, ok := strings.CutPrefix(e.Name(), name+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil && n > bestN && r.usable(filepath.Join(dir, e.Name())) != "" {
			best, bestN = filepath.Join(dir, e.Name()), n
		}
	}
	return best
}

// usable returns p if it is a shared library for r.Machine.
func (r *Resolver) usable(p string) string {
	f, err := elf.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	if f.Type != elf.ET_DYN || (r.Machine != elf.EM_NONE && f.Machine != r.Machine) {
		return ""
	}
	return p
}

// SameLibrary says whether two names name one library as the static
// runtime compares them (no directory, "lib", ".so*", ".dll").
func SameLibrary(a, b string) bool { return baseName(a) == baseName(b) }
