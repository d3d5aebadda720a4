package mkbundle

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/testenv"
)

// debianAssembly reads a class library of Debian's Mono, skipping if the
// package that ships it is not installed.
func debianAssembly(t *testing.T, name, pkg string) *Member {
	t.Helper()
	p := filepath.Join("/usr/lib/mono/4.5", name)
	if _, err := os.Stat(p); err != nil {
		testenv.Tool(t, "mcs")
		t.Skipf("%s missing: apt-get install %s", p, pkg)
	}
	m, err := load(p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReadNatives(t *testing.T) {
	dir := t.TempDir()
	pinv := compile(t, dir, "pinv.exe", `using System.Runtime.InteropServices;
class P {
	[DllImport("hello")] static extern int hello_add(int a, int b);
	[DllImport("libc", EntryPoint="getpid")] static extern int getpid();
	static void Main() { System.Console.WriteLine(hello_add(1, 2) + getpid()); }
}`)
	pinvData, _ := os.ReadFile(pinv)
	pinvAsm, err := ReadAssembly(pinvData)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		a              *Assembly
		modRefs, pinvd string
	}{
		{"mcs", pinvAsm, "hello,libc", "hello,libc"},
		{"Mono.Data.Sqlite", debianAssembly(t, "Mono.Data.Sqlite.dll", "libmono-sqlite4.0-cil").Assembly, "sqlite3", "sqlite3"},
		{"Mono.Posix", debianAssembly(t, "Mono.Posix.dll", "libmono-posix4.0-cil").Assembly, "", "MonoPosixHelper,intl,libc,msvcrt"},
		{"System.Core", debianAssembly(t, "System.Core.dll", "mono-devel").Assembly, "System.Native", "System.Native"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.modRefs != "" {
				if got := strings.Join(tc.a.ModuleRefs, ","); got != tc.modRefs {
					t.Errorf("ModuleRefs %s, want %s", got, tc.modRefs)
				}
			} else if len(tc.a.ModuleRefs) < len(tc.a.PInvoked) {
				t.Errorf("ModuleRefs %v fewer than P/Invoked %v", tc.a.ModuleRefs, tc.a.PInvoked)
			}
			if got := strings.Join(tc.a.PInvoked, ","); got != tc.pinvd {
				t.Errorf("PInvoked %s, want %s", got, tc.pinvd)
			}
		})
	}
}

func TestDllMapLookup(t *testing.T) {
	m, err := ParseDllMap([]byte(`<configuration>
	<dllmap dll="sqlite3" target="libsqlite3.so.0" os="!windows"/>
	<dllmap dll="win" target="win.so" os="windows"/>
	<dllmap dll="osx" target="libosx.dylib" os="osx,freebsd"/>
	<dllmap dll="arm" target="libarm.so" cpu="armv8"/>
	<dllmap dll="x64" target="libx64.so" cpu="x86-64" wordsize="64"/>
	<dllmap dll="i:Gdi32.DLL" target="libgdiplus.so.0"/>
	<dllmap dll="dup" target="first.so"/>
	<dllmap dll="dup" target="second.so"/>
	<dllmap dll="helper" target="$mono_libdir/libhelper.so"/>
	<dllmap dll="i:kernel32.dll"><dllentry dll="__Internal" name="CopyMemory" target="x"/></dllmap>
</configuration>`), LinuxAMD64)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dll, want string }{
		{"sqlite3", "libsqlite3.so.0"},
		{"Sqlite3", ""}, // case-sensitive without i:
		{"win", ""},
		{"osx", ""},
		{"arm", ""},
		{"x64", "libx64.so"},
		{"gdi32.dll", "libgdiplus.so.0"},
		{"dup", "second.so"}, // Mono prepends: the last entry wins
		{"helper", "/usr/lib/libhelper.so"},
		{"kernel32.dll", ""}, // only function entries
	} {
		got, _ := m.Lookup(tc.dll)
		if got != tc.want {
			t.Errorf("Lookup(%q) = %q, want %q", tc.dll, got, tc.want)
		}
	}
	if _, err := ParseDllMap([]byte("<configuration><dllmap"), LinuxAMD64); err == nil {
		t.Error("a cut-short config parsed")
	}
}

// writeSharedLib compiles a one-function shared library into dir.
func writeSharedLib(t *testing.T, dir, file, soname string) string {
	t.Helper()
	gcc := testenv.Tool(t, "gcc")
	c := filepath.Join(dir, "x.c")
	os.WriteFile(c, []byte("int hello_add(int a, int b) { return a + b; }\n"), 0o644)
	out := filepath.Join(dir, file)
	runTool(t, gcc, "-shared", "-fPIC", "-Wl,-soname,"+soname, "-o", out, c)
	return out
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, b)
	}
}

