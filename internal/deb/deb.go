// Package deb reads Unix ar archives, the container of both static
// libraries (.a) and Debian packages (.deb), and unpacks a .deb's data.tar.
//
// The ar reader is hand-written on purpose. pault.ag/go/debian v0.19.0
// (the .deb library, served by the module proxy) was tried on a gcc-built
// libx.a and on the pinned kernel-headers .debs: its ar reader leaves GNU
// long member names unresolved ("/0" for a_very_long_object_file_name.o),
// names the symbol table "" and the name table "/", and reads a truncated
// archive to a clean io.EOF, so it cannot check the static libraries mcc
// links ([DllImport] natives, libc.a). Its .deb reader decompresses
// data.tar with its own stack (xi2/xz, kjk/lzma), a second one beside
// internal/unpack's mholt/archives, which already unpacks data.tar.* with
// its path checks and size budgets; so a .deb here is ar (this package)
// plus unpack. mcc reads no .dsc files.
package deb

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mcc-build/mcc/internal/unpack"
)

// Member is one file of an ar archive. Data aliases the archive's bytes.
type Member struct {
	Name string
	Data []byte
}

// Magic starts every ar archive.
const Magic = "!<arch>\n"

const headerSize = 60

// Read splits an ar archive in the System V / GNU format (what binutils'
// ar and dpkg-deb write), resolving GNU long names ("/N" into the "//"
// table) and dropping the trailing "/" of short ones. The symbol table
// ("/", "/SYM64/") and the name table ("//") are members too, under those
// names. BSD long names ("#1/N", macOS ar) are not read: mcc's archives
// come from GNU binutils and dpkg.
func Read(b []byte) ([]Member, error) {
	if !bytes.HasPrefix(b, []byte(Magic)) {
		return nil, fmt.Errorf("not an ar archive")
	}
	var longNames []byte
	var out []Member
	for off := len(Magic); off < len(b); {
		data, raw, err := member(b, off)
		if err != nil {
			return nil, err
		}
		name, err := memberName(raw, longNames)
		if err != nil {
			return nil, err
		}
		if raw == "//" {
			longNames = data
		}
		out = append(out, Member{Name: name, Data: data})
		off += headerSize + len(data)
		off += off & 1 // members start on even offsets
	}
	return out, nil
}

// member reads the header at off and returns the member's bytes and its
// raw name field.
func member(b []byte, off int) (data []byte, name string, err error) {
	if off+headerSize > len(b) {
		return nil, "", fmt.Errorf("truncated ar header at %d", off)
	}
	h := b[off : off+headerSize]
	if string(h[58:60]) != "`\n" {
		return nil, "", fmt.Errorf("bad ar header at %d", off)
	}
	size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
	if err != nil || size < 0 || int64(off+headerSize)+size > int64(len(b)) {
		return nil, "", fmt.Errorf("bad ar member size at %d", off)
	}
	return b[off+headerSize : off+headerSize+int(size)], strings.TrimRight(string(h[0:16]), " "), nil
}

func memberName(name string, longNames []byte) (string, error) {
	switch {
	case strings.HasPrefix(name, "/") && len(name) > 1 && name[1] >= '0' && name[1] <= '9':
		i, err := strconv.Atoi(name[1:])
		if err != nil || i >= len(longNames) {
			return "", fmt.Errorf("bad ar long name %q", name)
		}
		n := longNames[i:]
		if j := bytes.Index(n, []byte("/\n")); j >= 0 {
			n = n[:j]
		}
		return string(n), nil
	case !strings.HasPrefix(name, "/") && strings.HasSuffix(name, "/"):
		return strings.TrimSuffix(name, "/"), nil
	}
	return name, nil
}

// ReadFile reads the ar archive at path; errors name the file.
func ReadFile(path string) ([]Member, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Read(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ExtractData unpacks the data.tar.* member of the Debian package at debPath
// into dest (which must exist) with unpack.Archive, which decompresses it
// (xz, zstd, gzip, ...) and refuses what would land outside dest.
func ExtractData(ctx context.Context, debPath, dest string, opts unpack.Options) error {
	members, err := ReadFile(debPath)
	if err != nil {
		return err
	}
	var data *Member
	for i := range members {
		if strings.HasPrefix(members[i].Name, "data.tar") {
			data = &members[i]
		}
	}
	if data == nil {
		return fmt.Errorf("%s: no data.tar member", debPath)
	}
	// unpack reads files: the member goes to a private dir beside dest,
	// under its own name, whose suffix says how it is compressed.
	staging, err := os.MkdirTemp(filepath.Dir(dest), ".deb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	tmp := filepath.Join(staging, filepath.Base(data.Name))
	if err := os.WriteFile(tmp, data.Data, 0o644); err != nil {
		return err
	}
	return unpack.Archive(ctx, tmp, dest, opts)
}
