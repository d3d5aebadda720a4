// Package fetch gets pinned artifacts into the store. It looks in the store,
// then in each mirror, then (unless offline) at the pin's own locations
// (upstream URLs, Debian archive paths, Go module zips; see Resolver), and
// keeps only bytes whose size and sha256 are the pin's.
//
// Downloads go through github.com/hashicorp/go-getter/v2 with only its file
// and HTTP getters (v1 linked S3, GCS and gRPC clients into every mcc), over
// an HTTP client whose connect, header and idle timeouts mcc sets, so a
// silent peer ends in an error that names the timeout.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	getter "github.com/hashicorp/go-getter/v2"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/progress"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

// Fetcher finds pinned artifacts.
type Fetcher struct {
	Store    *store.Store
	Mirrors  []string // file:// or http(s):// URLs, or plain directory paths
	Offline  bool     // never try the pins' own locations
	Progress *progress.Reporter
	Resolver *Resolver // nil: apt's archives and GOPROXY, read when needed
	Timeouts Timeouts  // zero fields: DefaultTimeouts()
}

// Result is a pinned artifact in the store.
type Result struct {
	Path    string         // read-only file in the store
	Info    store.BlobInfo // where it came from, whether its signature was verified
	Fetched bool           // false when the store already had it
}

// Fetch returns the pinned artifact, fetching it if the store lacks it.
func (f *Fetcher) Fetch(ctx context.Context, pin sysroots.Pin) (*Result, error) {
	if p, ok := f.Store.Blob(pin.SHA256); ok {
		info, _ := f.Store.GetBlobInfo(pin.SHA256)
		return &Result{Path: p, Info: info}, nil
	}
	var looked []string
	for _, src := range f.sources(pin) {
		res, why, err := f.trySource(ctx, pin, src)
		if err != nil {
			return nil, err
		}
		if res != nil {
			return res, nil
		}
		looked = append(looked, src.label+" ("+why+")")
	}
	return nil, f.notFound(pin, looked)
}

func (f *Fetcher) notFound(pin sysroots.Pin, looked []string) error {
	where := strings.Join(looked, "; ")
	if where == "" {
		where = "nowhere (no mirrors and --offline)"
	}
	fix := "check the network and the places above, or seed a mirror on a connected machine with 'mcc mirror fill DIR' and pass --mirror DIR"
	if f.Offline {
		fix = "drop --offline, or seed a mirror on a connected machine with 'mcc mirror fill DIR' and pass --mirror DIR"
	}
	return badinput.Errorf("pin %s (%s, sha256 %s…) not found; looked in: %s; fix: %s", pin.Name, pin.File, pin.SHA256[:12], where, fix)
}

// source is one place to look: a mirror (several names tried) or one of
// the pin's locations (its resolved URLs tried in order).
type source struct {
	label    string   // for messages
	mirror   bool     // a mirror, not one of the pin's own locations
	urls     []string // candidates for the artifact
	sigURLs  []string // candidates for its signature
	resolveE error    // the location could not be resolved
}

func (f *Fetcher) sources(pin sysroots.Pin) []source {
	var out []source
	for _, m := range f.Mirrors {
		base := strings.TrimSuffix(MirrorURL(m), "/")
		s := source{label: "mirror " + base, mirror: true}
		for _, n := range pin.MirrorNames() {
			s.urls = append(s.urls, base+"/"+n)
		}
		for _, n := range pin.SignatureMirrorNames() {
			s.sigURLs = append(s.sigURLs, base+"/"+n)
		}
		out = append(out, s)
	}
	if f.Offline {
		return out
	}
	var sigURLs []string
	if pin.Signature != nil {
		for _, l := range f.resolver().Resolve(pin.Signature.Locations) {
			sigURLs = append(sigURLs, l.URLs...)
		}
	}
	for _, l := range f.resolver().Resolve(pin.Locations) {
		out = append(out, source{label: l.Raw, urls: l.URLs, sigURLs: sigURLs, resolveE: l.Err})
	}
	return out
}

func (f *Fetcher) resolver() *Resolver {
	if f.Resolver == nil {
		f.Resolver = &Resolver{}
	}
	return f.Resolver
}

// MirrorURL turns a plain directory path into a file:// URL.
func MirrorURL(m string) string {
	if strings.Contains(m, "://") {
		return m
	}
	abs, err := filepath.Abs(m)
	if err != nil {
		abs = m
	}
	return (&url.URL{Scheme: "file", Path: abs}).String()
}

// trySource returns the kept artifact, or why this source did not have it,
// or an error that must end the search (disk full, interrupted, tampered).
func (f *Fetcher) trySource(ctx context.Context, pin sysroots.Pin, src source) (*Result, string, error) {
	if src.resolveE != nil {
		return nil, src.resolveE.Error(), nil
	}
	var reasons []string
	for _, u := range src.urls {
		p, err := f.download(ctx, u, pin.Size)
		if err != nil {
			if stop := fatal(ctx, err); stop != nil {
				return nil, "", stop
			}
			reasons = append(reasons, describe(err, f.timeouts()))
			continue
		}
		res, err := f.keep(ctx, pin, src, u, p)
		return res, "", err
	}
	return nil, summarize(reasons, src.mirror), nil
}

// summarize says why a source failed: one reason when all agree.
func summarize(reasons []string, mirror bool) string {
	uniq := map[string]bool{}
	var list []string
	for _, r := range reasons {
		if !uniq[r] {
			uniq[r] = true
			list = append(list, r)
		}
	}
	if len(list) == 1 || mirror && len(list) > 0 {
		return list[0]
	}
	return strings.Join(list, ", ")
}

