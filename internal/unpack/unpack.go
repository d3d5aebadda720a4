// Package unpack extracts source archives (tar.gz, tar.xz, zip, ...) with
// github.com/mholt/archives, refusing anything that would land or point
// outside the destination: absolute or ".." names, symlinks whose target,
// resolved through the tree extracted so far, leaves it, device files, and
// archives larger (in bytes or entries) than their budget.
// Writes go through an os.Root, so even a symlink planted by an earlier
// entry cannot redirect a later write.
package unpack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/mholt/archives"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Defaults for archives whose caller gives no budget: well above any
// archive mcc unpacks without one (the kernel headers .debs' data.tar:
// 6.7 MB, 1,030 entries), far below what fills a disk.
const (
	DefaultMaxBytes   = 256 << 20
	DefaultMaxEntries = 50_000
)

// Options tune an extraction.
type Options struct {
	// StripComponents drops that many leading path elements, like tar's
	// --strip-components (source tarballs have one top directory).
	StripComponents int
	// Skip, if set, leaves out entries whose cleaned name it returns true for.
	Skip func(name string) bool
	// MaxBytes caps the total size of all entries read, skipped ones too
	// (a tar stream must be decompressed to skip them); 0 means
	// DefaultMaxBytes. Nothing past the cap is written.
	MaxBytes int64
	// MaxEntries caps the number of entries read; 0 means DefaultMaxEntries.
	MaxEntries int
}

func (o Options) limits() (int64, int) {
	b, n := o.MaxBytes, o.MaxEntries
	if b <= 0 {
		b = DefaultMaxBytes
	}
	if n <= 0 {
		n = DefaultMaxEntries
	}
	return b, n
}

// extraction is the state of one Archive call.
type extraction struct {
	root     *os.Root
	opts     Options
	maxBytes int64
	maxN     int
	bytes    int64    // sizes of the entries read so far
	n        int      // entries read so far
	links    []string // symlinks created, where they really are in the tree
}

// Archive extracts the archive at src into the existing directory dest.
func Archive(ctx context.Context, src, dest string, opts Options) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	format, stream, err := archives.Identify(ctx, src, f)
	if err != nil {
		return badinput.Errorf("%s is not a supported archive: %v", src, err)
	}
	ex, ok := format.(archives.Extractor)
	if !ok {
		return badinput.Errorf("%s: %s is not an archive format mcc can extract", src, format.Extension())
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extraction{root: root, opts: opts}
	x.maxBytes, x.maxN = opts.limits()
	err = ex.Extract(ctx, stream, func(ctx context.Context, fi archives.FileInfo) error {
		return x.extractOne(fi)
	})
	if err == nil {
		err = x.recheckLinks()
	}
	if err != nil {
		return fmt.Errorf("extracting %s: %w", src, err)
	}
	return nil
}

// Name cleans an archive name and applies strip; ok is false for entries to
// leave out (the stripped prefix itself). Unsafe names are errors.
func Name(name string, strip int) (string, bool, error) {
	n := strings.TrimPrefix(name, "./")
	if path.IsAbs(n) || strings.Contains(n, "\\") {
		return "", false, badinput.Errorf("archive entry %q has an absolute or non-portable path: refusing the archive", name)
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." {
			return "", false, badinput.Errorf("archive entry %q escapes the destination: refusing the archive", name)
		}
	}
	n = path.Clean(n)
	parts := strings.Split(n, "/")
	if n == "." || len(parts) <= strip {
		return "", false, nil
	}
	return strings.Join(parts[strip:], "/"), true, nil
}

// count charges an entry against the budget before anything is written.
func (x *extraction) count(fi archives.FileInfo) error {
	x.n++
	if x.n > x.maxN {
		return badinput.Errorf("entry %q is past the limit of %d entries: refusing the archive", fi.NameInArchive, x.maxN)
	}
	if fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0 || fi.Size() <= 0 {
		return nil
	}
	x.bytes += fi.Size()
	if x.bytes > x.maxBytes {
		return x.tooBig(fi.NameInArchive)
	}
	return nil
}

func (x *extraction) tooBig(name string) error {
	return badinput.Errorf("entry %q takes the unpacked size past the limit of %d bytes: refusing the archive", name, x.maxBytes)
}

