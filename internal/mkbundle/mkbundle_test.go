package mkbundle

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/testenv"
)

// compile builds C# source with Debian's mcs into dir and returns the path.
func compile(t *testing.T, dir, out, src string, args ...string) string {
	t.Helper()
	mcs := testenv.Tool(t, "mcs")
	cs := filepath.Join(dir, strings.TrimSuffix(out, filepath.Ext(out))+".cs")
	if err := os.WriteFile(cs, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, out)
	cmd := exec.Command(mcs, append(append([]string{"-out:" + p}, args...), cs)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mcs %s: %v\n%s", out, err, b)
	}
	return p
}

const helloCS = `class P { static void Main() { System.Console.WriteLine("hi"); } }`

func TestReadAssembly(t *testing.T) {
	dir := t.TempDir()
	lib := compile(t, dir, "Greeter.dll", `[assembly: System.Reflection.AssemblyVersion("1.2.3.4")]
public class Greeter { public static string Hi() { return "hi"; } }`, "-target:library")
	app := compile(t, dir, "app.exe", `class P { static void Main() { System.Console.WriteLine(Greeter.Hi() + new System.Uri("http://x/").Host); } }`, "-r:"+lib, "-r:System.dll")
	core := compile(t, dir, "core.exe", `[assembly: System.Runtime.Versioning.TargetFramework(".NETCoreApp,Version=v3.1")]
class P { static void Main() {} }`)

	for _, tc := range []struct {
		path    string
		name    string
		version string
		exe     bool
		refs    string
		tfm     string
	}{
		{lib, "Greeter", "1.2.3.4", false, "mscorlib", ""},
		{app, "app", "0.0.0.0", true, "Greeter,System,mscorlib", ""},
		{core, "core", "0.0.0.0", true, "mscorlib", ".NETCoreApp,Version=v3.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ReadAssembly(b)
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, r := range a.References {
				refs = append(refs, r.Name)
			}
			sort.Strings(refs)
			if a.Name != tc.name || a.Version.String() != tc.version || a.IsExe != tc.exe ||
				strings.Join(refs, ",") != tc.refs || a.TargetFramework != tc.tfm || a.Runtime != "v4.0.30319" {
				t.Errorf("got %+v refs %v", *a, refs)
			}
		})
	}
}

func TestReadAssemblyDebianClassLibraries(t *testing.T) {
	files, _ := filepath.Glob("/usr/lib/mono/4.5/*.dll")
	if len(files) == 0 {
		testenv.Tool(t, "mono-missing-install-mono-devel") // fails in CI, skips elsewhere
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ReadAssembly(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".dll"); !strings.EqualFold(a.Name, want) {
			t.Errorf("%s: name %q", f, a.Name)
		}
	}
}

func TestReadAssemblyRejects(t *testing.T) {
	dir := t.TempDir()
	exe, _ := os.ReadFile(compile(t, dir, "hello.exe", helloCS))
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	noCLI := append([]byte(nil), exe...)
	// Zero the CLI header data directory: a PE that is not .NET.
	f, _ := os.CreateTemp(dir, "x")
	f.Close()
	for _, tc := range []struct {
		name string
		data []byte
		kind string
	}{
		{"empty", nil, "not-pe"},
		{"text", []byte("just some text\n"), "not-pe"},
		{"elf", self, "native-elf"},
		{"truncated", exe[:400], "corrupt"},
		{"mz-garbage", append([]byte("MZ"), bytes.Repeat([]byte{0xff}, 300)...), "corrupt"},
		{"no-cli-header", zeroCLIDir(t, noCLI), "native-pe"},
		{"corrupt-metadata", corruptMetadata(t, exe), "corrupt"},
		{"truncated-after-metadata", exe[:len(exe)-100], "truncated"},
		{"metadata-size-cut-short", setMetadataSize(t, exe, 100), "corrupt"},
		{"method-body-outside-its-section", moveFirstMethod(t, exe), "corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadAssembly(tc.data)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Kind != tc.kind {
				t.Fatalf("got %v, want a %s FormatError", err, tc.kind)
			}
			if strings.Contains(fe.Error(), "\n") {
				t.Errorf("multi-line error %q", fe.Error())
			}
		})
	}
}