// keep checks the downloaded file against the pin and stores it.
func (f *Fetcher) keep(ctx context.Context, pin sysroots.Pin, src source, u, tmp string) (*Result, error) {
	defer os.Remove(tmp)
	if err := checkFile(pin, tmp, false); err != nil {
		return nil, badinput.Errorf("pin %s: %s served by %s; nothing was kept: replace the file there with the pinned one, or drop that source", pin.Name, err, u)
	}
	r, err := os.Open(tmp)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	path, err := f.Store.PutBlob(pin.SHA256, r)
	var mm *store.DigestMismatch
	if errors.As(err, &mm) {
		return nil, badinput.Errorf("pin %s: checksum mismatch for %s: expected sha256 %s, got %s; nothing was kept: replace the file there with the pinned one", pin.Name, u, mm.Want, mm.Got)
	}
	if err != nil {
		return nil, fmt.Errorf("storing pin %s: %w", pin.Name, err)
	}
	info := store.BlobInfo{Pin: pin.Name, Source: u, Signature: "no signature pinned"}
	if pin.Signature != nil {
		info.Signature, err = f.checkSignature(ctx, pin, src.sigURLs, path)
		if err != nil {
			os.Remove(path) // verified bytes with a bad signature: keep nothing
			return nil, err
		}
	}
	if err := f.Store.SetBlobInfo(pin.SHA256, info); err != nil {
		return nil, err
	}
	return &Result{Path: path, Info: info, Fetched: true}, nil
}

// checkFile compares a file with the pin: size first (cheap, clear), then
// (with sha) sha256, then for module zips the go.sum hash the checksum
// database vouches for. keep passes sha=false: Store.PutBlob hashes the
// bytes while it copies them, and a second pass over 117 MB is waste.
func checkFile(pin sysroots.Pin, p string, sha bool) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.Size() != pin.Size {
		return fmt.Errorf("size mismatch: expected %d bytes, got %d", pin.Size, st.Size())
	}
	if sha {
		sum, err := store.FileSHA256(p)
		if err != nil {
			return err
		}
		if sum != pin.SHA256 {
			return fmt.Errorf("checksum mismatch: expected sha256 %s, got %s", pin.SHA256, sum)
		}
	}
	if pin.H1 != "" {
		h1, err := dirhash.HashZip(p, dirhash.Hash1)
		if err != nil {
			return fmt.Errorf("reading module zip: %v", err)
		}
		if h1 != pin.H1 {
			return fmt.Errorf("module hash mismatch: expected %s, got %s", pin.H1, h1)
		}
	}
	return nil
}

func (f *Fetcher) checkSignature(ctx context.Context, pin sysroots.Pin, urls []string, data string) (string, error) {
	p, err := f.FetchSignature(ctx, pin, urls, data)
	if err != nil || p == "" {
		return "not verified: no signature found beside the artifact (the sha256 pin still holds)", err
	}
	os.Remove(p)
	return "verified: key " + pin.Signature.Fingerprint, nil
}

// FetchSignature downloads the pin's detached signature from the first of
// urls that has one and verifies it over data. It returns the signature's
// temp path (the caller removes it), or "" when no URL had one.
func (f *Fetcher) FetchSignature(ctx context.Context, pin sysroots.Pin, urls []string, data string) (string, error) {
	for _, u := range urls {
		p, err := f.download(ctx, u, 1<<20)
		if err != nil {
			if stop := fatal(ctx, err); stop != nil {
				return "", stop
			}
			continue
		}
		if err := VerifyFile(pin, data, p); err != nil {
			os.Remove(p)
			return "", err
		}
		return p, nil
	}
	return "", nil
}

// SignatureURLs lists where the pin's signature may be: in each mirror,
// then (unless offline) at the signature's own locations.
func (f *Fetcher) SignatureURLs(pin sysroots.Pin) []string {
	var out []string
	for _, s := range f.sources(pin) {
		if !s.mirror {
			return append(out, s.sigURLs...) // the same list on every location
		}
		out = append(out, s.sigURLs...)
	}
	return out
}

// download copies u into a new temp file in the store and returns its path.
// It never reads more than max+1 bytes: a larger answer is not the pin.
func (f *Fetcher) download(ctx context.Context, u string, max int64) (string, error) {
	if strings.HasPrefix(u, "file://") {
		pu, err := url.Parse(u)
		if err != nil {
			return "", err
		}
		// Only regular files: opening a FIFO would block forever.
		if st, err := os.Stat(pu.Path); err != nil || !st.Mode().IsRegular() {
			return "", errNotFound
		}
	}
	dst, err := f.Store.DownloadPath()
	if err != nil {
		return "", err
	}
	c := &getter.Client{
		Decompressors: map[string]getter.Decompressor{}, // keep archives as they are: we hash the bytes
		Getters: []getter.Getter{
			&getter.FileGetter{},
			&getter.HttpGetter{
				Client:                f.timeouts().client(),
				DoNotCheckHeadFirst:   true, // one request: a silent server is waited for once
				MaxBytes:              max + 1,
				XTerraformGetDisabled: true,
			},
		},
	}
	req := &getter.Request{Src: u, Dst: dst, GetMode: getter.ModeFile, Copy: true}
	if f.Progress != nil {
		req.ProgressListener = f.Progress
	}
	if _, err := c.Get(ctx, req); err != nil {
		os.Remove(dst)
		return "", err
	}
	return dst, nil
}

var errNotFound = errors.New("not found")
