package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mcc-build/mcc/internal/testenv"
)

// mkbMcc runs the mcc CLI in-process.
func mkbMcc(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

// mkbExamples compiles examples/mono/*.cs with Debian's mcs into a temp dir.
func mkbExamples(t *testing.T, names ...string) string {
	t.Helper()
	mcs := testenv.Tool(t, "mcs")
	dir := t.TempDir()
	for _, n := range names {
		src, err := filepath.Abs(filepath.Join("..", "..", "examples", "mono", n+".cs"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(mcs, "-out:"+filepath.Join(dir, n+".exe"), "-r:System.Runtime.Serialization.dll", "-r:System.Xml.Linq.dll", "-r:System.Xml.dll", src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mcs %s: %v\n%s", n, err, out)
		}
	}
	return dir
}

func mkbCompile(t *testing.T, dir, out, src string, args ...string) string {
	t.Helper()
	mcs := testenv.Tool(t, "mcs")
	cs := filepath.Join(dir, strings.TrimSuffix(out, filepath.Ext(out))+".cs")
	os.WriteFile(cs, []byte(src), 0o644)
	p := filepath.Join(dir, out)
	if b, err := exec.Command(mcs, append(append([]string{"-out:" + p}, args...), cs)...).CombinedOutput(); err != nil {
		t.Fatalf("mcs: %v\n%s", err, b)
	}
	return p
}

// TestMkbundleBadInput: every bad input is one line on stderr and exit 2,
// before any runtime is built.
func TestMkbundleBadInput(t *testing.T) {
	dir := t.TempDir()
	hello := mkbCompile(t, dir, "hello.exe", `class P { static void Main() { System.Console.WriteLine("hi"); } }`)
	text := filepath.Join(dir, "notes.exe")
	os.WriteFile(text, []byte("not a program\n"), 0o644)
	exe, _ := os.ReadFile(hello)
	corrupt := filepath.Join(dir, "corrupt.exe")
	os.WriteFile(corrupt, exe[:len(exe)/3], 0o644)
	core := mkbCompile(t, dir, "core.exe", `[assembly: System.Runtime.Versioning.TargetFramework(".NETCoreApp,Version=v3.1")]
class P { static void Main() {} }`)
	lib := mkbCompile(t, dir, "Lib.dll", `public class Lib { public static int N() { return 1; } }`, "-target:library")
	app := mkbCompile(t, dir, "app.exe", `class P { static void Main() { System.Console.WriteLine(Lib.N()); } }`, "-r:"+lib)
	os.Remove(lib)
	native, _ := exec.LookPath("true")
	pinv := mkbCompile(t, dir, "pinvoke.exe", mkbExampleSource(t, "pinvoke"))

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"text", []string{text}, "is not a .NET assembly"},
		{"native", []string{native}, "is a native ELF executable"},
		{"corrupt", []string{corrupt}, "corrupt"},
		{"netcore", []string{core}, "is a .NET Core/.NET 5+ assembly (it targets .NETCoreApp,Version=v3.1); mcc mkbundle supports .NET Framework 4.x"},
		{"missing-dependency", []string{app}, "assembly Lib (referenced by app.exe) not found"},
		{"missing-file", []string{filepath.Join(dir, "nope.exe")}, "no such file"},
		{"no-program", nil, "no program"},
		{"bad-libc", []string{"--libc", "bionic", hello}, "--libc"},
		{"missing-native-musl", []string{pinv}, `pinvoke.exe P/Invokes native library "greet", which a static musl bundle cannot load: link a static archive of it in with --native greet=libgreet.a (built for linux/amd64), or use --libc glibc`},
		{"missing-native-glibc", []string{"--libc", "glibc", pinv}, `pinvoke.exe P/Invokes native library "greet", found nowhere (looked for greet, greet.so, libgreet.so, greet.so.N, libgreet.so.N in pinvoke.exe's directory and /lib/x86_64-linux-gnu`},
		{"native-form", []string{"--native", "greet", pinv}, "--native \"greet\": give NAME=ARCHIVE.a"},
		{"native-not-archive", []string{"--native", "greet=" + text, pinv}, "--native greet: " + text + " is not a static archive"},
		{"native-missing-archive", []string{"--native", "greet=" + filepath.Join(dir, "libnope.a"), pinv}, "no such file"},
		{"native-glibc", []string{"--libc", "glibc", "--native", "greet=" + text, pinv}, "with --libc glibc native libraries are found by their [DllImport] names: drop --native"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := mkbMcc(t, append([]string{"--offline", "--cache", t.TempDir(), "mkbundle", "-o", filepath.Join(dir, "out")}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want one line with %q", stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Errorf("a refused run wrote %s", filepath.Join(dir, "out"))
			}
		})
	}
}

// mkbEnv is the store and mirror the integration tests share.
func mkbEnv(t *testing.T) []string {
	t.Helper()
	src := testenv.Sources(t)
	testenv.PinFile(t, "mono-source")
	testenv.PinFile(t, "kernel-headers-amd64")
	testenv.Tool(t, "unshare")
	return []string{"--offline", "--cache", testenv.Store(t), "--mirror", src}
}

// mkbRoot makes an empty root holding only the given files at /, /etc/hosts,
// an empty /tmp and a /proc mount point.
func mkbRoot(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"proc", "etc", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	os.WriteFile(filepath.Join(root, "etc", "hosts"), []byte(hostsFile), 0o644)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, filepath.Base(f)), b, 0o755)
	}
	return root
}

