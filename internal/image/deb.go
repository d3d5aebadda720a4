package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/sysroots"
)

// debFile is one regular file or symlink read from a Debian package.
type debFile struct {
	Path     string // absolute, cleaned
	Mode     int64
	Linkname string
	Data     []byte
}

// openPinned opens a file that must match pin, by size and sha256.
func openPinned(file string, pin sysroots.Pin) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, badinput.Errorf("reading %s (pinned %s): %v: get it with '%s'", file, pin.File, unwrapPath(err), aptHint(pin))
	}
	got := sha256.Sum256(b)
	if hex.EncodeToString(got[:]) != pin.SHA256 {
		return nil, badinput.Errorf("%s has sha256 %x, but pin %s wants %s (%s): get the pinned file with '%s'", file, got, pin.Name, pin.SHA256, pin.File, aptHint(pin))
	}
	return b, nil
}

// readDeb returns the files of a .deb's data archive that keep() accepts.
// It reads the ar container and the data.tar.{xz,gz,zst} inside it in Go,
// so no dpkg is needed; paths that would leave the root are refused.
func readDeb(deb []byte, keep func(p string) bool) ([]debFile, error) {
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(deb, []byte(magic)) {
		return nil, errors.New("not a Debian package (no ar header)")
	}
	r := bytes.NewReader(deb[len(magic):])
	for {
		var hdr [60]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("no data.tar member in the Debian package")
			}
			return nil, fmt.Errorf("reading ar header: %w", err)
		}
		name := strings.TrimRight(strings.TrimSpace(string(hdr[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || size > int64(r.Len()) {
			return nil, fmt.Errorf("bad ar member size for %q", name)
		}
		body := io.NewSectionReader(r, int64(len(deb)-len(magic)-r.Len()), size)
		if strings.HasPrefix(name, "data.tar") {
			dec, err := decompressor(name, body)
			if err != nil {
				return nil, err
			}
			return readDataTar(dec, keep)
		}
		if _, err := r.Seek(size+size%2, io.SeekCurrent); err != nil {
			return nil, err
		}
	}
}

func decompressor(name string, r io.Reader) (io.Reader, error) {
	switch path.Ext(name) {
	case ".xz":
		return xz.NewReader(bufio.NewReader(r))
	case ".gz":
		return gzip.NewReader(r)
	case ".zst":
		d, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case ".tar":
		return r, nil
	}
	return nil, fmt.Errorf("unsupported data member %s in the Debian package", name)
}

func readDataTar(r io.Reader, keep func(p string) bool) ([]debFile, error) {
	tr := tar.NewReader(r)
	var out []debFile
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading data.tar: %w", err)
		}
		p := path.Clean("/" + h.Name)
		// Clean under "/" cannot climb above the root: a "../x" entry
		// lands at /x and is then filtered by keep like any other.
		if !keep(p) {
			continue
		}
		f := debFile{Path: p, Mode: h.Mode & 0o7777}
		switch h.Typeflag {
		case tar.TypeReg:
			if f.Data, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("reading %s from the package: %w", p, err)
			}
		case tar.TypeSymlink:
			target := h.Linkname
			if !path.IsAbs(target) {
				target = path.Join(path.Dir(p), target)
			}
			if !strings.HasPrefix(path.Clean(target), "/usr/") && !strings.HasPrefix(path.Clean(target), "/etc/") {
				return nil, fmt.Errorf("package symlink %s -> %s points outside /usr and /etc", p, h.Linkname)
			}
			f.Linkname = h.Linkname
		case tar.TypeDir:
			continue
		default:
			continue
		}
		out = append(out, f)
	}
}
