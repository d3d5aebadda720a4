package mkbundle

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

// fakeEnv records what a job asked of the rest of mcc.
type fakeEnv struct {
	target    Target
	targetErr error
	runtime   string // what Runtime returns
	natives   []NativeArchive
	runtimes  int // Runtime calls
	image     *ImageRequest
	imageErr  error
}

func (e *fakeEnv) Target() (Target, error) { return e.target, e.targetErr }

func (e *fakeEnv) Runtime(_ context.Context, _ Target, natives []NativeArchive) (string, error) {
	e.runtimes++
	e.natives = natives
	return e.runtime, nil
}

func (e *fakeEnv) WriteImage(_ context.Context, r ImageRequest) (string, error) {
	e.image = &r
	if e.imageErr != nil {
		return "", e.imageErr
	}
	return "sha256:fake", nil
}

var amd64 = Target{Name: "linux/amd64", Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Native: true}

const pinvokeCS = `using System.Runtime.InteropServices;
class P { [DllImport("greet")] static extern int greet(); static void Main() { System.Console.WriteLine(greet()); } }`

// staticRuntime is a static executable of this machine to stand in for
// mcc's Mono runtime: Debian's ldconfig is static-pie.
func staticRuntime(t *testing.T) string {
	t.Helper()
	const p = "/sbin/ldconfig"
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s missing: not a Debian system", p)
	}
	return p
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMakeRefusesBadInput: every bad input is bad input (exit 2), found
// before any runtime is asked for and before any output is written.
func TestMakeRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	hello := compile(t, dir, "hello.exe", helloCS)
	pinv := compile(t, dir, "pinvoke.exe", pinvokeCS)
	text := writeFile(t, dir, "notes.txt", "not an archive\n")
	short := writeFile(t, dir, "short.a", "!<a")
	// An ar header promising 100 bytes of a member that are not there.
	truncated := writeFile(t, dir, "truncated.a", "!<arch>\ngreet.o/        0           0     0     644     100       `\nab")
	archive := writeFile(t, dir, "libgreet.a", "!<arch>\n")
	out := filepath.Join(dir, "out")
	mono, err := filepath.EvalSymlinks("/usr/bin/mono")
	if err != nil {
		t.Skip("/usr/bin/mono missing: apt-get install mono-runtime")
	}
	arm64 := Target{Name: "linux/arm64", Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64}

	for _, tc := range []struct {
		name   string
		job    func(j *Job)
		target Target
		want   string
	}{
		{"no program", func(j *Job) { j.Files = nil }, amd64, "mcc mkbundle: no program: give app.exe (see mcc mkbundle --help)"},
		{"bad libc", func(j *Job) { j.Libc = "bionic" }, amd64, `mcc mkbundle: --libc "bionic": use musl or glibc`},
		{"ca-file without image", func(j *Job) { j.CAFiles = []string{text} }, amd64, "mcc mkbundle: --ca-file adds to an image's trust store: give --image OUT.tar too"},
		{"output is image", func(j *Job) { j.Image = out }, amd64, "-o and --image both name " + out + ": give the image its own file, like " + out + ".tar"},
		{"output is input", func(j *Job) { j.Output = hello }, amd64, "is also the input"},
		{"image is output dir", func(j *Job) { j.Image = dir }, amd64, "is a directory"},
		{"missing runtime", func(j *Job) { j.Runtime = filepath.Join(dir, "nope") }, amd64, "--runtime"},
		{"dynamic runtime", func(j *Job) { j.Runtime = mono }, amd64, "a musl bundle needs a static Mono runtime for linux/amd64: drop --runtime to use mcc's, or use --libc glibc"},
		{"glibc foreign target", func(j *Job) { j.Libc = "glibc" }, arm64, "mcc mkbundle: --libc glibc bundles this machine's Debian Mono, so it cannot target linux/arm64: drop --libc glibc to use the static musl runtime"},
		{"native form", func(j *Job) { j.Natives = []string{"greet"} }, amd64, `mcc mkbundle: --native "greet": give NAME=ARCHIVE.a`},
		{"native empty name", func(j *Job) { j.Natives = []string{"=" + archive} }, amd64, "give NAME=ARCHIVE.a"},
		{"native twice", func(j *Job) { j.Natives = []string{"greet=" + archive, "greet=" + archive} }, amd64, "mcc mkbundle: --native greet given twice: give each library once"},
		{"native with runtime", func(j *Job) { j.Natives = []string{"greet=" + archive}; j.Runtime = mono }, amd64, "mcc mkbundle: --native links into mcc's static runtime, and --runtime gives another: drop one"},
		{"native not archive", func(j *Job) { j.Natives = []string{"greet=" + text} }, amd64, "--native greet: " + text + " is not a static archive: give a static library (ar archive of .o files, e.g. built with 'ar rcs libgreet.a greet.o')"},
		{"native shorter than magic", func(j *Job) { j.Natives = []string{"greet=" + short} }, amd64, "--native greet: " + short + " is not a static archive"},
		{"native truncated", func(j *Job) { j.Natives = []string{"greet=" + truncated} }, amd64, "--native greet: " + truncated + " is not a static archive"},
		{"native missing archive", func(j *Job) { j.Natives = []string{"greet=" + filepath.Join(dir, "libnope.a")} }, amd64, "no such file"},
		{"native with glibc", func(j *Job) { j.Libc = "glibc"; j.Natives = []string{"greet=" + archive} }, amd64, "with --libc glibc native libraries are found by their [DllImport] names: drop --native"},
		{"missing native musl", func(j *Job) { j.Files = []string{pinv} }, amd64, `pinvoke.exe P/Invokes native library "greet", which a static musl bundle cannot load: link a static archive of it in with --native greet=libgreet.a (built for linux/amd64), or use --libc glibc, or pass --allow-missing-native`},
		{"missing native glibc", func(j *Job) { j.Files = []string{pinv}; j.Libc = "glibc" }, amd64, `pinvoke.exe P/Invokes native library "greet", found nowhere (looked for greet, greet.so, libgreet.so, greet.so.N, libgreet.so.N in pinvoke.exe's directory and /lib/x86_64-linux-gnu`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &fakeEnv{target: tc.target, runtime: staticRuntime(t)}
			j := Job{Files: []string{hello}, Output: out, Libc: "musl", Env: env}
			tc.job(&j)
			_, err := Make(context.Background(), j)
			if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want bad input saying %q", err, tc.want)
			}
			if env.runtimes != 0 {
				t.Errorf("a refused job asked for a runtime")
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused job wrote %s", out)
			}
		})
	}
}