// mkbInRoot runs argv inside root with fresh mount and pid namespaces and
// /proc mounted; the network is the host's (servers bind 127.0.0.1).
func mkbInRoot(ctx context.Context, root string, argv ...string) *exec.Cmd {
	return mkbInRootAs(ctx, root, false, argv...)
}

// mkbInRootAs is mkbInRoot, as the images' nonroot user 65532 if nonroot.
func mkbInRootAs(ctx context.Context, root string, nonroot bool, argv ...string) *exec.Cmd {
	args := []string{"--mount", "--pid", "--fork", "--kill-child", "--root=" + root, "--mount-proc=/proc"}
	if nonroot {
		args = append(args, "--setuid=65532", "--setgid=65532")
	}
	args = append(args, argv...)
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = []string{"PATH=/"}
	return cmd
}

func TestMkbundleProgramsRunInEmptyRoot(t *testing.T) {
	env := mkbEnv(t)
	dir := mkbExamples(t, "hello", "features", "server")
	bundle := func(name string, extra ...string) string {
		t.Helper()
		out := filepath.Join(dir, name)
		args := append(append(append([]string{}, env...), "mkbundle", "-o", out), extra...)
		stdout, stderr, code := mkbMcc(t, append(args, filepath.Join(dir, name+".exe"))...)
		if code != 0 {
			t.Fatalf("mkbundle %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		return out
	}

	t.Run("hello", func(t *testing.T) {
		b := bundle("hello")
		out, err := mkbInRoot(context.Background(), mkbRoot(t, b), "/hello", "a", "b").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "hello from Mono 4.0.30319.42000 on Unix") || !strings.Contains(string(out), "args: a b") {
			t.Fatalf("hello in empty root: %v\n%s", err, out)
		}
	})
	t.Run("reproducible", func(t *testing.T) {
		a, _ := os.ReadFile(bundle("hello"))
		b, _ := os.ReadFile(bundle("hello"))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatal("two bundlings of hello differ")
		}
	})
	t.Run("features", func(t *testing.T) {
		b := bundle("features")
		out, err := mkbInRoot(context.Background(), mkbRoot(t, b), "/features").CombinedOutput()
		for _, want := range []string{"ok linq", "ok regex", "ok xml", "ok json", "ok tasks", "ok sha256", "ok deflate", "ok exceptions", "ok fileio", "all features ok"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("features in empty root lacks %q: %v\n%s", want, err, out)
			}
		}
	})
	t.Run("http", func(t *testing.T) {
		b := bundle("server")
		mkbServe(t, mkbRoot(t, b), false, "/server")
	})
	t.Run("glibc-image", func(t *testing.T) {
		testenv.Tool(t, "mono")
		img := filepath.Join(dir, "server-glibc.tar")
		bundle("server", "--libc", "glibc", "--image", img)
		root := mkbImageRoot(t, img)
		mkbServe(t, root, true, "/app/server")
	})
}

