// Package badinput marks errors caused by what the user gave mcc (a wrong
// flag, a missing compiler, a file that fails its checksum), so the CLI can
// exit 2 for them and 1 for jobs that failed on their own.
package badinput

import (
	"errors"
	"fmt"
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