// TestReadAssemblyRefusesTruncation: a file cut anywhere is refused up
// front; Mono would refuse it only when the bundle runs.
func TestReadAssemblyRefusesTruncation(t *testing.T) {
	exe, _ := os.ReadFile(compile(t, t.TempDir(), "hello.exe", helloCS))
	for n := range len(exe) {
		if _, err := ReadAssembly(exe[:n]); err == nil {
			t.Fatalf("accepted the first %d of %d bytes", n, len(exe))
		}
	}
	if _, err := ReadAssembly(exe); err != nil {
		t.Fatal(err)
	}
}

// cliHeader returns the file offset of a PE's CLI header.
func cliHeader(t *testing.T, exe []byte) (*pe.File, int) {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatal(err)
	}
	rva := f.OptionalHeader.(*pe.OptionalHeader32).DataDirectory[14].VirtualAddress
	return f, fileOffset(t, f, rva)
}

func fileOffset(t *testing.T, f *pe.File, rva uint32) int {
	t.Helper()
	for _, s := range f.Sections {
		if rva >= s.VirtualAddress && rva < s.VirtualAddress+s.Size {
			return int(s.Offset + rva - s.VirtualAddress)
		}
	}
	t.Fatalf("RVA %#x in no section", rva)
	return 0
}

// setMetadataSize makes the CLI header claim size bytes of metadata, so
// the stream headers point past it.
func setMetadataSize(t *testing.T, exe []byte, size uint32) []byte {
	b := append([]byte(nil), exe...)
	_, cli := cliHeader(t, b)
	binary.LittleEndian.PutUint32(b[cli+12:], size)
	return b
}

// moveFirstMethod points the first MethodDef's RVA at the last byte of its
// section's raw data, where a body cannot fit.
func moveFirstMethod(t *testing.T, exe []byte) []byte {
	b := append([]byte(nil), exe...)
	f, cli := cliHeader(t, b)
	mdRVA := binary.LittleEndian.Uint32(b[cli+8:])
	md := b[fileOffset(t, f, mdRVA):]
	m, err := parseMetadata(md[:binary.LittleEndian.Uint32(b[cli+12:])])
	if err != nil || m.rows[tMethodDef] == 0 {
		t.Fatalf("metadata: %v, %d methods", err, m.rows[tMethodDef])
	}
	// The table is a slice of b: its offset is the difference of capacities.
	row := len(b) - cap(m.tables[tMethodDef])
	s := f.Sections[0]
	b[s.Offset+s.Size-1] = 0x0a // a tiny header claiming 2 bytes of IL
	binary.LittleEndian.PutUint32(b[row:], s.VirtualAddress+s.Size-1)
	return b
}

// zeroCLIDir clears data directory 14 of a PE32 image.
func zeroCLIDir(t *testing.T, b []byte) []byte {
	peOff := int(b[0x3c]) | int(b[0x3d])<<8
	opt := peOff + 4 + 20
	if b[opt] != 0x0b || b[opt+1] != 0x01 {
		t.Fatal("mcs output is not PE32")
	}
	dir14 := opt + 96 + 14*8
	copy(b[dir14:dir14+8], make([]byte, 8))
	return b
}

// corruptMetadata breaks the metadata signature.
func corruptMetadata(t *testing.T, exe []byte) []byte {
	b := append([]byte(nil), exe...)
	i := bytes.Index(b, []byte("BSJB"))
	if i < 0 {
		t.Fatal("no metadata root")
	}
	copy(b[i:], "XXXX")
	return b
}

func TestClosure(t *testing.T) {
	dir := t.TempDir()
	lib := compile(t, dir, "Greeter.dll", `public class Greeter { public static string Hi() { return new System.Uri("http://x/").Host; } }`, "-target:library", "-r:System.dll")
	app := compile(t, dir, "app.exe", `class P { static void Main() { System.Console.WriteLine(Greeter.Hi()); } }`, "-r:"+lib)
	ms, err := Closure(app, nil, DefaultLibDirs)
	if err != nil {
		if _, e := os.Stat(DefaultLibDirs[0]); e != nil {
			testenv.Tool(t, "mono-missing-install-mono-devel")
		}
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.FileName)
	}
	got := strings.Join(names, ",")
	// app first, then sorted; System.dll pulls in its own references.
	for _, want := range []string{"app.exe,", "Greeter.dll", "System.dll", "mscorlib.dll", "System.Configuration.dll", "System.Xml.dll"} {
		if !strings.Contains(got, want) || !strings.HasPrefix(got, "app.exe,") {
			t.Errorf("closure %s lacks %s", got, want)
		}
	}

	// A missing reference names the assembly and who references it.
	os.Remove(lib)
	_, err = Closure(app, nil, DefaultLibDirs)
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "assembly Greeter (referenced by app.exe) not found") {
		t.Errorf("missing dependency: %v", err)
	}

	// A library is not a program.
	lib = compile(t, dir, "Greeter.dll", `public class Greeter { public static string Hi() { return ""; } }`, "-target:library")
	if _, err := Closure(lib, nil, DefaultLibDirs); err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "not a program") {
		t.Errorf("library as app: %v", err)
	}

	// .NET Core assemblies are refused with the reason.
	core := compile(t, dir, "core.exe", `[assembly: System.Runtime.Versioning.TargetFramework(".NETCoreApp,Version=v3.1")]
class P { static void Main() {} }`)
	_, err = Closure(core, nil, DefaultLibDirs)
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), ".NET Core/.NET 5+ assembly (it targets .NETCoreApp,Version=v3.1)") {
		t.Errorf(".NET Core app: %v", err)
	}
}

