package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Exit codes of the command contract.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

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
// "mcc", so every error carries the prefix once; other text that happens
// to start with "mcc " keeps it.
func message(err error) string {
	m := badinput.OneLine(err.Error())
	m = strings.TrimPrefix(m, "mcc: ")
	rest, ok := strings.CutPrefix(m, "mcc ")
	word, _, _ := strings.Cut(rest, " ")
	if _, known := commands[strings.TrimSuffix(word, ":")]; ok && known {
		return rest
	}
	return m
}

// noArgs refuses stray arguments to a command that takes none: a typo like
// 'mcc env arm64' must not silently do the default.
func noArgs(fs *pflag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	return usagef("%s takes no arguments, got %q (see %s --help)", fs.Name(), strings.Join(fs.Args(), " "), fs.Name())
}
