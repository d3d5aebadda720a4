package image

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/sysroots"
)

// The pinned Go module zips an image may take files from (sysroots/image.json):
// Mozilla's root store as golang.org/x/crypto/x509roots/fallback carries it,
// and the zone data of the pinned Go SDK. fetch.Fetcher gets them into the
// store; Build reads them from the paths it is given and checks them against
// the pins, so a file given by hand is held to the same bytes.
var (
	CARootsPin  = mustPin("ca-roots")
	ZoneinfoPin = mustPin("zoneinfo")
)

func mustPin(name string) sysroots.Pin {
	p, err := sysroots.Lookup(name)
	if err != nil {
		panic(err) // the pins are embedded: a missing one is a build defect
	}
	return p
}

// pinModule is the MODULE@VERSION of a pin's gomod: location: the name a
// module zip's files live under, and what SBOMs and labels call it.
func pinModule(p sysroots.Pin) (mod, version string) {
	mod, version, ok := p.Module()
	if !ok {
		panic("pin " + p.Name + " has no gomod: location") // embedded pins: a build defect
	}
	return mod, version
}

// pinLabel is a pin as one label value: MODULE@VERSION sha256:HEX.
func pinLabel(p sysroots.Pin) string {
	mod, ver := pinModule(p)
	return mod + "@" + ver + " sha256:" + p.SHA256
}

// pinnedZip is an opened module zip whose bytes are the pin's.
type pinnedZip struct {
	*zip.Reader
	f      *os.File
	prefix string // MODULE@VERSION/, what every file name starts with
}

func (z *pinnedZip) Close() error { return z.f.Close() }

// openPinnedZip opens file, refuses it unless its size and sha256 are the
// pin's, and reads its zip directory. The hash is taken from the same open
// file the zip is then read from.
func openPinnedZip(file string, pin sysroots.Pin) (*pinnedZip, error) {
	fix := "drop the flag to let mcc fetch it, or pass the pinned file " + pin.File + " ('mcc mirror fill DIR' writes it)"
	if err := userfile.CheckInput(file); err != nil {
		return nil, badinput.Errorf("pin %s: %v; %s", pin.Name, err, fix)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, badinput.Errorf("pin %s: reading %s: %v; %s", pin.Name, file, unwrapPath(err), fix)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() != pin.Size {
		err = fmt.Errorf("%d bytes, the pin has %d", fi.Size(), pin.Size)
	}
	if err == nil {
		h := sha256.New()
		if _, err = io.Copy(h, f); err == nil {
			if got := hex.EncodeToString(h.Sum(nil)); got != pin.SHA256 {
				err = fmt.Errorf("sha256 %s, the pin has %s", got, pin.SHA256)
			}
		}
	}
	var zr *zip.Reader
	if err == nil {
		zr, err = zip.NewReader(f, fi.Size())
	}
	if err != nil {
		f.Close()
		return nil, badinput.Errorf("pin %s: %s is not the pinned %s: %v; %s", pin.Name, file, pin.File, err, fix)
	}
	mod, ver := pinModule(pin)
	return &pinnedZip{Reader: zr, f: f, prefix: mod + "@" + ver + "/"}, nil
}

// read returns the module file name (relative to the module root), at most
// max bytes of it.
func (z *pinnedZip) read(name string, max int64) ([]byte, error) {
	zf, err := z.find(name)
	if err != nil {
		return nil, err
	}
	if zf.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%s in the module zip is %d bytes, more than the %d expected", name, zf.UncompressedSize64, max)
	}
	return readZipFile(zf, max)
}

func (z *pinnedZip) find(name string) (*zip.File, error) {
	for _, zf := range z.File {
		if zf.Name == z.prefix+name {
			return zf, nil
		}
	}
	return nil, fmt.Errorf("the module zip has no %s", name)
}