func TestSupportedDetectsReferenceAssemblies(t *testing.T) {
	for _, tc := range []struct {
		refs []string
		ok   bool
	}{
		{[]string{"mscorlib", "System"}, true},
		{[]string{"netstandard"}, true},
		{[]string{"System.Runtime", "System.Console"}, false},
		{[]string{"System.Private.CoreLib"}, false},
		{[]string{"mscorlib", "System.Runtime"}, true}, // facades beside mscorlib are fine
	} {
		a := &Assembly{Name: "x"}
		for _, r := range tc.refs {
			a.References = append(a.References, Reference{Name: r})
		}
		if err := supported("x.exe", a); (err == nil) != tc.ok {
			t.Errorf("refs %v: %v", tc.refs, err)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	runtime := bytes.Repeat([]byte{0x7f}, 5000)
	entries := []Resource{
		{Kind: "assembly:app.exe", Data: []byte("MZapp")},
		{Kind: "assembly:mscorlib.dll", Data: bytes.Repeat([]byte("c"), 1001)},
		{Kind: "systemconfig:", Data: []byte(DefaultDllMap)},
		{Kind: "machineconfig:", Data: []byte("<configuration/>")},
	}
	var a, b bytes.Buffer
	if err := Write(&a, runtime, entries); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, runtime, entries); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same input, different bytes")
	}
	end, got, err := ReadResources(a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if end != payloadAlign || !bytes.Equal(a.Bytes()[:len(runtime)], runtime) {
		t.Errorf("payload starts at %d, want the runtime then padding to %d", end, payloadAlign)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries back", len(got))
	}
	for i := range entries {
		if got[i].Kind != entries[i].Kind || !bytes.Equal(got[i].Data, entries[i].Data) {
			t.Errorf("entry %d: %q", i, got[i].Kind)
		}
	}
	if !bytes.HasSuffix(a.Bytes(), []byte(bundleSignature)) {
		t.Error("no trailer")
	}
	if _, _, err := ReadResources(runtime); err == nil {
		t.Error("plain runtime read as a bundle")
	}
}

func TestLibraryClosureOfDebianMono(t *testing.T) {
	mono, err := filepath.EvalSymlinks("/usr/bin/mono")
	if err != nil {
		testenv.Tool(t, "mono")
	}
	libs, err := LibraryClosure([]string{mono, "libmono-native.so.0"}, GlibcLibDirs)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, l := range libs {
		paths = append(paths, l.Path)
	}
	got := strings.Join(paths, " ")
	for _, want := range []string{"/lib64/ld-linux-x86-64.so.2", "libc.so.6", "/usr/lib/libmono-native.so.0"} {
		if !strings.Contains(got, want) {
			t.Errorf("closure %s lacks %s", got, want)
		}
	}
	if _, err := LibraryClosure([]string{"libdoesnotexist.so.9"}, GlibcLibDirs); err == nil {
		t.Error("missing library accepted")
	}
}

func FuzzReadAssembly(f *testing.F) {
	for _, p := range []string{"/usr/lib/mono/4.5/Facades/System.Runtime.dll", "/usr/lib/mono/4.5/Mono.Posix.dll"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("MZ"))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadAssembly(b)
		if err == nil && a.Name == "" {
			t.Fatal("assembly without a name accepted")
		}
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error is not a FormatError: %v", err)
		}
	})
}