// TestMakeTargetError: the target's error is returned as it is.
func TestMakeTargetError(t *testing.T) {
	dir := t.TempDir()
	hello := compile(t, dir, "hello.exe", helloCS)
	want := badinput.Errorf("unknown target linux/z80")
	_, err := Make(context.Background(), Job{Files: []string{hello}, Libc: "musl", Output: filepath.Join(dir, "out"), Env: &fakeEnv{targetErr: want}})
	if !errors.Is(err, want) {
		t.Errorf("err %v, want %v", err, want)
	}
}

// TestMakeMusl: a bundle is the runtime with every assembly and the
// configs appended; the runtime is the user's or the Env's, with the
// --native archives it was asked to link.
func TestMakeMusl(t *testing.T) {
	dir := t.TempDir()
	rt := staticRuntime(t)
	hello := compile(t, dir, "hello.exe", helloCS)
	pinv := compile(t, dir, "pinvoke.exe", pinvokeCS)
	writeFile(t, dir, "libgreet.a", "!<arch>\n")
	writeFile(t, dir, "libextra.a", "!<arch>\n")
	t.Chdir(dir) // --native archives given relative are made absolute
	abs := func(name string) string { return filepath.Join(dir, name) }

	for _, tc := range []struct {
		name         string
		job          Job
		envRuntime   bool            // the Env's runtime, not the user's
		wantNatives  []NativeArchive // what the Env was asked to link
		wantSummary  []string
		wantWarnings string
	}{
		{name: "user runtime", job: Job{Files: []string{hello}, Runtime: rt}},
		{name: "mcc's runtime", job: Job{Files: []string{hello}}, envRuntime: true},
		{
			name:        "natives",
			job:         Job{Files: []string{pinv}, Natives: []string{"libgreet.so=libgreet.a", "extra=libextra.a"}},
			envRuntime:  true,
			wantNatives: []NativeArchive{{"libgreet.so", abs("libgreet.a")}, {"extra", abs("libextra.a")}},
			wantSummary: []string{"libgreet.so=" + abs("libgreet.a"), "extra=" + abs("libextra.a")},
			// extra answers no [DllImport]: linked in all the same.
			wantWarnings: "mcc mkbundle: warning: --native extra: no bundled assembly P/Invokes \"extra\"; linked in anyway\n",
		},
		{
			name:         "allow missing",
			job:          Job{Files: []string{pinv}, AllowMissing: true},
			envRuntime:   true,
			wantWarnings: "mcc mkbundle: warning: pinvoke.exe P/Invokes native library \"greet\", which a static musl bundle cannot load: link a static archive of it in with --native greet=libgreet.a (built for linux/amd64), or use --libc glibc\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &fakeEnv{target: amd64, runtime: rt}
			var warn bytes.Buffer
			j := tc.job
			j.Libc, j.Env, j.Warnings = "musl", env, &warn
			j.Output = filepath.Join(t.TempDir(), "app")
			s, err := Make(context.Background(), j)
			if err != nil {
				t.Fatal(err)
			}
			if (env.runtimes == 1) != tc.envRuntime || env.runtimes > 1 || !slices.Equal(env.natives, tc.wantNatives) {
				t.Errorf("Env.Runtime called %d times with %v, want %v", env.runtimes, env.natives, tc.wantNatives)
			}
			if warn.String() != tc.wantWarnings {
				t.Errorf("warnings %q, want %q", warn.String(), tc.wantWarnings)
			}
			checkBundleFile(t, s, j.Output, rt)
			if s.Libc != "musl" || s.Runtime != rt || s.Image != "" || env.image != nil || !slices.Equal(s.Natives, tc.wantSummary) {
				t.Errorf("summary %+v (image request %v), want musl, runtime %s, natives %v, no image", s, env.image, rt, tc.wantSummary)
			}
		})
	}
}

