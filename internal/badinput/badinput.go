// Package badinput marks errors caused by what the user gave mcc (a wrong
// flag, a missing compiler, a file that fails its checksum), so the CLI can
// exit 2 for them and 1 for jobs that failed on their own.
package badinput

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// Errorf formats like fmt.Errorf and marks the result as bad input.
func Errorf(format string, args ...any) error {
	return &inputError{fmt.Errorf(format, args...)}
}

// Wrap marks err as bad input; nil stays nil.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

// Is reports whether err, or anything it wraps, is bad input.
func Is(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

// OneLine makes s fit on one line of a terminal or a comment: every run of
// white space or control characters (newlines, tabs, escape sequences'
// ESC) becomes one space, and the ends are trimmed. Messages end in one
// line on stderr, and names taken from files (a certificate's subject) must
// not break the line they are printed on.
func OneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}
