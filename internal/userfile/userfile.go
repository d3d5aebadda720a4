// Package userfile guards the files a user names on mcc's command line.
// Inputs must be regular files, checked before anything opens them: opening
// a FIFO blocks forever and a device never ends. Outputs never land on an
// input, and replace an existing file only once they are complete and
// checked, so a failed run leaves the user's files as they were.
package userfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mcc-build/mcc/internal/badinput"
)

// CheckInput refuses path unless it is a regular file (symbolic links are
// followed). It only stats path, so it cannot block.
func CheckInput(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return badinput.Errorf("%s: no such file", path)
	}
	if err != nil {
		return badinput.Errorf("cannot read %s: %v", path, pathErr(err))
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return badinput.Errorf("%s is a directory, not a file: give the files in it (%s)", path, filepath.Join(path, "*"))
	default:
		return badinput.Errorf("%s is %s, not a regular file: give a regular file (mcc reads inputs whole)", path, kind(m))
	}
}

// CheckInputs runs CheckInput on each path and returns the first refusal.
func CheckInputs(paths ...string) error {
	for _, p := range paths {
		if err := CheckInput(p); err != nil {
			return err
		}
	}
	return nil
}

// Named is an input given with a flag; What names it in errors ("--runtime").
type Named struct{ What, Path string }

// CheckNamed checks the named inputs that were given (Path not empty) and
// returns their paths; a refusal starts with the input's name.
func CheckNamed(ins ...Named) ([]string, error) {
	var paths []string
	for _, in := range ins {
		if in.Path == "" {
			continue
		}
		if err := CheckInput(in.Path); err != nil {
			return nil, badinput.Errorf("%s: %v", in.What, err)
		}
		paths = append(paths, in.Path)
	}
	return paths, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file (" + m.Type().String() + ")"
}

// CheckOutput says, before any work starts, whether path can take an
// output: it is not a directory or a special file, it is not one of inputs
// (compared with os.SameFile, so other spellings and hard or symbolic links
// count), and its directory is writable. flag names the option that set
// path, for the fix ("-o").
func CheckOutput(path, flag string, inputs ...string) error {
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return badinput.Errorf("output %s is a directory: give a file name with %s, like %s", path, flag, filepath.Join(path, "out"))
		}
		if !fi.Mode().IsRegular() {
			return badinput.Errorf("output %s is %s: give a regular file name with %s", path, kind(fi.Mode()), flag)
		}
		for _, in := range inputs {
			if st, err := os.Stat(in); err == nil && os.SameFile(fi, st) {
				return badinput.Errorf("output %s is also the input %s: writing it would destroy the input; give another %s", path, in, flag)
			}
		}
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".mcc-probe-*")
	if err != nil {
		return badinput.Errorf("cannot write %s: %v: give %s a file in a writable directory", path, pathErr(err), flag)
	}
	f.Close()
	return os.Remove(f.Name())
}

// pathErr drops the *fs.PathError wrapper, whose message repeats the path.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Pending is an output being made: Path is a file with the destination's
// name inside a private directory beside it (same file system, so Commit is
// a rename; same name, so tools that record it see the final one). That
// name is why this is not internal/atomicfile: renameio's temp files have
// names of their own.
type Pending struct {
	Path string
	dest string
	dir  string
}

// NewPending prepares an output for dest; nothing at dest changes until
// Commit. Call Discard when done (after Commit it does nothing).
func NewPending(dest string) (*Pending, error) {
	dir, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".mcc-tmp-*")
	if err != nil {
		return nil, badinput.Errorf("cannot write %s: %v: choose a writable directory", dest, pathErr(err))
	}
	return &Pending{Path: filepath.Join(dir, filepath.Base(dest)), dest: dest, dir: dir}, nil
}

// Commit replaces dest with the finished output in one rename.
func (p *Pending) Commit() error {
	if err := os.Rename(p.Path, p.dest); err != nil {
		return fmt.Errorf("writing %s: %w", p.dest, err)
	}
	return p.Discard()
}

// Discard removes the private directory and whatever is left in it; it
// holds only what mcc wrote.
func (p *Pending) Discard() error {
	return os.RemoveAll(p.dir)
}
