package fetch

import (
	"context"
	"os"

	"github.com/mcc-build/mcc/sysroots"
)

// URLCheck is what one URL of a pin's location served.
type URLCheck struct {
	Pin      string `json:"pin"`
	Location string `json:"location"`
	URL      string `json:"url,omitempty"`
	OK       bool   `json:"ok"`
	Status   string `json:"status"` // "serves the pinned bytes", or why not
}

// Check asks every URL of every location of the pin (never the store or a
// mirror) whether it serves the pinned bytes, and its signature locations
// whether they serve a signature by the pinned key. It is the maintainers'
// proof that a pin still lasts; an error is returned only when the check
// itself cannot go on (interrupted, disk full).
func (f *Fetcher) Check(ctx context.Context, pin sysroots.Pin) ([]URLCheck, error) {
	var out []URLCheck
	good := ""
	defer func() {
		if good != "" {
			os.Remove(good)
		}
	}()
	for _, l := range f.resolver().Resolve(pin.Locations) {
		if l.Err != nil {
			out = append(out, URLCheck{Pin: pin.Name, Location: l.Raw, Status: l.Err.Error()})
			continue
		}
		for _, u := range l.URLs {
			c, p, err := f.checkURL(ctx, pin, l.Raw, u)
			if err != nil {
				return out, err
			}
			if p != "" && good == "" {
				good = p
			} else if p != "" {
				os.Remove(p)
			}
			out = append(out, c)
		}
	}
	if pin.Signature == nil {
		return out, nil
	}
	for _, l := range f.resolver().Resolve(pin.Signature.Locations) {
		for _, u := range l.URLs {
			c := URLCheck{Pin: pin.Name + " (signature)", Location: l.Raw, URL: u}
			var err error
			if good == "" {
				c.Status = "not checked: no location served the artifact"
			} else if c.Status, c.OK, err = f.checkSignatureURL(ctx, pin, u, good); err != nil {
				return out, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// checkSignatureURL says whether u serves a signature by the pinned key
// over the artifact at data, or why not.
func (f *Fetcher) checkSignatureURL(ctx context.Context, pin sysroots.Pin, u, data string) (string, bool, error) {
	p, err := f.download(ctx, u, 1<<20)
	if err != nil {
		if stop := fatal(ctx, err); stop != nil {
			return "", false, stop
		}
		return describe(err, f.timeouts()), false, nil
	}
	defer os.Remove(p)
	if err := VerifyFile(pin, data, p); err != nil {
		return err.Error(), false, nil
	}
	return "signed by " + pin.Signature.Fingerprint, true, nil
}

// checkURL downloads u and compares it with the pin; it returns the
// downloaded file when it is the pinned one.
func (f *Fetcher) checkURL(ctx context.Context, pin sysroots.Pin, loc, u string) (URLCheck, string, error) {
	c := URLCheck{Pin: pin.Name, Location: loc, URL: u}
	p, err := f.download(ctx, u, pin.Size)
	if err != nil {
		if stop := fatal(ctx, err); stop != nil {
			return c, "", stop
		}
		c.Status = describe(err, f.timeouts())
		return c, "", nil
	}
	if err := checkFile(pin, p, true); err != nil {
		os.Remove(p)
		c.Status = "serves other bytes: " + err.Error()
		return c, "", nil
	}
	c.OK, c.Status = true, "serves the pinned bytes"
	return c, p, nil
}