// mkbServe starts the HttpListener example in root, asks it with curl and
// stops it.
func mkbServe(t *testing.T, root string, nonroot bool, argv ...string) {
	t.Helper()
	curl := testenv.Tool(t, "curl")
	port := mkbFreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := mkbInRootAs(ctx, root, nonroot, append(argv, strconv.Itoa(port))...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	var body []byte
	var err error
	for i := 0; i < 100; i++ {
		body, err = exec.Command(curl, "-sS", "--max-time", "5", url+"/hello").Output()
		if err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || string(body) != "hello from a bundled Mono HttpListener: /hello\n" {
		t.Fatalf("curl: %v %q; server output:\n%s", err, body, out.String())
	}
	exec.Command(curl, "-sS", "--max-time", "5", url+"/quit").Run()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exit: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("server did not stop after /quit:\n%s", out.String())
	}
}

func mkbFreePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// mkbImageRoot unpacks a docker-archive's flattened file system into a
// fresh directory, with a /proc mount point.
func mkbImageRoot(t *testing.T, archive string) string {
	t.Helper()
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, os.FileMode(h.Mode)&os.ModePerm|0o700)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&os.ModePerm)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(f, tr)
			f.Close()
		case tar.TypeSymlink:
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.Symlink(h.Linkname, p)
		}
	}
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	return root
}