// checkBundleFile checks the bundle at out is what s says: rt, then the
// assemblies s lists, the first being the app.
func checkBundleFile(t *testing.T, s *Summary, out, rt string) {
	t.Helper()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(rt)
	end, entries, err := ReadResources(b)
	// The runtime is padded to the entries' alignment.
	if err != nil || end < len(want) || end-len(want) >= 4096 || !bytes.Equal(b[:len(want)], want) {
		t.Fatalf("bundle: runtime ends at %d (err %v), want the %d bytes of %s, padded", end, err, len(want), rt)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutPrefix(e.Kind, "assembly:"); ok {
			names = append(names, n)
		}
	}
	if s.Output != out || s.Size != int64(len(b)) || !slices.Equal(names, s.Assemblies) || !slices.Contains(names, "mscorlib.dll") {
		t.Errorf("summary %s %d bytes %v; bundle %s %d bytes %v", s.Output, s.Size, s.Assemblies, out, len(b), names)
	}
}

// TestMakeGlibcImage: a glibc bundle's image carries /etc/hosts, the
// runtime's libraries and the app's native, which the dllmap points at.
func TestMakeGlibcImage(t *testing.T) {
	if _, err := os.Stat("/usr/bin/mono"); err != nil {
		t.Skip("/usr/bin/mono missing: apt-get install mono-runtime")
	}
	dir := t.TempDir()
	pinv := compile(t, dir, "pinvoke.exe", pinvokeCS)
	// Any shared library of this machine stands in for the app's own.
	lib, err := ImageLibrary("/lib/x86_64-linux-gnu/libz.so.1")
	if err != nil {
		t.Skip("libz.so.1 missing: not a Debian amd64 system")
	}
	so, _ := os.ReadFile(lib.Source)
	writeFile(t, dir, "libgreet.so", string(so))
	env := &fakeEnv{target: amd64}
	out := filepath.Join(dir, "app")
	s, err := Make(context.Background(), Job{Files: []string{pinv}, Output: out, Image: out + ".tar", Libc: "glibc", Env: env})
	if err != nil {
		t.Fatal(err)
	}
	r := env.image
	if r == nil || r.Archive != out+".tar" || !r.AllowDynamic || filepath.Base(r.Bundle) != "app" || s.Digest != "sha256:fake" || s.Image != out+".tar" {
		t.Fatalf("image request %+v, summary %+v", r, s)
	}
	if r.Files[0].Path != "/etc/hosts" || string(r.Files[0].Data) != HostsFile {
		t.Errorf("first image file %+v, want /etc/hosts", r.Files[0])
	}
	paths := map[string]string{}
	for _, f := range r.Files[1:] {
		paths[f.Path] = f.Source
	}
	for _, want := range []string{"/app/lib/libgreet.so", "/usr/lib/libmono-native.so.0", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if _, ok := paths[want]; !ok {
			t.Errorf("image lacks %s: %v", want, paths)
		}
	}
	if paths["/app/lib/libgreet.so"] != filepath.Join(dir, "libgreet.so") || !slices.Equal(s.Natives, []string{"/app/lib/libgreet.so"}) {
		t.Errorf("native source %s, summary natives %v", paths["/app/lib/libgreet.so"], s.Natives)
	}
	b, _ := os.ReadFile(out)
	if !bytes.Contains(b, []byte(`<dllmap dll="greet" target="/app/lib/libgreet.so"`)) {
		t.Errorf("the bundle's dllmap does not point greet at /app/lib/libgreet.so")
	}
}

