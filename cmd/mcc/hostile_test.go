package main

import (
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/testenv"
)

// hostileCase is one thing a hostile (or careless) user does to mcc. Every
// case runs in a fresh directory (see hostileDir), with a fresh store.
type hostileCase struct {
	class int    // issue 9's class: 1 user files, 2 damaged input, 3 hangs, 6 errors
	name  string // what the user did
	mono  bool   // needs the assemblies (mcs) and a static runtime (gcc)
	args  []string
	code  int      // exit code
	want  []string // in the one line on stderr
}

// hostileCases pin how mcc answers each hostile input: the exit code and
// the one line saying what happened.
var hostileCases = []hostileCase{
	// 1: never destroy what mcc did not create.
	{1, "mkbundle -o is the program", true, []string{"mkbundle", "-o", "hello.exe", "hello.exe"}, 2, []string{"output hello.exe is also the input hello.exe", "give another -o"}},
	{1, "mkbundle -o is a hard link to the program", true, []string{"mkbundle", "-o", "hello-link", "hello.exe"}, 2, []string{"also the input hello.exe"}},
	{1, "mkbundle -o is a library the program references", true, []string{"mkbundle", "-o", "Lib.dll", "app.exe"}, 2, []string{"also the input", "Lib.dll"}},
	{1, "mkbundle -o is the runtime", true, []string{"mkbundle", "-o", "rt", "hello.exe"}, 2, []string{"also the input rt"}},
	{1, "mkbundle --image is the program", true, []string{"mkbundle", "-o", "out", "--image", "hello.exe", "hello.exe"}, 2, []string{"also the input hello.exe", "--image"}},
	{1, "mkbundle -o and --image are one file", true, []string{"mkbundle", "-o", "out", "--image", "./out", "hello.exe"}, 2, []string{"both name out"}},
	{1, "mkbundle -o is a directory", true, []string{"mkbundle", "-o", "dir", "hello.exe"}, 2, []string{"output dir is a directory", "-o"}},
	{1, "mkbundle -o under a file", true, []string{"mkbundle", "-o", "notes.txt/out", "hello.exe"}, 2, []string{"cannot write notes.txt/out", "writable directory"}},
	{1, "mkbundle over a good output, runtime not static", true, []string{"mkbundle", "-o", "good-output", "--runtime", "dynamic", "hello.exe"}, 2, []string{"--runtime dynamic has an interpreter", "static Mono runtime"}},
	// The image step fails after the bundle is made (its CA roots are in no
	// mirror): the good output must still be the old one.
	{1, "mkbundle over a good output, image fails after bundling", true, []string{"mkbundle", "-o", "good-output", "--image", "img.tar", "hello.exe"}, 2, []string{"ca-roots"}},

	// 2: never trust a damaged or wrong input.
	{2, "verify a shared library", false, []string{"verify", "lib.so"}, 1, []string{"1 of 1 files are not static executables"}},
	{2, "mkbundle a truncated assembly", true, []string{"mkbundle", "-o", "out", "truncated.exe"}, 2, []string{"truncated.exe: is truncated", "section"}},

	// 3: never hang: special files are refused before they are opened.
	{3, "verify a FIFO", false, []string{"verify", "fifo"}, 2, []string{"fifo is a named pipe (FIFO), not a regular file"}},
	{3, "verify a socket", false, []string{"verify", "sock"}, 2, []string{"sock is a socket"}},
	{3, "verify a device", false, []string{"verify", "/dev/zero"}, 2, []string{"/dev/zero is a character device"}},
	{3, "mirror add a FIFO", false, []string{"mirror", "add", "--dir", "m", "fifo"}, 2, []string{"fifo is a named pipe"}},
	{3, "mkbundle a FIFO program", true, []string{"mkbundle", "-o", "out", "fifo"}, 2, []string{"fifo is a named pipe"}},
	{3, "mkbundle a FIFO extra assembly", true, []string{"mkbundle", "-o", "out", "hello.exe", "fifo"}, 2, []string{"fifo is a named pipe"}},
	{3, "mkbundle a FIFO runtime", true, []string{"mkbundle", "-o", "out", "--runtime", "fifo", "hello.exe"}, 2, []string{"--runtime: fifo is a named pipe"}},
	{3, "mkbundle a FIFO machine.config", true, []string{"mkbundle", "-o", "out", "--machine-config", "fifo", "hello.exe"}, 2, []string{"--machine-config: fifo is a named pipe"}},

	// 6: errors say what happened.
	{6, "env with a stray argument", false, []string{"env", "extra"}, 2, []string{"mcc: env takes no arguments, got \"extra\""}},
	{6, "version with a stray argument", false, []string{"version", "extra"}, 2, []string{"mcc: version takes no arguments"}},
	{6, "doctor with a stray argument", false, []string{"doctor", "extra"}, 2, []string{"mcc: doctor takes no arguments"}},
	{6, "verify a directory", false, []string{"verify", "dir"}, 2, []string{"dir is a directory, not a file", "dir/*"}},
	{6, "mirror add a directory", false, []string{"mirror", "add", "--dir", "m", "dir"}, 2, []string{"dir is a directory"}},
	{6, "mkbundle a directory", true, []string{"mkbundle", "-o", "out", "dir"}, 2, []string{"dir is a directory"}},
	{6, "Mono runtime for a target without a recipe", false, []string{"--target", "linux/arm/v7", "toolchain", "install", "--mono"}, 2, []string{"no static Mono runtime recipe for linux/arm/v7", "linux/amd64"}},
}