// TestMkbundleArm64UnderQemu bundles for linux/arm64 with the cross-built
// static runtime and runs the bundles in an empty root under qemu-user
// (copied into the root: it is static too).
func TestMkbundleArm64UnderQemu(t *testing.T) {
	env := mkbEnv(t)
	if _, err := os.Stat(testenv.PinFile(t, "kernel-headers-arm64")); err != nil {
		t.Fatal(err)
	}
	qemu := testenv.Tool(t, "qemu-aarch64-static")
	testenv.Tool(t, "aarch64-linux-gnu-g++") // Mono's configure probes C++
	dir := mkbExamples(t, "hello", "features", "server")
	for _, name := range []string{"hello", "features", "server"} {
		out := filepath.Join(dir, name+"-arm64")
		args := append(append([]string{}, env...), "--target", "linux/arm64", "mkbundle", "-o", out, filepath.Join(dir, name+".exe"))
		if stdout, stderr, code := mkbMcc(t, args...); code != 0 {
			t.Fatalf("mkbundle --target linux/arm64 %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		root := mkbRoot(t, out, qemu)
		if name == "server" {
			mkbServe(t, root, false, "/qemu-aarch64-static", "/server-arm64")
			continue
		}
		b, err := mkbInRoot(context.Background(), root, "/qemu-aarch64-static", "/"+name+"-arm64").CombinedOutput()
		want := map[string]string{"hello": "hello from Mono 4.0.30319.42000 on Unix", "features": "all features ok"}[name]
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s under qemu in an empty root: %v\n%s", name, err, b)
		}
	}
}

// mkbExampleSource reads examples/mono/NAME.cs.
func mkbExampleSource(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "mono", name+".cs"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mkbPodmanRun loads an image archive into a private podman store (vfs,
// runc: FACTS.md) and runs it without network, returning its output.
func mkbPodmanRun(t *testing.T, archive, tag string) string {
	t.Helper()
	podman := testenv.Tool(t, "podman")
	testenv.Tool(t, "runc")
	root, err := os.MkdirTemp("", "mcc-pm") // podman refuses a runroot over 50 characters
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	base := []string{"--root", filepath.Join(root, "storage"), "--runroot", filepath.Join(root, "run"), "--storage-driver", "vfs",
		"--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "none"}
	if out, err := exec.Command(podman, append(base, "load", "-q", "-i", archive)...).CombinedOutput(); err != nil {
		t.Fatalf("podman load %s: %v\n%s", archive, err, out)
	}
	t.Cleanup(func() { exec.Command(podman, append(base, "rmi", "-af")...).Run() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, podman, append(base, "run", "--rm", "--network=none",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", tag)...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman run %s: %v\n%s", tag, err, out)
	}
	return string(out)
}

// TestMkbundleNativesGlibcImage: programs P/Invoking native libraries run
// from their --libc glibc images, each library found through the
// assembly's ModuleRef table and a dllmap, nothing listed by hand.
func TestMkbundleNativesGlibcImage(t *testing.T) {
	env := []string{"--offline", "--cache", testenv.Store(t), "--mirror", testenv.Sources(t)}
	testenv.Tool(t, "mono")
	gcc := testenv.Tool(t, "gcc")
	dir := t.TempDir()
	bundle := func(name string, extra ...string) (string, string) {
		t.Helper()
		img := filepath.Join(dir, name+".tar")
		args := append(append(append([]string{}, env...), "mkbundle", "--libc", "glibc", "-o", filepath.Join(dir, name), "--image", img), extra...)
		stdout, stderr, code := mkbMcc(t, append(args, filepath.Join(dir, name+".exe"))...)
		if code != 0 {
			t.Fatalf("mkbundle --libc glibc %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		return img, stderr
	}
	t.Run("own-library", func(t *testing.T) {
		// The library lies beside the app under its SONAME, and the app's
		// .config maps the [DllImport] name to it, as a packaged app does.
		src, _ := filepath.Abs(filepath.Join("..", "..", "examples", "mono", "libgreet.c"))
		if out, err := exec.Command(gcc, "-shared", "-fPIC", "-O2", "-Wl,-soname,libgreet.so.1", "-o", filepath.Join(dir, "libgreet.so.1"), src).CombinedOutput(); err != nil {
			t.Fatalf("gcc: %v\n%s", err, out)
		}
		mkbCompile(t, dir, "pinvoke.exe", mkbExampleSource(t, "pinvoke"))
		os.WriteFile(filepath.Join(dir, "pinvoke.exe.config"), []byte(`<configuration><dllmap dll="greet" target="libgreet.so.1" os="!windows"/></configuration>`), 0o644)
		img, _ := bundle("pinvoke")
		got := mkbPodmanRun(t, img, "pinvoke:latest")
		if want := "greet_add(2, 40) = 42\nhello from libgreet\n"; got != want {
			t.Fatalf("pinvoke image printed %q, want %q", got, want)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		if _, err := os.Stat("/usr/lib/mono/4.5/Mono.Data.Sqlite.dll"); err != nil {
			t.Skip("Mono.Data.Sqlite missing: apt-get install libmono-sqlite4.0-cil libsqlite3-0")
		}
		mkbCompile(t, dir, "sqlite.exe", mkbExampleSource(t, "sqlite"), "-r:Mono.Data.Sqlite.dll", "-r:System.Data.dll")
		img, _ := bundle("sqlite")
		got := mkbPodmanRun(t, img, "sqlite:latest")
		if !strings.HasPrefix(got, "sqlite 3.") || !strings.HasSuffix(got, ": 3 pets, 6 legs\n") {
			t.Fatalf("sqlite image printed %q, want the SQLite version and 3 pets, 6 legs", got)
		}
		if st, err := os.Stat(img); err == nil {
			t.Logf("sqlite image archive: %d bytes", st.Size())
		}
		args := append(append([]string{"--json"}, env...), "mkbundle", "--libc", "glibc", "-o", filepath.Join(dir, "sqlite-json"), filepath.Join(dir, "sqlite.exe"))
		stdout, stderr, code := mkbMcc(t, args...)
		if code != 0 || !strings.Contains(stdout, `"natives": [`) || !strings.Contains(stdout, `/libsqlite3.so.0"`) {
			t.Fatalf("mkbundle --json: exit %d, want natives listing libsqlite3.so.0:\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("allow-missing", func(t *testing.T) {
		lone := t.TempDir()
		exe := mkbCompile(t, lone, "pinvoke.exe", mkbExampleSource(t, "pinvoke"))
		args := append(append([]string{}, env...), "mkbundle", "--libc", "glibc", "--allow-missing-native", "-o", filepath.Join(lone, "out"), exe)
		_, stderr, code := mkbMcc(t, args...)
		if code != 0 || !strings.Contains(stderr, `warning: pinvoke.exe P/Invokes native library "greet", found nowhere`) {
			t.Fatalf("--allow-missing-native: exit %d, stderr %q; want 0 and a warning", code, stderr)
		}
	})
}

// TestMkbundleNativeStatic: a program P/Invoking a C library runs as a
// static musl bundle in an empty root, the library's archive (built with
// mcc's musl C compiler) linked into a runtime made for it by --native.
func TestMkbundleNativeStatic(t *testing.T) {
	env := mkbEnv(t)
	ar := testenv.Tool(t, "ar")
	dir := t.TempDir()
	stdout, stderr, code := mkbMcc(t, append(append([]string{}, env...), "env")...)
	cc := ""
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "export CC="); ok {
			cc = strings.Trim(v, "'")
		}
	}
	if code != 0 || cc == "" {
		t.Fatalf("mcc env: exit %d, no CC\n%s%s", code, stdout, stderr)
	}
	src, _ := filepath.Abs(filepath.Join("..", "..", "examples", "mono", "libgreet.c"))
	obj, lib := filepath.Join(dir, "greet.o"), filepath.Join(dir, "libgreet.a")
	for _, argv := range [][]string{{cc, "-O2", "-c", "-o", obj, src}, {ar, "rcs", lib, obj}} {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	exe := mkbCompile(t, dir, "pinvoke.exe", mkbExampleSource(t, "pinvoke"))
	out := filepath.Join(dir, "pinvoke")
	t.Chdir(dir) // the archive named relative to here, as a user types it
	args := append(append([]string{}, env...), "mkbundle", "--native", "greet=libgreet.a", "-o", out, exe)
	if stdout, stderr, code := mkbMcc(t, args...); code != 0 {
		t.Fatalf("mkbundle --native: exit %d\n%s%s", code, stdout, stderr)
	}
	got, err := mkbInRoot(context.Background(), mkbRoot(t, out), "/pinvoke").CombinedOutput()
	if want := "greet_add(2, 40) = 42\nhello from libgreet\n"; err != nil || string(got) != want {
		t.Fatalf("pinvoke in an empty root: %v, printed %q, want %q", err, got, want)
	}
}

// TestImageLibraryPlacement: a native found in a system library directory
// keeps its path in the glibc image (its own DT_NEEDED are looked up
// there); one found beside the app goes to /app/lib, whatever the build
// directory, so the image does not depend on it.
func TestImageLibraryPlacement(t *testing.T) {
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	if _, err := os.Stat(libc); err != nil {
		t.Skip("not a Debian amd64 system")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "libgreet.so.1.0")
	os.WriteFile(real, []byte("x"), 0o755)
	os.Symlink("libgreet.so.1.0", filepath.Join(dir, "libgreet.so.1"))
	for _, tc := range []struct{ file, path, source string }{
		{libc, libc, ""},
		{filepath.Join(dir, "libgreet.so.1"), "/app/lib/libgreet.so.1", real},
	} {
		got, err := imageLibrary(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if got.Path != tc.path || (tc.source != "" && got.Source != tc.source) || !filepath.IsAbs(got.Source) {
			t.Errorf("imageLibrary(%s) = %+v, want path %s, source %s", tc.file, got, tc.path, tc.source)
		}
	}
}
