// Package mirror fills a local mirror directory with pinned artifacts, after
// checking each against its pin: the sha256 for data files, the pinned key
// for signatures. Files are laid out as fetch looks for them: by the pin's
// file name and by sha256/<digest>.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcc-build/mcc/internal/atomicfile"
	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

// DefaultDir is the local mirror mcc always consults first:
// $MCC_MIRROR_DIR, else $XDG_DATA_HOME/mcc/mirror, else ~/.local/share/mcc/mirror.
func DefaultDir() string {
	if d := os.Getenv("MCC_MIRROR_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "mcc", "mirror")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".local", "share", "mcc", "mirror")
}

// List is where mcc looks for pinned files before their own locations, in
// order: the local mirror (DefaultDir) if it exists, then the --mirror
// flags, else $MCC_MIRROR (comma-separated).
func List(flags []string) []string {
	var list []string
	if d := DefaultDir(); d != "" {
		if _, err := os.Stat(d); err == nil {
			list = append(list, d)
		}
	}
	if len(flags) == 0 && os.Getenv("MCC_MIRROR") != "" {
		flags = strings.Split(os.Getenv("MCC_MIRROR"), ",")
	}
	for _, m := range flags {
		if m = strings.TrimSpace(m); m != "" {
			list = append(list, m)
		}
	}
	return list
}

// Added is one file put into the mirror.
type Added struct {
	File string `json:"file"`
	Pin  string `json:"pin"`
	As   string `json:"as"`
	Kind string `json:"kind"` // "artifact" or "signature"
	sum  string // an artifact's sha256: it is also stored as sha256/<sum>
}

// findPin finds the pin of a sha256: sysroots.BySHA256, or in tests, test pins.
type findPin func(sum string) (sysroots.Pin, bool)

// ErrUnpinned marks a file that matches no pin.
var ErrUnpinned = errors.New("matches no pin")

// Add checks every file first and copies only if all are good, so a bad
// argument leaves the mirror untouched. With skipUnpinned, files that match
// no pin are left out instead (for filling a mirror from a download dir).
func Add(dir string, files []string, skipUnpinned bool) ([]Added, error) {
	return add(dir, files, skipUnpinned, sysroots.BySHA256)
}

func add(dir string, files []string, skipUnpinned bool, find findPin) ([]Added, error) {
	var plan []Added
	for _, f := range files {
		a, err := classify(f, find)
		if skipUnpinned && errors.Is(err, ErrUnpinned) {
			continue
		}
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	for _, a := range plan {
		if err := install(dir, a); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func classify(file string, find findPin) (Added, error) {
	sum, err := store.FileSHA256(file)
	if err != nil {
		return Added{}, badinput.Errorf("cannot read %s: %v", file, err)
	}
	if pin, ok := find(sum); ok {
		return Added{File: file, Pin: pin.Name, As: pin.File, Kind: "artifact", sum: sum}, nil
	}
	if strings.HasSuffix(file, ".asc") {
		return classifySignature(file, find)
	}
	return Added{}, badinput.Wrap(fmt.Errorf("%s (sha256 %s) %w: mcc mirrors only pinned artifacts (see sysroots/*.json)", file, sum, ErrUnpinned))
}

// classifySignature finds the pinned data file a signature belongs to (the
// file named without .asc, beside it) and verifies it.
func classifySignature(sig string, find findPin) (Added, error) {
	data := strings.TrimSuffix(sig, ".asc")
	sum, err := store.FileSHA256(data)
	if err != nil {
		return Added{}, badinput.Errorf("signature %s: its file %s is not beside it: give both", sig, filepath.Base(data))
	}
	pin, ok := find(sum)
	if !ok || pin.Signature == nil {
		return Added{}, badinput.Wrap(fmt.Errorf("signature %s: %s %w with a signature", sig, data, ErrUnpinned))
	}
	if err := fetch.VerifyFile(pin, data, sig); err != nil {
		return Added{}, err
	}
	return Added{File: sig, Pin: pin.Name, As: pin.Signature.File, Kind: "signature"}, nil
}

func install(dir string, a Added) error {
	dsts := []string{filepath.Join(dir, a.As)}
	if a.Kind == "artifact" {
		dsts = append(dsts, filepath.Join(dir, sysroots.DigestName(a.sum)))
	}
	for _, d := range dsts {
		if err := copyAtomic(a.File, d); err != nil {
			return fmt.Errorf("adding %s to the mirror %s: %w", a.File, dir, err)
		}
	}
	return nil
}

func copyAtomic(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := atomicfile.New(dst, "", 0o644)
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if _, err := io.Copy(f, in); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}

// Fill gets every pin the way any command would (store, mirrors, then the
// pins' own locations) and puts it, with its signature where one is pinned,
// into dir: the way to seed a mirror for offline machines. A file already
// in dir under a pin's name must be the pinned one; it is never replaced.
func Fill(ctx context.Context, f *fetch.Fetcher, dir string, pins []sysroots.Pin) ([]Added, error) {
	var added []Added
	for _, pin := range pins {
		res, err := f.Fetch(ctx, pin)
		if err != nil {
			return added, err
		}
		a := Added{File: res.Path, Pin: pin.Name, As: pin.File, Kind: "artifact", sum: pin.SHA256}
		if err := installNew(dir, a, pin); err != nil {
			return added, err
		}
		added = append(added, a)
		if pin.Signature == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, pin.Signature.File)); err == nil {
			continue
		}
		sig, err := f.FetchSignature(ctx, pin, f.SignatureURLs(pin), res.Path)
		if err != nil || sig == "" {
			if err == nil {
				err = fmt.Errorf("pin %s: no source served its signature %s", pin.Name, pin.Signature.File)
			}
			return added, err
		}
		s := Added{File: sig, Pin: pin.Name, As: pin.Signature.File, Kind: "signature"}
		err = install(dir, s)
		os.Remove(sig)
		if err != nil {
			return added, err
		}
		added = append(added, s)
	}
	return added, nil
}

// installNew installs a pinned artifact unless dir already holds it; a
// different file under its name is refused, not replaced.
func installNew(dir string, a Added, pin sysroots.Pin) error {
	dst := filepath.Join(dir, a.As)
	st, err := os.Lstat(dst)
	if err == nil {
		if st.Mode().IsRegular() && st.Size() == pin.Size {
			if sum, err := store.FileSHA256(dst); err == nil && sum == pin.SHA256 {
				return copyAtomicIfMissing(a.File, filepath.Join(dir, sysroots.DigestName(pin.SHA256)))
			}
		}
		return badinput.Errorf("mirror %s already has a %s that is not the pinned file (pin %s): move it away and retry", dir, a.As, pin.Name)
	}
	return install(dir, a)
}

func copyAtomicIfMissing(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	return copyAtomic(src, dst)
}
