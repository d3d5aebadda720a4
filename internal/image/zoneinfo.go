package image

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// ZoneinfoDir is where zone files live in an image: the first place Go's
// time package, musl and glibc look.
const ZoneinfoDir = "/usr/share/zoneinfo"

// ZoneinfoLicense is the license of the Go distribution the zones come from.
const ZoneinfoLicense = "/usr/share/doc/zoneinfo/LICENSE"

// zoneinfoPath is lib/time/zoneinfo.zip in the Go SDK module: the IANA zones
// compiled by zic, one uncompressed zip entry per zone (right/ leap-second
// copies are not in it).
const zoneinfoPath = "lib/time/zoneinfo.zip"

// Limits for the inner zip: Go's holds ~600 zones in ~400 KB.
const (
	maxZoneinfoZip = 8 << 20
	maxZoneFile    = 1 << 20
	maxZones       = 10000
)

// readZoneinfo gives ZoneinfoDir's files from the pinned Go SDK module zip
// and Go's LICENSE beside them. It reads only the one inner zip out of the
// 71 MB SDK: straight from the file when the entry is stored, else into
// memory.
func readZoneinfo(file string) ([]Node, error) {
	z, err := openPinnedZip(file, ZoneinfoPin)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	inner, err := z.innerZip(zoneinfoPath, maxZoneinfoZip)
	if err != nil {
		return nil, fmt.Errorf("pin %s: %w", ZoneinfoPin.Name, err)
	}
	license, err := z.read("LICENSE", 1<<20)
	if err != nil {
		return nil, fmt.Errorf("pin %s: %w", ZoneinfoPin.Name, err)
	}
	out, err := zoneEntries(inner)
	if err != nil {
		return nil, fmt.Errorf("pin %s: %s: %w", ZoneinfoPin.Name, zoneinfoPath, err)
	}
	return append(out, Node{Path: ZoneinfoLicense, Mode: 0o644, Data: license}), nil
}

// innerZip opens a zip stored inside the module zip.
func (z *pinnedZip) innerZip(name string, max int64) (*zip.Reader, error) {
	zf, err := z.find(name)
	if err != nil {
		return nil, err
	}
	if zf.Method == zip.Store {
		off, err := zf.DataOffset()
		if err != nil {
			return nil, err
		}
		return zip.NewReader(io.NewSectionReader(z.f, off, int64(zf.CompressedSize64)), int64(zf.CompressedSize64))
	}
	b, err := z.read(name, max)
	if err != nil {
		return nil, err
	}
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}

// zoneEntries turns the zones of Go's zoneinfo.zip into regular files.
func zoneEntries(zr *zip.Reader) ([]Node, error) {
	if len(zr.File) > maxZones {
		return nil, fmt.Errorf("%d entries, more than the %d a zone database has", len(zr.File), maxZones)
	}
	var out []Node
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") {
			continue
		}
		if !fs.ValidPath(zf.Name) || strings.HasPrefix(zf.Name, "right/") {
			return nil, fmt.Errorf("unexpected entry %q", zf.Name)
		}
		if zf.UncompressedSize64 > maxZoneFile {
			return nil, fmt.Errorf("%s is %d bytes, larger than any zone", zf.Name, zf.UncompressedSize64)
		}
		data, err := readZipFile(zf, maxZoneFile)
		if err != nil {
			return nil, err
		}
		out = append(out, Node{Path: ZoneinfoDir + "/" + zf.Name, Mode: 0o644, Data: data})
	}
	if len(out) < 100 {
		return nil, fmt.Errorf("holds %d zones, want hundreds", len(out))
	}
	return out, nil
}

func readZipFile(zf *zip.File, max int64) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", zf.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", zf.Name, err)
	}
	return b, nil
}
