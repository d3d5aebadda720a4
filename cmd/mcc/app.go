package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
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
		return usagef("%s: %v (%s)", fs.Name(), err, flagHint(fs.Name(), err))
	}
	return nil
}

// flagHint says where a rejected flag goes: mcc's own flags (--cache,
// --json, ...) come before the command, as in git, since after it they
// could clash with the command's own (mcc go build -v).
func flagHint(cmd string, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	// A fresh app: the flag set writes its defaults into the fields.
	if ok && (&app{}).globalFlags().Lookup(name) != nil {
		return fmt.Sprintf("--%s is mcc's own flag: put it before the command, mcc --%s ... %s", name, name, strings.TrimPrefix(cmd, "mcc "))
	}
	return "see " + cmd + " --help"
}