func TestResolve(t *testing.T) {
	sys := t.TempDir() // stands for /usr/lib/x86_64-linux-gnu
	writeSharedLib(t, sys, "libver.so.1", "libver.so.1")
	writeSharedLib(t, sys, "libver.so.3", "libver.so.3")
	writeSharedLib(t, sys, "libplain.so", "libplain.so")
	os.WriteFile(filepath.Join(sys, "libtext.so"), []byte("INPUT(-lc)\n"), 0o644) // a linker script
	appDir := t.TempDir()
	writeSharedLib(t, appDir, "libbeside.so", "libbeside.so")
	writeSharedLib(t, appDir, "libmapped.so.7", "libmapped.so.7")
	app := filepath.Join(appDir, "app.exe")
	os.WriteFile(app+".config", []byte(`<configuration><dllmap dll="own" target="libmapped.so.7"/></configuration>`), 0o644)
	global, _ := ParseDllMap([]byte(`<configuration><dllmap dll="glob" target="libver.so.1"/><dllmap dll="abs" target="`+filepath.Join(sys, "libplain.so")+`"/></configuration>`), LinuxAMD64)
	r := &Resolver{Configs: []*DllMap{global}, Dirs: []string{sys}, Machine: elf.EM_X86_64}
	for _, tc := range []struct{ name, want string }{
		{"ver", filepath.Join(sys, "libver.so.3")}, // highest SONAME link
		{"libver", filepath.Join(sys, "libver.so.3")},
		{"plain", filepath.Join(sys, "libplain.so")},
		{"plain.dll", filepath.Join(sys, "libplain.so")},
		{"beside", filepath.Join(appDir, "libbeside.so")}, // the assembly's directory first
		{"own", filepath.Join(appDir, "libmapped.so.7")},  // the assembly's .config
		{"glob", filepath.Join(sys, "libver.so.1")},       // Mono's config
		{"abs", filepath.Join(sys, "libplain.so")},
		{"text", ""}, // not ELF
		{"nowhere", ""},
	} {
		got, tried, err := r.Resolve(Native{Name: tc.name, Assembly: "app.exe", Path: app})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Resolve(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if got == "" && len(tried) == 0 {
			t.Errorf("Resolve(%q) found nothing and tried nothing", tc.name)
		}
	}
}

func TestPInvokedClassifies(t *testing.T) {
	app := &Member{Path: "/src/app.exe", FileName: "app.exe", Assembly: &Assembly{Name: "app", PInvoked: []string{"System.Native", "__Internal", "hello", "kernel32.dll", "libc", "libc.so.6", "cygwin1.dll"}}}
	sqlite := &Member{Path: "/usr/lib/mono/4.5/Mono.Data.Sqlite.dll", FileName: "Mono.Data.Sqlite.dll", Assembly: &Assembly{Name: "Mono.Data.Sqlite", PInvoked: []string{"sqlite3"}}}
	system := &Member{Path: "/usr/lib/mono/4.5/System.dll", FileName: "System.dll", Assembly: &Assembly{Name: "System", PInvoked: []string{"/usr/lib/libSystem.dylib", "MonoPosixHelper", "libfam.so.0", "libmono-btls-shared"}}}
	var got []string
	for _, n := range PInvoked([]*Member{app, sqlite, system}, DefaultLibDirs, nil) {
		got = append(got, n.Name+"@"+n.Assembly+map[bool]string{true: "?"}[n.Optional])
	}
	if want := "hello@app.exe,libfam.so.0@System.dll?,sqlite3@Mono.Data.Sqlite.dll"; strings.Join(got, ",") != want {
		t.Errorf("PInvoked = %s, want %s", strings.Join(got, ","), want)
	}
}

func TestWithDllMaps(t *testing.T) {
	cfg := WithDllMaps(DefaultDllMap, []string{"a\"b", "sqlite3"}, map[string]string{"a\"b": "/x/liba.so", "sqlite3": "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0"})
	m, err := ParseDllMap([]byte(cfg), LinuxAMD64)
	if err != nil {
		t.Fatal(err)
	}
	for dll, want := range map[string]string{"a\"b": "/x/liba.so", "sqlite3": "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0", "libc": "libc.so.6"} {
		if got, _ := m.Lookup(dll); got != want {
			t.Errorf("Lookup(%q) = %q, want %q", dll, got, want)
		}
	}
}
