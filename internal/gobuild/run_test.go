package gobuild

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
)

func TestExecName(t *testing.T) {
	tests := []struct {
		importPath string
		rest       []string
		want       string
	}{
		{"example.com/app", []string{"."}, "app"},
		{"example.com/app/cmd/tool", []string{"./cmd/tool"}, "tool"},
		{"example.com/app/v2", []string{"."}, "app"},           // major version suffix skipped
		{"example.com/app/v2/cmd/x", []string{"./cmd/x"}, "x"}, // only a last element is a version
		{"example.com/app/v1", []string{"."}, "v1"},            // v1 is no major-version suffix
		{"example.com/app/v10", []string{"."}, "app"},
		{"example.com/app/v01", []string{"."}, "v01"},                      // not a version
		{"v2", []string{"."}, "v2"},                                        // the whole path                      // two digits
		{"command-line-arguments", []string{"main.go", "util.go"}, "main"}, // files: the first file
		{"command-line-arguments", []string{"--", "./cmd/x/run.go"}, "run"},
		{"example.com/app", []string{"--", "./app"}, "app"},
	}
	for _, tt := range tests {
		if got := ExecName(tt.importPath, tt.rest); got != tt.want {
			t.Errorf("ExecName(%q, %q) = %q, want %q", tt.importPath, tt.rest, got, tt.want)
		}
	}
}

