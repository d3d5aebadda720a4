package gobuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Options describe one go command run through mcc.
type Options struct {
	Verb   string   // build, install, test, run, vet, list, ...
	Args   []string // the user's arguments after the verb
	Dir    string   // working directory ("" = current)
	Env    []string // base environment (os.Environ())
	CC     string   // the target's musl cc
	GoEnv  []string // GOOS=, GOARCH=, GOARM=
	Exec   string   // for test/run of a foreign target: the qemu-user binary
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Trace  io.Writer // -v: the go command line is printed here
}

// linking verbs get the static flags.
var linking = map[string]bool{"build": true, "install": true, "test": true, "run": true}

// Command builds the go invocation: args and environment.
func Command(o Options) ([]string, []string, error) {
	args := o.Args
	if linking[o.Verb] || tagVerbs[o.Verb] && MuslTagOn(o.Env) {
		p, err := buildFlags(o)
		if err != nil {
			return nil, nil, err
		}
		args = p.Args()
	}
	env := append(append([]string{}, o.Env...), o.GoEnv...)
	env = append(env, "CGO_ENABLED=1", "CC="+o.CC)
	if !hasKey(o.GoEnv, "GOARM") {
		env = append(env, "GOARM=") // an inherited GOARM must not leak into a non-arm target
	}
	return append([]string{o.Verb}, args...), env, nil
}

// buildFlags is the user's flags as mcc passes them on: static for the
// linking verbs, qemu-user as -exec for a foreign test or run, and the
// musl tag unless MCC_MUSL_TAG=0.
func buildFlags(o Options) (Parsed, error) {
	p, err := Parse(o.Args)
	if err != nil {
		return p, err
	}
	if linking[o.Verb] {
		if p, err = MakeStatic(p); err != nil {
			return p, err
		}
		if _, has := p.Get("exec"); o.Exec != "" && !has && (o.Verb == "test" || o.Verb == "run") {
			p.Flags = append(p.Flags, Flag{Name: "exec", Value: o.Exec})
		}
	}
	if tagVerbs[o.Verb] && MuslTagOn(o.Env) {
		p = AddMuslTag(o.Verb, p, o.Env)
	}
	return p, nil
}

func hasKey(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}

// Run runs the go command and returns the binaries it wrote (build and
// install only). A go command that fails is a job failure (exit 1); a
// package argument that is not a package is bad input.
func Run(ctx context.Context, o Options) ([]string, error) {
	args, env, err := Command(o)
	if err != nil {
		return nil, err
	}
	var pkgs []listedPkg
	if needsList(o) {
		if pkgs, err = listPackages(ctx, o, env); err != nil {
			return nil, err
		}
	}
	if o.Trace != nil {
		fmt.Fprintf(o.Trace, "+ CC=%s %s go %s\n", o.CC, strings.Join(o.GoEnv, " "), strings.Join(args, " "))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = o.Dir, env
	var tail bytes.Buffer
	cmd.Stdin, cmd.Stdout = o.Stdin, o.Stdout
	cmd.Stderr = io.MultiWriter(o.Stderr, &limited{&tail, 64 << 10})
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if line := badPackageLine(tail.String()); line != "" {
				return nil, badinput.Errorf("%s: fix the package arguments (mcc go %s wants Go packages)", line, o.Verb)
			}
			gf := &GoFailed{Verb: o.Verb, Code: ee.ExitCode()}
			if linking[o.Verb] {
				gf.Diagnosis = GlibcDiagnosis(tail.String(), MuslTagOn(o.Env))
			}
			return nil, gf
		}
		return nil, fmt.Errorf("running go: %w", err)
	}
	return outputs(o, pkgs)
}

// needsList says whether go list must run first to know what go build,
// install or test will write; with -o FILE the answer is FILE, and go
// list's extra process is saved on the hot path of an edit-build loop.
func needsList(o Options) bool {
	p, _ := Parse(o.Args)
	dst, hasO := p.Get("o")
	switch o.Verb {
	case "install":
		return true
	case "build":
		return !hasO || toDir(workDir(o, p), dst)
	case "test":
		return hasO && toDir(workDir(o, p), dst) || !hasO && flagOn(p, "c")
	}
	return false
}

// toDir says whether go treats -o dst as a directory to write into: it
// ends in a slash (go creates it) or is a directory.
func toDir(dir, dst string) bool {
	if strings.HasSuffix(dst, "/") {
		return true
	}
	st, err := os.Stat(abs(dir, dst))
	return err == nil && st.IsDir()
}

// workDir is where go runs: o.Dir, then -C.
func workDir(o Options, p Parsed) string {
	if c, ok := p.Get("C"); ok {
		return filepath.Join(o.Dir, c)
	}
	return o.Dir
}

// flagOn says whether a boolean flag is set (-c, -c=true; not -c=false).
func flagOn(p Parsed, name string) bool {
	v, ok := p.Get(name)
	return ok && v != "false" && v != "0"
}

// badPackageLine finds go's complaint about package arguments (as opposed
// to a compile error) in its stderr.
func badPackageLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		for _, m := range []string{"no Go files in", "directory not found", "cannot find package", "matched no packages",
			"is not in std", "no required module provides package", "malformed import path", "go.mod file not found"} {
			if strings.Contains(l, m) {
				return strings.TrimSpace(l)
			}
		}
	}
	return ""
}

