package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// What commands print: a line each on stdout as text, or one JSON value
// with --json, progress and warnings on stderr.

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