func (x *extraction) extractOne(fi archives.FileInfo) error {
	if err := x.count(fi); err != nil {
		return err
	}
	name, ok, err := Name(fi.NameInArchive, x.opts.StripComponents)
	if err != nil || !ok || (x.opts.Skip != nil && x.opts.Skip(name)) {
		return err
	}
	if dir := path.Dir(name); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	mode := fi.Mode()
	switch {
	case fi.IsDir():
		return x.root.MkdirAll(name, 0o755)
	case mode&fs.ModeSymlink != 0:
		return x.symlink(name, fi.LinkTarget)
	case fi.LinkTarget != "": // hard link to an earlier entry
		return x.hardlink(name, fi.LinkTarget)
	case !mode.IsRegular():
		return badinput.Errorf("archive entry %q is a %v, not a file: refusing the archive", fi.NameInArchive, mode.Type())
	}
	return x.writeFile(name, fi, mode.Perm()|0o600)
}

// symlink creates name -> target if target, resolved from where name
// really lands (its parent may itself be reached through links), stays
// inside the destination.
func (x *extraction) symlink(name, target string) error {
	refuse := badinput.Errorf("archive symlink %q -> %q points outside the destination: refusing the archive", name, target)
	if path.IsAbs(target) || target == "" {
		return refuse
	}
	parent, inside, err := resolve(x.root, path.Dir(name))
	if err != nil {
		return err
	}
	if inside {
		_, inside, err = resolve(x.root, parent+"/"+target)
	}
	if err != nil || !inside {
		return cmp.Or(err, refuse)
	}
	if err := x.root.Symlink(target, name); err != nil {
		return err
	}
	x.links = append(x.links, path.Join(parent, path.Base(name)))
	return nil
}

// hardlink links name to an earlier entry. A hard link to a symlink would
// be a second symlink with the same target text in another directory, so
// it is made as a symlink and checked like one.
func (x *extraction) hardlink(name, linkTarget string) error {
	target, _, err := Name(linkTarget, x.opts.StripComponents)
	if err != nil {
		return err
	}
	if fi, err := x.root.Lstat(target); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		t, err := x.root.Readlink(target)
		if err != nil {
			return err
		}
		return x.symlink(name, t)
	}
	return x.root.Link(target, name)
}

// recheckLinks resolves every created symlink in the finished tree: a link
// that was inside when made can lead outside once a later entry turns a
// name on its path into a link.
func (x *extraction) recheckLinks() error {
	for _, l := range x.links {
		_, inside, err := resolve(x.root, l)
		if err != nil {
			return err
		}
		if !inside {
			t, _ := x.root.Readlink(l)
			x.root.Remove(l) // the caller may not remove dest at once
			return badinput.Errorf("archive symlink %q -> %q points outside the destination once the archive is unpacked: refusing the archive", l, t)
		}
	}
	return nil
}

// maxHops bounds the symlinks followed in one resolution (Linux: 40).
const maxHops = 40

// resolve follows the slash path p (relative to root) through the tree as
// the kernel would, and returns where it ends, relative to root. inside is
// false if any step leaves root. Names that do not exist (yet) are taken
// as they are.
func resolve(root *os.Root, p string) (resolved string, inside bool, err error) {
	todo := strings.Split(p, "/")
	var cur []string // real directories, no links
	for hops := 0; len(todo) > 0; {
		el := todo[0]
		todo = todo[1:]
		switch el {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", false, nil
			}
			cur = cur[:len(cur)-1]
			continue
		}
		next := strings.Join(append(cur[:len(cur):len(cur)], el), "/")
		fi, err := root.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, el)
			continue
		}
		if hops++; hops > maxHops {
			return "", false, badinput.Errorf("archive symlinks loop at %q: refusing the archive", next)
		}
		t, err := root.Readlink(next)
		if err != nil {
			return "", false, err
		}
		if path.IsAbs(t) {
			return "", false, nil
		}
		todo = append(strings.Split(t, "/"), todo...)
	}
	return strings.Join(cur, "/"), true, nil
}

func (x *extraction) writeFile(name string, fi archives.FileInfo, perm fs.FileMode) error {
	in, err := fi.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return badinput.Errorf("archive has %q twice: refusing the archive", name)
	}
	if err != nil {
		return err
	}
	// The entry's size was charged already; a zip whose data outgrows its
	// header is stopped at the budget, not trusted.
	left := x.maxBytes - x.bytes + max(fi.Size(), 0)
	n, err := io.Copy(out, io.LimitReader(in, left+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > left {
		err = x.tooBig(fi.NameInArchive)
	}
	if err == nil && n > fi.Size() {
		x.bytes += n - fi.Size()
	}
	return err
}
