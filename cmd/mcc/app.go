package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Exit codes of the command contract.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// app holds the global flags and the output streams; every command gets it.
type app struct {
	stdout, stderr io.Writer

	target  string
	cache   string
	mirrors []string
	offline bool
	json    bool
	verbose bool
	quiet   bool
}

type command struct {
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands is filled by the init functions of the per-verb files.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, a *app, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

const globalUsage = `mcc builds static, verified, cross-compiled executables from pinned musl toolchains.

Usage:
  mcc [global flags] COMMAND [args...]

Commands:
%s
Global flags (before the command):
%s
Examples:
  mcc go build -o app ./cmd/app                 static binary for this machine
  mcc --target linux/arm64 go build -o app .    static arm64 binary
  mcc verify app                                prove it is static
  eval "$(mcc env --target linux/arm64)"        use the toolchain by hand

Exit codes: 0 ok, 1 the job failed, 2 bad usage or input.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	fs := a.globalFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			a.usage(fs, stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "mcc: %v (see mcc --help)\n", err)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		a.usage(fs, stderr)
		return exitUsage
	}
	name := rest[0]
	if name == "help" {
		a.usage(fs, stdout)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "mcc: unknown command %q: run 'mcc --help' for the list\n", name)
		return exitUsage
	}
	if a.target == "" {
		a.target = os.Getenv("MCC_TARGET")
	}
	return a.finish(cmd.run(ctx, a, rest[1:]))
}

func (a *app) globalFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("mcc", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.target, "target", "", "target `OS/ARCH[/VARIANT]` (default: GOOS/GOARCH/GOARM, else the host)")
	fs.StringVar(&a.cache, "cache", "", "store `DIR` (default: $MCC_CACHE, else $XDG_CACHE_HOME/mcc)")
	fs.StringSliceVar(&a.mirrors, "mirror", nil, "mirror `URL`s tried before upstream, file:// or http(s):// (also $MCC_MIRROR)")
	fs.BoolVar(&a.offline, "offline", false, "never contact upstream URLs (also $MCC_OFFLINE=1)")
	fs.BoolVar(&a.json, "json", false, "machine-readable results on stdout, no progress")
	fs.BoolVarP(&a.verbose, "verbose", "v", false, "show the commands mcc runs")
	fs.BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	return fs
}

func (a *app) usage(fs *pflag.FlagSet, w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, globalUsage, b.String(), fs.FlagUsages())
}

// finish turns a command's error into the one-line message and exit code.
func (a *app) finish(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee) && ee.err == nil:
		return ee.code
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(a.stderr, "mcc: interrupted")
		return exitFailed
	}
	fmt.Fprintf(a.stderr, "mcc: %s\n", message(err))
	if errors.As(err, &ee) {
		return ee.code
	}
	if badinput.Is(err) {
		return exitUsage
	}
	return exitFailed
}

// exitError carries an exit code; with a nil err the command already said why.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usagef is a bad-usage error (exit 2).
func usagef(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// message is err as the one line after "mcc: ". Messages that name their
// command ("mcc image: ...", "mcc env takes no arguments") lose their own
// "mcc", so every error carries the prefix once.
func message(err error) string {
	m := badinput.OneLine(err.Error())
	m = strings.TrimPrefix(m, "mcc: ")
	return strings.TrimPrefix(m, "mcc ")
}

// progressOn says whether long steps may draw progress on stderr.
func (a *app) progressOn() bool {
	if a.json || a.quiet || os.Getenv("CI") != "" {
		return false
	}
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// line prints v (a Stringer, most often) on a line of stdout, unless --json.
func (a *app) line(v any) {
	if !a.json {
		fmt.Fprintln(a.stdout, v)
	}
}

// result ends a command: its error if it failed, else v as JSON (--json).
func (a *app) result(err error, v any) error {
	if err != nil || !a.json {
		return err
	}
	return a.printJSON(v)
}

// printRows prints rows a line each, or as one JSON array with --json.
func printRows[T any](a *app, rows []T) error {
	for _, r := range rows {
		a.line(r)
	}
	return a.result(nil, rows)
}

// trace is where -v shows the commands mcc runs: stderr, or nil.
func (a *app) trace() io.Writer {
	if a.verbose {
		return a.stderr
	}
	return nil
}

// warn says on stderr what mcc skipped, unless --quiet.
func (a *app) warn(msg string) {
	if !a.quiet {
		fmt.Fprintf(a.stderr, "mcc: %s\n", msg)
	}
}

// printJSON writes v as indented JSON on stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newFlags makes a command's flag set; parse prints its help.
func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("mcc "+name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// targetFlag lets a command take --target after its name too, as the
// command contract writes it (mcc env --target linux/arm64).
func (a *app) targetFlag(fs *pflag.FlagSet) {
	fs.StringVar(&a.target, "target", a.target, "target `OS/ARCH[/VARIANT]` (same as the global --target)")
}

// parse parses a command's flags. -h/--help prints usage (a text that
// teaches: what the command does, its form, an example) and the flags, and
// ends the command with exit 0; a bad flag is a usage error naming it.
func (a *app) parse(fs *pflag.FlagSet, usage string, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		fmt.Fprintf(a.stdout, "%s\nFlags:\n%s", strings.TrimLeft(usage, "\n"), fs.FlagUsages())
		return &exitError{code: exitOK}
	}
	if err != nil {
		return usagef("%s: %v (see %s --help)", fs.Name(), err, fs.Name())
	}
	return nil
}
