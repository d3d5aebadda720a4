// Package fetch gets pinned artifacts into the store. It looks in the store,
// then in each mirror, then (unless offline) at the pin's upstream URLs,
// downloads with go-getter, and keeps only bytes whose sha256 is the pin's.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	getter "github.com/hashicorp/go-getter"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/progress"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

// Fetcher finds pinned artifacts.
type Fetcher struct {
	Store    *store.Store
	Mirrors  []string // file:// or http(s):// URLs, or plain directory paths
	Offline  bool     // never try upstream URLs
	Progress *progress.Reporter
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
		res, err := f.tryBase(ctx, pin, src)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, errNotFound):
			looked = append(looked, src.display(pin))
		default:
			return nil, err
		}
	}
	where := strings.Join(looked, ", ")
	if where == "" {
		where = "nowhere (no mirrors and --offline)"
	}
	fix := "run 'make mirror' or 'mcc mirror add FILE' with the file, or pass --mirror URL"
	if f.Offline {
		fix += ", or drop --offline"
	}
	return nil, badinput.Errorf("pin %s (%s, sha256 %s) not found; looked in: %s; fix: %s", pin.Name, pin.File, pin.SHA256, where, fix)
}

var errNotFound = errors.New("not found")

// source is one place to look: a mirror base URL (file names appended) or an
// upstream URL (used as is).
type source struct {
	base     string
	upstream bool
}

func (s source) display(pin sysroots.Pin) string {
	if s.upstream {
		return s.base
	}
	return strings.TrimSuffix(s.base, "/") + "/{" + pin.File + ",sha256/" + pin.SHA256[:12] + "…}"
}

func (f *Fetcher) sources(pin sysroots.Pin) []source {
	var out []source
	for _, m := range f.Mirrors {
		out = append(out, source{base: MirrorURL(m)})
	}
	if !f.Offline {
		for _, u := range pin.URLs {
			out = append(out, source{base: u, upstream: true})
		}
	}
	return out
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

// candidates are the URLs a source may hold the artifact (or its signature) at.
func (s source) candidates(names ...string) []string {
	if s.upstream {
		return []string{s.base}
	}
	var out []string
	for _, n := range names {
		out = append(out, strings.TrimSuffix(s.base, "/")+"/"+n)
	}
	return out
}

func (f *Fetcher) tryBase(ctx context.Context, pin sysroots.Pin, src source) (*Result, error) {
	names := append([]string{pin.File, "sha256/" + pin.SHA256}, pin.Aliases...)
	for _, u := range src.candidates(names...) {
		p, err := f.download(ctx, u)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return f.keep(ctx, pin, src, u, p)
	}
	return nil, errNotFound
}

// keep checks the downloaded file against the pin and stores it.
func (f *Fetcher) keep(ctx context.Context, pin sysroots.Pin, src source, u, tmp string) (*Result, error) {
	defer os.Remove(tmp)
	r, err := os.Open(tmp)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	path, err := f.Store.PutBlob(pin.SHA256, r)
	var mm *store.DigestMismatch
	if errors.As(err, &mm) {
		return nil, badinput.Errorf("pin %s: checksum mismatch for %s: expected sha256 %s, got %s; nothing was kept: replace the file in the mirror with the pinned one", pin.Name, u, mm.Want, mm.Got)
	}
	if err != nil {
		return nil, err
	}
	info := store.BlobInfo{Pin: pin.Name, Source: u, Signature: "no signature pinned"}
	if pin.Signature != nil {
		info.Signature, err = f.checkSignature(ctx, pin, src, path)
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

func (f *Fetcher) checkSignature(ctx context.Context, pin sysroots.Pin, src source, data string) (string, error) {
	sigNames := []string{pin.Signature.File}
	for _, a := range pin.Aliases {
		sigNames = append(sigNames, a+".asc")
	}
	cands := src.candidates(sigNames...)
	if src.upstream {
		cands = pin.Signature.URLs
	}
	for _, u := range cands {
		p, err := f.download(ctx, u)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		defer os.Remove(p)
		if err := VerifyFile(pin, data, p); err != nil {
			return "", err
		}
		return "verified: key " + pin.Signature.Fingerprint, nil
	}
	return "not verified: no signature found beside the artifact (the sha256 pin still holds)", nil
}

// download copies u into a new temp file in the store and returns its path.
func (f *Fetcher) download(ctx context.Context, u string) (string, error) {
	if strings.HasPrefix(u, "file://") {
		pu, err := url.Parse(u)
		if err != nil {
			return "", err
		}
		if st, err := os.Stat(pu.Path); err != nil || !st.Mode().IsRegular() {
			return "", errNotFound
		}
	}
	dst := filepath.Join(f.Store.Root, "tmp", fmt.Sprintf("blob-dl-%d-%s", os.Getpid(), randSuffix()))
	c := &getter.Client{
		Ctx:              ctx,
		Src:              u,
		Dst:              dst,
		Mode:             getter.ClientModeFile,
		Decompressors:    map[string]getter.Decompressor{}, // keep archives as they are: we hash the bytes
		Detectors:        []getter.Detector{new(getter.FileDetector)},
		Getters:          getters(),
		ProgressListener: f.Progress,
	}
	if err := c.Get(); err != nil {
		os.Remove(dst)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if isNotFound(err) {
			return "", errNotFound
		}
		// An unreachable host is one more place that did not have it.
		return "", fmt.Errorf("%w: %v", errNotFound, err)
	}
	return dst, nil
}

func getters() map[string]getter.Getter {
	h := &getter.HttpGetter{XTerraformGetDisabled: true}
	return map[string]getter.Getter{
		"file":  &getter.FileGetter{Copy: true},
		"http":  h,
		"https": h,
	}
}

func isNotFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "404") || strings.Contains(s, "no such file")
}