func TestNeedsList(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "bin"), 0o755)
	os.MkdirAll(filepath.Join(dir, "sub", "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "old"), []byte("x"), 0o644)
	tests := []struct {
		verb string
		args []string
		want bool
	}{
		{"install", []string{"./..."}, true},
		{"build", []string{"."}, true},                   // which packages are commands?
		{"build", []string{"-o", "app", "."}, false},     // the file named
		{"build", []string{"-o=app", "."}, false},        // = form
		{"build", []string{"--o", "app", "."}, false},    // -- form
		{"build", []string{"--o=old", "."}, false},       // an existing file is replaced
		{"build", []string{"-o", "bin", "./..."}, true},  // an existing directory: one binary per command
		{"build", []string{"-o", "new/", "./..."}, true}, // a trailing slash: a directory go creates
		{"build", []string{"-o", filepath.Join(dir, "bin"), "."}, true},
		{"build", []string{"-v", "-buildmode=exe", "-o", "app", "."}, false},
		{"test", []string{"./..."}, false},      // test binaries are removed
		{"test", []string{"-c", "./..."}, true}, // NAME.test for each package with tests
		{"test", []string{"-c=false", "./..."}, false},
		{"test", []string{"-c", "-o", "x.test", "."}, false},
		{"test", []string{"-o=bin", "./..."}, true}, // kept, in a directory
		{"test", []string{"-o", "new/", "./..."}, true},
		{"build", []string{"-C", "sub", "-o", "bin", "."}, true}, // -o is in -C's directory
		{"run", []string{"."}, false},
		{"vet", []string{"./..."}, false},
	}
	for _, tt := range tests {
		if got := needsList(Options{Verb: tt.verb, Args: tt.args, Dir: dir}); got != tt.want {
			t.Errorf("needsList(go %s %q) = %v, want %v", tt.verb, tt.args, got, tt.want)
		}
	}
}

// TestOutputs is one table of every go flag form that names outputs; it
// runs past 60 lines because the table is the test (one row per form).
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "bin"), 0o755)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Mkdir(filepath.Join(dir, "sub", "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "app.test"), nil, 0o755) // go test -c -o app.test wrote it
	cmd := func(ip string) listedPkg {
		return listedPkg{importPath: ip, target: "/gobin/" + filepath.Base(ip), main: true}
	}
	lib := listedPkg{name: "lib", importPath: "example.com/app/lib"}
	tested := func(p listedPkg) listedPkg { p.tests = true; return p }
	at := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	tests := []struct {
		name string
		verb string
		args []string
		pkgs []listedPkg
		want []string
	}{
		{"one command", "build", []string{"."}, []listedPkg{cmd("example.com/app")}, []string{at("app")}},
		{"no arguments", "build", nil, []listedPkg{cmd("example.com/app")}, []string{at("app")}},
		{"major version", "build", []string{"."}, []listedPkg{cmd("example.com/app/v3")}, []string{at("app")}},
		{"./... matching one command", "build", []string{"./..."}, []listedPkg{cmd("example.com/app/cmd/x")}, []string{at("x")}},
		{"./... matching a command and a library", "build", []string{"./..."}, []listedPkg{cmd("example.com/app"), lib}, nil},
		{"two commands", "build", []string{"./cmd/a", "./cmd/b"}, []listedPkg{cmd("example.com/app/cmd/a"), cmd("example.com/app/cmd/b")}, nil},
		{"a library", "build", []string{"./lib"}, []listedPkg{lib}, nil},
		{"files", "build", []string{"main.go", "util.go"}, []listedPkg{cmd("command-line-arguments")}, []string{at("main")}},
		{"-o file", "build", []string{"-o", "out/app", "."}, nil, []string{at("out/app")}},
		{"-o=file", "build", []string{"-o=app", "./cmd/x"}, nil, []string{at("app")}},
		{"--o file", "build", []string{"--o", "app", "."}, nil, []string{at("app")}},
		{"-o absolute", "build", []string{"-o", "/abs/app", "."}, nil, []string{"/abs/app"}},
		{"-o directory", "build", []string{"-o", "bin", "./..."},
			[]listedPkg{cmd("example.com/app/cmd/a"), lib, cmd("example.com/app/cmd/b/v2")}, []string{at("bin/a"), at("bin/b")}},
		{"-o= directory", "build", []string{"-o=bin/", "./..."}, []listedPkg{cmd("example.com/app/cmd/a")}, []string{at("bin/a")}},
		{"-C dir -o directory", "build", []string{"-C", "sub", "-o", "bin", "."}, []listedPkg{cmd("example.com/sub")}, []string{at("sub/bin/sub")}},
		{"-C dir", "build", []string{"-C=sub", "."}, []listedPkg{cmd("example.com/sub")}, []string{at("sub/sub")}},
		{"-buildmode=exe and flags", "build", []string{"-buildmode=exe", "-tags", "x", "-v", "."}, []listedPkg{cmd("example.com/app")}, []string{at("app")}},
		{"install", "install", []string{"./..."}, []listedPkg{cmd("example.com/app/cmd/a"), lib, cmd("example.com/app/cmd/b")}, []string{"/gobin/a", "/gobin/b"}},
		{"install a library", "install", []string{"./lib"}, []listedPkg{lib}, nil},
		{"test -o keeps the test binary", "test", []string{"-c", "-o", "app.test", "."}, nil, []string{at("app.test")}},
		{"test -o, no tests: nothing written", "test", []string{"-c", "-o", "none.test", "./lib"}, nil, nil},
		{"test without -c or -o keeps nothing", "test", []string{"./..."}, nil, nil},
		{"test -c: NAME.test for packages with tests", "test", []string{"-c", "./..."},
			[]listedPkg{tested(lib), cmd("example.com/app"), tested(cmd("example.com/app/v2/cmd/x"))}, []string{at("lib.test"), at("x.test")}},
		{"test -c -C dir", "test", []string{"-C", "sub", "-c", "."}, []listedPkg{tested(cmd("example.com/sub/v2"))}, []string{at("sub/sub.test")}},
		{"test -o DIR", "test", []string{"-o", "bin", "./..."}, []listedPkg{tested(lib), cmd("example.com/app")}, []string{at("bin/lib.test")}},
		{"test -c files", "test", []string{"-c", "x_test.go", "x.go"}, []listedPkg{tested(listedPkg{name: "pkgname", importPath: "command-line-arguments"})},
			[]string{at("pkgname.test")}},
		{"vet writes nothing", "vet", []string{"./..."}, []listedPkg{lib}, nil},
		{"run", "run", []string{".", "arg"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := outputs(Options{Verb: tt.verb, Args: tt.args, Dir: dir}, tt.pkgs)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("outputs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	env := []string{"PATH=/bin", "GOARM=7"}
	tests := []struct {
		name     string
		o        Options
		wantArgs string
		wantEnv  []string // must all be present, in this order at the end
		noEnv    string   // must be absent
	}{
		{name: "build gets static flags and the musl tag",
			o:        Options{Verb: "build", Args: []string{"-o", "app", "."}, Env: env, CC: "/tc/cc", GoEnv: []string{"GOOS=linux", "GOARCH=arm64"}},
			wantArgs: "build -tags=musl -trimpath -o=app -ldflags=" + StaticLdflags + " .",
			wantEnv:  []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=1", "CC=/tc/cc", "GOARM="}},
		{name: "arm keeps its GOARM",
			o:        Options{Verb: "vet", Args: []string{"./..."}, Env: env, CC: "cc", GoEnv: []string{"GOARCH=arm", "GOARM=7"}},
			wantArgs: "vet -tags=musl ./...", wantEnv: []string{"GOARM=7", "CGO_ENABLED=1", "CC=cc"}, noEnv: "GOARM="},
		{name: "foreign test runs under qemu",
			o:        Options{Verb: "test", Args: []string{"./..."}, Exec: "/usr/bin/qemu-aarch64", Env: []string{"MCC_MUSL_TAG=0"}},
			wantArgs: "test -trimpath -ldflags=" + StaticLdflags + " -exec=/usr/bin/qemu-aarch64 ./..."},
		{name: "the user's -exec wins",
			o:        Options{Verb: "run", Args: []string{"-exec", "mine", "."}, Exec: "/usr/bin/qemu-aarch64", Env: []string{"MCC_MUSL_TAG=off"}},
			wantArgs: "run -trimpath -exec=mine -ldflags=" + StaticLdflags + " ."},
		{name: "other verbs pass through",
			o:        Options{Verb: "mod", Args: []string{"tidy", "-v"}},
			wantArgs: "mod tidy -v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, env, err := Command(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(args, " "); got != tt.wantArgs {
				t.Errorf("args\n got  %s\n want %s", got, tt.wantArgs)
			}
			if tail := env[len(env)-len(tt.wantEnv):]; strings.Join(tail, " ") != strings.Join(tt.wantEnv, " ") {
				t.Errorf("env ends %q, want %q", tail, tt.wantEnv)
			}
			for _, e := range env[len(tt.o.Env):] {
				if tt.noEnv != "" && e == tt.noEnv {
					t.Errorf("env has %s", e)
				}
			}
		})
	}
	if _, _, err := Command(Options{Verb: "build", Args: []string{"-buildmode=pie", "."}}); !badinput.Is(err) {
		t.Errorf("a refused flag: err = %v, want bad input", err)
	}
}

func TestBadPackageLine(t *testing.T) {
	for _, tt := range []struct{ stderr, want string }{
		{"go: downloading x\nno Go files in /src/app\n", "no Go files in /src/app"},
		{"  stat ./nope: directory not found\n", "stat ./nope: directory not found"},
		{"pattern ./x/...: matched no packages", "pattern ./x/...: matched no packages"},
		{"./main.go:3:2: undefined: x\n", ""}, // a compile error is the user's code, not the arguments
		{"", ""},
	} {
		if got := badPackageLine(tt.stderr); got != tt.want {
			t.Errorf("badPackageLine(%q) = %q, want %q", tt.stderr, got, tt.want)
		}
	}
}

func TestLimited(t *testing.T) {
	var l limited
	l.b, l.n = new(bytes.Buffer), 5
	for _, w := range []string{"abc", "defg", "hij"} {
		if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v: a full tail must not fail the command", w, n, err)
		}
	}
	if got := l.b.String(); got != "abcde" {
		t.Errorf("kept %q, want the first 5 bytes", got)
	}
}

func TestGoFailedError(t *testing.T) {
	if got := (&GoFailed{Verb: "build", Code: 1}).Error(); got != "go build failed (exit 1)" {
		t.Errorf("got %q", got)
	}
	if got := (&GoFailed{Verb: "test", Code: 2, Diagnosis: "x.a was compiled for glibc"}).Error(); got != "go test failed (exit 2): x.a was compiled for glibc" {
		t.Errorf("got %q", got)
	}
}

// module writes a Go module with a command at the root, a library, and a
// second command, and returns its directory.
func module(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":           "module example.com/app\n\ngo 1.22\n",
		"main.go":          "package main\n\nfunc main() {}\n",
		"lib/lib.go":       "package lib\n\n// X is exported.\nvar X = 1\n",
		"lib/lib_test.go":  "package lib_test\n",
		"cmd/tool/m.go":    "package main\n\nfunc main() {}\n",
		"bad/bad.go":       "package bad\n\nfunc f() { fmt.Println() }\n",
		"vetbad/vetbad.go": "package vetbad\n\nimport \"fmt\"\n\n// F misuses Printf.\nfunc F() { fmt.Printf(\"%d\", \"s\") }\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goEnv is an environment in which go runs offline on the test module.
func goEnv(t *testing.T) []string {
	return append(os.Environ(), "GOFLAGS=", "GOPROXY=off", "GOWORK=off", "GOBIN="+filepath.Join(t.TempDir(), "gobin"))
}

func TestListPackages(t *testing.T) {
	dir := module(t)
	tests := []struct {
		args    []string
		want    string // importPath:main, space-separated
		wantErr string
	}{
		{[]string{"."}, "example.com/app:true", ""},
		{[]string{"./lib", "./cmd/..."}, "example.com/app/lib:false example.com/app/cmd/tool:true", ""},
		{[]string{"-tags", "x", "-o", "bin/", "./cmd/tool"}, "example.com/app/cmd/tool:true", ""},
		{[]string{"./nope"}, "", "fix the package arguments"},
		{[]string{"-c", "./lib", "-run", "X", "-v"}, "example.com/app/lib:false", ""}, // go test's flags after the packages
	}
	for _, tt := range tests {
		o := Options{Verb: "test", Args: tt.args, Dir: dir, Env: goEnv(t)}
		pkgs, err := listPackages(context.Background(), o, o.Env)
		if tt.wantErr != "" {
			if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: err = %v, want one line of bad input saying %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		var got []string
		for _, p := range pkgs {
			got = append(got, fmt.Sprintf("%s:%v", p.importPath, p.main))
			if p.tests != (p.name == "lib") {
				t.Errorf("%s: tests = %v", p.importPath, p.tests)
			}
			if p.main && !strings.HasSuffix(p.target, "/gobin/"+filepath.Base(p.importPath)) {
				t.Errorf("%s installs to %s, want $GOBIN", p.importPath, p.target)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q: listed %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestRun runs go vet, which compiles but does not link, so it needs no
// musl toolchain: it proves how Run reports go's failures.
func TestRun(t *testing.T) {
	dir := module(t)
	tests := []struct {
		args     []string
		wantCode int    // 0: success
		wantBad  string // bad input mentioning this
	}{
		{args: []string{"./lib", "./cmd/..."}},
		{args: []string{"./vetbad"}, wantCode: 1},
		{args: []string{"./bad"}, wantCode: 1},
		{args: []string{"./nope"}, wantBad: "fix the package arguments (mcc go vet wants Go packages)"},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		var trace strings.Builder
		outs, err := Run(context.Background(), Options{Verb: "vet", Args: tt.args, Dir: dir, Env: goEnv(t), CC: "cc",
			Stdout: &stderr, Stderr: &stderr, Trace: &trace})
		if !strings.Contains(trace.String(), "+ CC=cc  go vet -tags=musl") {
			t.Errorf("%q: trace %q", tt.args, trace.String())
		}
		var gf *GoFailed
		switch {
		case tt.wantBad != "":
			if !badinput.Is(err) || !strings.Contains(err.Error(), tt.wantBad) {
				t.Errorf("%q: err = %v, want bad input saying %q", tt.args, err, tt.wantBad)
			}
		case tt.wantCode != 0:
			if !errors.As(err, &gf) || gf.Code != tt.wantCode || gf.Verb != "vet" {
				t.Errorf("%q: err = %v, want go vet's exit %d (stderr %s)", tt.args, err, tt.wantCode, stderr.String())
			}
		case err != nil || outs != nil:
			t.Errorf("%q: %q, %v (stderr %s)", tt.args, outs, err, stderr.String())
		}
	}
}

// TestChecked builds the test module's command with the host's gcc as the
// "musl" cc (the static link flags are the same) and checks it: static
// and of this machine it passes; against another machine it is reported,
// not an error.
func TestChecked(t *testing.T) {
	dir := module(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	out := filepath.Join(t.TempDir(), "app")
	o := Options{Verb: "build", Args: []string{"-o", out, "."}, Dir: dir, Env: goEnv(t), CC: "gcc", Stdout: io.Discard, Stderr: io.Discard}
	tests := []struct {
		want    elfcheck.Want
		failing int
	}{
		{elfcheck.Want{}, 0},
		{elfcheck.Want{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64}, 1},
	}
	for _, tt := range tests {
		seen := 0
		reports, err := Checked(context.Background(), o, tt.want, func(*elfcheck.Report) { seen++ })
		if err != nil {
			if strings.Contains(err.Error(), "cannot find -lc") {
				t.Skip("no static libc for the host gcc")
			}
			t.Fatal(err)
		}
		if len(reports) != 1 || seen != 1 || reports[0].Path != out || len(elfcheck.Failing(reports)) != tt.failing {
			t.Errorf("want %v: reports %+v (each saw %d), want %d failing", tt.want, reports, seen, tt.failing)
		}
	}
	// go failing is Run's error, unchanged.
	o.Args = []string{"-o", out, "./bad"}
	var gf *GoFailed
	if _, err := Checked(context.Background(), o, elfcheck.Want{}, func(*elfcheck.Report) {}); !errors.As(err, &gf) {
		t.Errorf("bad package: err = %v, want GoFailed", err)
	}
}