// TestMakeImageFailureKeepsOutput: a failed image leaves an existing
// output as it was.
func TestMakeImageFailureKeepsOutput(t *testing.T) {
	dir := t.TempDir()
	hello := compile(t, dir, "hello.exe", helloCS)
	out := writeFile(t, dir, "app", "old")
	env := &fakeEnv{target: amd64, imageErr: errors.New("disk full")}
	_, err := Make(context.Background(), Job{Files: []string{hello}, Output: out, Image: out + ".tar", Libc: "musl", Runtime: staticRuntime(t), Env: env})
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err %v, want the image's", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("output is %d bytes, want the old 3", len(b))
	}
	if env.image == nil || env.image.AllowDynamic || len(env.image.Files) != 1 {
		t.Errorf("musl image request %+v, want /etc/hosts only", env.image)
	}
}

func TestDefaultOutput(t *testing.T) {
	for in, want := range map[string]string{
		"hello.exe":        "hello",
		"dir/app.exe":      "app",
		"app":              "app.bundle",
		"v1.2/app":         "app.bundle",
		"/x/Server.Io.exe": "Server.Io",
	} {
		if got := DefaultOutput(in); got != want {
			t.Errorf("DefaultOutput(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummaryText(t *testing.T) {
	s := &Summary{Output: "app", Size: 42, Libc: "musl", Assemblies: []string{"app.exe", "mscorlib.dll"}}
	want := "wrote app (42 bytes, 2 assemblies, musl runtime)\n"
	if got := s.Text(); got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	s.Image, s.Digest = "app.tar", "sha256:ab"
	want += "wrote app.tar (sha256:ab; podman load -i app.tar)\n"
	if got := s.Text(); got != want {
		t.Errorf("with image, Text() = %q, want %q", got, want)
	}
}