// TestHostileInputs is issue 9's adversarial suite for the commands other
// than image (TestImageNeverDestroysUserFiles): each case exits with its
// code and one line on stderr, within a time limit (nothing blocks), and
// leaves every file in its directory as it was, nothing in the store's
// temp dir, and no process behind.
func TestHostileInputs(t *testing.T) {
	t.Setenv("MCC_MIRROR", "")
	t.Setenv("MCC_MIRROR_DIR", t.TempDir())
	var mono *monoFixture
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			if c.mono && mono == nil {
				mono = newMonoFixture(t)
			}
			d := hostileDir(t, mono)
			t.Chdir(d)
			cache := t.TempDir()
			cmd := c.args
			if cmd[0] == "mkbundle" {
				cmd = mono.args(cmd[1:])
			}
			args := append([]string{"--offline", "--cache", cache, "--mirror", "file://" + t.TempDir()}, cmd...)
			before := snapshot(t, d)
			code, stderr := mccWithin(t, time.Minute, args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			assertOneLine(t, stderr, c.want...)
			if after := snapshot(t, d); !maps.Equal(before, after) {
				t.Errorf("the run changed its directory:\nbefore %v\nafter  %v", before, after)
			}
			if left, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(left) > 0 {
				t.Errorf("left in the store's temp dir: %v", left)
			}
			if kids := children(t); kids != "" {
				t.Errorf("processes of the run survive it: %s", kids)
			}
		})
	}
}

// assertOneLine checks that stderr is one "mcc: ..." line saying each of
// want.
func assertOneLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "mcc: ") {
		t.Errorf("stderr is not one 'mcc: ...' line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not say %q", stderr, w)
		}
	}
}

// hostileDir makes a case's directory: a FIFO, a socket, a directory, a
// text file, a shared library, and with mono the programs and runtimes of
// the mkbundle cases.
func hostileDir(t *testing.T, mono *monoFixture) string {
	t.Helper()
	d := t.TempDir()
	mkfile(t, d, "notes.txt", "mine")
	mkfile(t, d, "good-output", "a good bundle from yesterday")
	os.Mkdir(filepath.Join(d, "dir"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(d, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(d, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	gcc := testenv.Tool(t, "gcc")
	mkfile(t, d, "lib.c", "int f(void) { return 1; }\n")
	if out, err := exec.Command(gcc, "-shared", "-fPIC", "-o", filepath.Join(d, "lib.so"), filepath.Join(d, "lib.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc -shared: %v\n%s", err, out)
	}
	if mono != nil {
		mono.copyInto(t, d)
	}
	return d
}

// monoFixture holds what the mkbundle cases bundle: built once per test.
type monoFixture struct {
	files map[string][]byte
}

func newMonoFixture(t *testing.T) *monoFixture {
	t.Helper()
	src := t.TempDir()
	hello := mkbCompile(t, src, "hello.exe", `class P { static void Main() { System.Console.WriteLine("hi"); } }`)
	lib := mkbCompile(t, src, "Lib.dll", `public class Lib { public static int N() { return 1; } }`, "-target:library")
	app := mkbCompile(t, src, "app.exe", `class P { static void Main() { System.Console.WriteLine(Lib.N()); } }`, "-r:"+lib)
	gcc := testenv.Tool(t, "gcc")
	mkfile(t, src, "rt.c", "int main(void) { return 0; }\n")
	rt, dyn := filepath.Join(src, "rt"), filepath.Join(src, "dynamic")
	for _, b := range [][]string{{"-static", "-o", rt}, {"-o", dyn}} {
		if out, err := exec.Command(gcc, append(b, filepath.Join(src, "rt.c"))...).CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", b, err, out)
		}
	}
	m := &monoFixture{files: map[string][]byte{}}
	for name, p := range map[string]string{"hello.exe": hello, "Lib.dll": lib, "app.exe": app, "rt": rt, "dynamic": dyn} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m.files[name] = b
	}
	m.files["truncated.exe"] = m.files["hello.exe"][:len(m.files["hello.exe"])-100]
	return m
}

func (m *monoFixture) copyInto(t *testing.T, d string) {
	t.Helper()
	for name, b := range m.files {
		if err := os.WriteFile(filepath.Join(d, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(d, "hello.exe"), filepath.Join(d, "hello-link")); err != nil {
		t.Fatal(err)
	}
}

// args gives mkbundle the fixture's static runtime (no Mono build) and
// Debian's class libraries, unless the case names its own.
func (m *monoFixture) args(a []string) []string {
	out := []string{"mkbundle", "--lib", "/usr/lib/mono/4.5"}
	if !strings.Contains(strings.Join(a, " "), "--runtime") {
		out = append(out, "--runtime", "rt")
	}
	return append(out, a...)
}

// children lists the live child processes of this test binary (in-process
// runs of mcc start their children here).
func children(t *testing.T) string {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var kids []string
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		kids = append(kids, strings.Fields(string(b))...)
	}
	return strings.Join(kids, " ")
}

// TestMkbundleReplacesOnlyOnSuccess: a good run replaces an existing
// output in one rename and leaves nothing beside it.
func TestMkbundleReplacesOnlyOnSuccess(t *testing.T) {
	mono := newMonoFixture(t)
	d := t.TempDir()
	mono.copyInto(t, d)
	mkfile(t, d, "good-output", "a good bundle from yesterday")
	t.Chdir(d)
	before, _ := os.ReadDir(d)
	code, stderr := mccWithin(t, time.Minute, mono.args([]string{"-o", "good-output", "hello.exe"})...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile("good-output")
	if !strings.HasSuffix(string(b), "xmonkeysloveplay") {
		t.Errorf("good-output is not the new bundle (%d bytes)", len(b))
	}
	if after, _ := os.ReadDir(d); len(after) != len(before) {
		t.Errorf("the run left files beside its output: %v", after)
	}
}