// limited keeps the first n bytes written to it and drops the rest.
type limited struct {
	b *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// GoFailed is a go command that exited non-zero; it already said why.
type GoFailed struct {
	Verb      string
	Code      int
	Diagnosis string // what mcc read in go's output that go did not say, if anything
}

func (e *GoFailed) Error() string {
	if e.Diagnosis != "" {
		return fmt.Sprintf("go %s failed (exit %d): %s", e.Verb, e.Code, e.Diagnosis)
	}
	return fmt.Sprintf("go %s failed (exit %d)", e.Verb, e.Code)
}

// listedPkg is one package the arguments name, as go list reports it.
type listedPkg struct {
	name, importPath, target string
	main                     bool // a command
	tests                    bool // has test files: go test -c writes a binary for it
}

// listPackages asks go list which packages the arguments name, which of
// them are commands, and where go install would put those. It doubles as
// the check that the arguments name packages at all.
func listPackages(ctx context.Context, o Options, env []string) ([]listedPkg, error) {
	p, _ := buildFlags(o) // the same -tags as the build: they pick the files
	args := []string{"list", "-f", "{{.Name}}\t{{.ImportPath}}\t{{.Target}}\t{{if or .TestGoFiles .XTestGoFiles}}tests{{else}}none{{end}}"}
	for _, f := range p.Flags {
		switch f.Name {
		case "tags", "mod", "modfile", "C", "overlay":
			args = append(args, "-"+f.Name+"="+f.Value)
		}
	}
	args = append(args, packages(o.Verb, p.Rest)...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = o.Dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, badinput.Errorf("%s: fix the package arguments (mcc go %s wants Go packages)", firstLine(stderr.String()), o.Verb)
	}
	var pkgs []listedPkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 4 {
			pkgs = append(pkgs, listedPkg{name: f[0], importPath: f[1], target: f[2], main: f[0] == "main", tests: f[3] == "tests"})
		}
	}
	return pkgs, nil
}

func commands(pkgs []listedPkg) []listedPkg {
	var out []listedPkg
	for _, p := range pkgs {
		if p.main {
			out = append(out, p)
		}
	}
	return out
}

func pkgArgs(rest []string) []string {
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	return rest
}

// packages are the package arguments in rest: for go test, up to its
// flags that may follow them (-run, -v, -args ...).
func packages(verb string, rest []string) []string {
	args := pkgArgs(rest)
	if verb != "test" {
		return args
	}
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return args[:i]
		}
	}
	return args
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l)
}

// outputs lists the binaries go build, install or test wrote and kept, by
// go's own rules (cmd/go's runBuild, runInstall and builderTest), given the
// packages the arguments name.
func outputs(o Options, pkgs []listedPkg) ([]string, error) {
	p, _ := Parse(o.Args)
	dir := workDir(o, p)
	dst, hasO := p.Get("o")
	if hasO {
		dst = abs(dir, dst)
	}
	var out []string
	switch {
	case o.Verb == "install":
		for _, m := range commands(pkgs) {
			out = append(out, m.target)
		}
	case o.Verb == "test":
		out = testOutputs(p, dir, dst, hasO, pkgs)
	case o.Verb != "build":
	case hasO && toDir(dir, dst):
		for _, m := range commands(pkgs) {
			out = append(out, filepath.Join(dst, ExecName(m.importPath, p.Rest)))
		}
	case hasO:
		out = []string{dst}
	case len(pkgs) == 1 && pkgs[0].main:
		// Without -o, go build writes a binary only when the arguments name
		// one package and it is a command: './...' matching a command and a
		// library writes nothing.
		out = []string{filepath.Join(abs(dir, "."), ExecName(pkgs[0].importPath, p.Rest))}
	}
	return out, nil
}

// testOutputs lists the test binaries go test keeps: with -o FILE, that
// file; with -o DIR or -c, NAME.test there (or in the working directory)
// for each package that has tests. Without -c or -o go test removes them.
func testOutputs(p Parsed, dir, dst string, hasO bool, pkgs []listedPkg) []string {
	if hasO && !toDir(dir, dst) {
		if _, err := os.Lstat(dst); err != nil {
			return nil // a package without tests: go wrote nothing
		}
		return []string{dst}
	}
	if !hasO {
		dst = abs(dir, ".")
	}
	var out []string
	for _, pkg := range pkgs {
		if pkg.tests {
			out = append(out, filepath.Join(dst, testBinaryName(pkg, p.Rest)))
		}
	}
	return out
}

// testBinaryName is cmd/go's: ExecName plus .test, or for test files named
// on the command line, the package's name plus .test.
func testBinaryName(pkg listedPkg, rest []string) string {
	if pkg.importPath == "command-line-arguments" {
		return pkg.name + ".test"
	}
	return ExecName(pkg.importPath, rest) + ".test"
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return filepath.Join(dir, p)
}

func isFiles(args []string) bool {
	return len(args) > 0 && strings.HasSuffix(args[0], ".go")
}

// majorVersion is cmd/go's isVersionElement: v2, v3, ..., v10, ... (not
// v0, v1 or v01).
var majorVersion = regexp.MustCompile(`^v([2-9]|[1-9][0-9]+)$`)

// ExecName is the file name go gives a command's binary (cmd/go's
// DefaultExecName): the import path's last element, skipping a
// major-version suffix; for files, the first file.
func ExecName(importPath string, rest []string) string {
	if args := pkgArgs(rest); isFiles(args) {
		return strings.TrimSuffix(filepath.Base(args[0]), ".go")
	}
	name := path.Base(importPath)
	if majorVersion.MatchString(name) && name != importPath {
		name = path.Base(path.Dir(importPath))
	}
	return name
}
