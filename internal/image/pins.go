package image

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/mcc-build/mcc/sysroots"
)

// The pinned Debian packages an image may hold (sysroots/cacerts.json and
// sysroots/tzdata.json). fetch.Fetcher gets them into the store; Build
// reads them from the paths it is given and checks them against the pins.
var (
	CACertsPin = mustPin("ca-roots")
	TzdataPin  = mustPin("zoneinfo")
)

func mustPin(name string) sysroots.Pin {
	p, err := sysroots.Lookup(name)
	if err != nil {
		panic(err) // the pins are embedded: a missing one is a build defect
	}
	return p
}

// debName is a Debian package's name, version and architecture, read from
// its pinned file name (NAME_VERSION_ARCH.deb, the archive's convention).
type debName struct{ Name, Version, Arch string }

func parseDebName(file string) debName {
	parts := strings.Split(strings.TrimSuffix(file, ".deb"), "_")
	if len(parts) != 3 {
		return debName{Name: file}
	}
	v, err := url.PathUnescape(parts[1]) // epochs are written %3a
	if err != nil {
		v = parts[1]
	}
	return debName{parts[0], v, parts[2]}
}

// aptHint says how to get a pinned .deb without the internet's help.
func aptHint(p sysroots.Pin) string {
	d := parseDebName(p.File)
	return "apt-get download " + d.Name + "=" + d.Version
}

// pinLabel is a pin as one label value: NAME VERSION sha256:HEX.
func pinLabel(p sysroots.Pin) string {
	d := parseDebName(p.File)
	return d.Name + " " + d.Version + " sha256:" + p.SHA256
}

// debPURL is the package URL of a Debian 12 binary package.
func debPURL(p sysroots.Pin) string {
	d := parseDebName(p.File)
	return "pkg:deb/debian/" + d.Name + "@" + url.PathEscape(d.Version) + "?arch=" + d.Arch + "&distro=debian-12"
}

// CACertsFile is where the certificate bundle lives in an image: the path
// Go's crypto/x509 and OpenSSL look at first on Debian-like systems.
const CACertsFile = "/etc/ssl/certs/ca-certificates.crt"

// caCertEntries turns the pinned ca-certificates .deb into a PEM bundle:
// the package's Mozilla certificates concatenated in name order, which is
// what update-ca-certificates produces from Debian's default config, plus
// the package's copyright file.
func caCertEntries(debPath string) ([]Entry, error) {
	deb, err := openPinned(debPath, CACertsPin)
	if err != nil {
		return nil, err
	}
	files, err := readDeb(deb, func(p string) bool {
		return (strings.HasPrefix(p, "/usr/share/ca-certificates/mozilla/") && strings.HasSuffix(p, ".crt")) ||
			p == "/usr/share/doc/ca-certificates/copyright"
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", debPath, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var bundle bytes.Buffer
	var out []Entry
	n := 0
	for _, f := range files {
		if path.Ext(f.Path) != ".crt" {
			out = append(out, Entry{Path: f.Path, Mode: 0o644, Data: f.Data})
			continue
		}
		if f.Linkname != "" {
			continue
		}
		bundle.Write(bytes.TrimRight(f.Data, "\n"))
		bundle.WriteByte('\n')
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no certificates under /usr/share/ca-certificates/mozilla", debPath)
	}
	return append(out, Entry{Path: CACertsFile, Mode: 0o644, Data: bundle.Bytes()}), nil
}

// tzdataEntries gives /usr/share/zoneinfo from the pinned tzdata .deb,
// without the right/ (leap second) copies that double its size.
func tzdataEntries(debPath string) ([]Entry, error) {
	deb, err := openPinned(debPath, TzdataPin)
	if err != nil {
		return nil, err
	}
	files, err := readDeb(deb, func(p string) bool {
		return (strings.HasPrefix(p, "/usr/share/zoneinfo/") && !strings.HasPrefix(p, "/usr/share/zoneinfo/right/")) ||
			p == "/usr/share/doc/tzdata/copyright"
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", debPath, err)
	}
	var out []Entry
	for _, f := range files {
		if strings.HasPrefix(f.Linkname, "../right/") || strings.Contains(f.Linkname, "/right/") {
			continue
		}
		e := Entry{Path: f.Path, Mode: 0o644, Linkname: f.Linkname, Data: f.Data}
		if f.Linkname != "" {
			e.Mode = 0o777
		}
		out = append(out, e)
	}
	if len(out) < 100 {
		return nil, fmt.Errorf("%s holds no zoneinfo files", debPath)
	}
	return out, nil
}
