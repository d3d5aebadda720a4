// Package unpack extracts source archives (tar.gz, tar.xz, zip, ...) with
// github.com/mholt/archives, refusing anything that would land outside the
// destination: absolute or ".." names, links pointing out, device files.
// Writes go through an os.Root, so even a symlink planted by an earlier
// entry cannot redirect a later write.
package unpack

import (
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

// Options tune an extraction.
type Options struct {
	// StripComponents drops that many leading path elements, like tar's
	// --strip-components (source tarballs have one top directory).
	StripComponents int
	// Skip, if set, leaves out entries whose cleaned name it returns true for.
	Skip func(name string) bool
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
	err = ex.Extract(ctx, stream, func(ctx context.Context, fi archives.FileInfo) error {
		return extractOne(root, fi, opts)
	})
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

func extractOne(root *os.Root, fi archives.FileInfo, opts Options) error {
	name, ok, err := Name(fi.NameInArchive, opts.StripComponents)
	if err != nil || !ok || (opts.Skip != nil && opts.Skip(name)) {
		return err
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	mode := fi.Mode()
	switch {
	case fi.IsDir():
		return root.MkdirAll(name, 0o755)
	case mode&fs.ModeSymlink != 0:
		return symlink(root, name, fi.LinkTarget)
	case fi.LinkTarget != "": // hard link to an earlier entry
		target, _, err := Name(fi.LinkTarget, opts.StripComponents)
		if err != nil {
			return err
		}
		return root.Link(target, name)
	case !mode.IsRegular():
		return badinput.Errorf("archive entry %q is a %v, not a file: refusing the archive", fi.NameInArchive, mode.Type())
	}
	return writeFile(root, name, fi, mode.Perm()|0o600)
}

func symlink(root *os.Root, name, target string) error {
	resolved := path.Join(path.Dir(name), target)
	if path.IsAbs(target) || resolved == ".." || strings.HasPrefix(resolved, "../") {
		return badinput.Errorf("archive symlink %q -> %q points outside the destination: refusing the archive", name, target)
	}
	return root.Symlink(target, name)
}

func writeFile(root *os.Root, name string, fi archives.FileInfo, perm fs.FileMode) error {
	in, err := fi.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return badinput.Errorf("archive has %q twice: refusing the archive", name)
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
