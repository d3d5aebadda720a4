package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/sysroots"
)

// Request is one 'mcc image' run as its flags give it: strings as the user
// wrote them, read and checked by Assemble.
type Request struct {
	Files     []string // the FILE arguments (one at most)
	Target    string   // the platform of FILE (the global --target), or ""
	Platforms []string // --platform OS/ARCH=FILE

	Output, Layout, Push string // -o OUT.tar, --layout DIR, --push REF
	Insecure             bool   // --insecure-registry
	Tag, Name            string // --tag NAME[:TAG], --name
	Entrypoint           string // a JSON array or a space-separated line
	Env, Labels, Adds    []string
	CAFiles              []string // --ca-file PEM
	NoCA, Tzdata         bool     // --no-ca-certs, --tzdata

	// CARoots and Zoneinfo are the pinned module zips given as files;
	// empty means fetched with Fetcher when needed.
	CARoots, Zoneinfo string
	ToolchainManifest string
	SourceDir         string

	// Fetcher gives what fetches the pinned module zips not given as files.
	// It is called only when one is needed: opening the store can fail, and
	// a run that needs no pin must not depend on it.
	Fetcher func() (PinFetcher, error)
}

// PinFetcher gets a pinned file into the store (*fetch.Fetcher does).
type PinFetcher interface {
	Fetch(ctx context.Context, pin sysroots.Pin) (*fetch.Result, error)
}

// Result is what Assemble made and wrote; it is the --json output.
type Result struct {
	Digest    string           `json:"digest"`
	Tag       string           `json:"tag"`
	Platforms []ResultPlatform `json:"platforms"`
	Output    string           `json:"output,omitempty"`
	Layout    string           `json:"layout,omitempty"`
	SBOM      []string         `json:"sbom,omitempty"`
	Pushed    string           `json:"pushed,omitempty"`
}

// ResultPlatform is one platform's image in a Result.
type ResultPlatform struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	Binary   string `json:"binary_sha256"`
}

// Assemble checks every input and output before any work, fetches the pins
// the image needs, builds the image and writes and pushes it. Errors caused
// by the request are bad input.
func Assemble(ctx context.Context, r Request) (*Result, error) {
	r.Tzdata = r.Tzdata || r.Zoneinfo != ""
	o, inputs, err := r.options()
	if err != nil {
		return nil, err
	}
	if r.Output == "" && r.Layout == "" && r.Push == "" {
		return nil, badinput.Errorf("mcc image: no output: give -o OUT.tar (and/or --layout DIR, --push REF) (see mcc image --help)")
	}
	if r.Tag == "" {
		n := o.Binaries[0].Path
		if r.Name != "" {
			n = r.Name
		}
		r.Tag = DefaultTag(n)
	}
	if err := r.checkOutputs(inputs); err != nil {
		return nil, err
	}
	if err := r.fetchPins(ctx, o); err != nil {
		return nil, err
	}
	built, err := Build(ctx, *o)
	if err != nil {
		return nil, err
	}
	return r.write(ctx, built, inputs)
}

// write writes the built image to the outputs and the registry.
func (r *Request) write(ctx context.Context, built *Built, inputs []string) (*Result, error) {
	digest, err := built.Digest()
	if err != nil {
		return nil, err
	}
	res := &Result{Digest: digest.String(), Tag: r.Tag, Output: r.Output, Layout: r.Layout}
	for _, p := range built.Platforms {
		res.Platforms = append(res.Platforms, ResultPlatform{
			Platform: p.Platform.OS + "/" + p.Platform.Architecture + variantSuffix(p.Platform), Digest: p.Digest.String(), Binary: p.Binary,
		})
	}
	res.SBOM, err = Write(built, Outputs{Archive: r.Output, Layout: r.Layout, Tag: r.Tag, Inputs: inputs})
	if err != nil {
		return nil, err
	}
	if r.Push != "" {
		if _, err := Push(ctx, r.Push, built, PushOptions{Insecure: r.Insecure}); err != nil {
			return nil, err
		}
		res.Pushed = r.Push + "@" + digest.String()
	}
	return res, nil
}

// WriteText writes the result for people: the digest and tag, then (unless
// quiet) each platform and what was written and pushed.
func (res *Result) WriteText(w io.Writer, quiet bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", res.Digest, res.Tag)
	if !quiet {
		for _, p := range res.Platforms {
			fmt.Fprintf(&b, "  %s %s\n", p.Platform, p.Digest)
		}
		if res.Output != "" {
			fmt.Fprintf(&b, "wrote %s (podman load -i %s)\n", res.Output, res.Output)
		}
		if res.Layout != "" {
			fmt.Fprintf(&b, "wrote %s (OCI layout, oci:%s:%s)\n", res.Layout, res.Layout, tagPart(res.Tag))
		}
		for _, s := range res.SBOM {
			fmt.Fprintf(&b, "wrote %s (SPDX SBOM)\n", s)
		}
		if res.Pushed != "" {
			fmt.Fprintf(&b, "pushed %s\n", res.Pushed)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func variantSuffix(p v1.Platform) string {
	if p.Variant == "" {
		return ""
	}
	return "/" + p.Variant
}

// tagPart is the TAG of NAME[:TAG] (a colon before the last slash is a
// registry port, not a tag).
func tagPart(tag string) string {
	if c := strings.LastIndex(tag, ":"); c > strings.LastIndex(tag, "/") {
		return tag[c+1:]
	}
	return "latest"
}

// options turns the request into Options and lists the files the user
// named as inputs (no output may be one of them). It fetches nothing;
// inputs that are not regular files (a FIFO would block forever) are
// refused here, before anything opens them.
func (r *Request) options() (*Options, []string, error) {
	bins, err := r.binaries()
	if err != nil {
		return nil, nil, err
	}
	o := &Options{Binaries: bins, Name: r.Name, Env: r.Env, SourceDir: r.SourceDir, CAFiles: r.CAFiles}
	if err := r.config(o); err != nil {
		return nil, nil, err
	}
	for _, b := range bins {
		if _, err := os.Stat(b.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, badinput.Errorf("executable %s: no such file: build it first, e.g. 'mcc go build -o %s .'", b.Path, b.Path)
		}
	}
	inputs, err := r.checkInputs(o)
	if err != nil {
		return nil, nil, err
	}
	if o.Created, err = SourceDateEpoch(); err != nil {
		return nil, nil, err
	}
	if r.ToolchainManifest != "" {
		o.Toolchain, err = readToolchainManifest(r.ToolchainManifest)
	} else {
		o.Toolchain = toolchainComponents(o.Binaries)
	}
	return o, inputs, err
}

// checkInputs refuses inputs that are not regular files, saying which
// input each is, and lists them all.
func (r *Request) checkInputs(o *Options) ([]string, error) {
	var list []userfile.Named
	for _, b := range o.Binaries {
		list = append(list, userfile.Named{What: "executable", Path: b.Path})
	}
	for _, x := range o.Files {
		list = append(list, userfile.Named{What: "--add " + x.Path, Path: x.Source})
	}
	for _, c := range r.CAFiles {
		list = append(list, userfile.Named{What: "--ca-file", Path: c})
	}
	list = append(list, userfile.Named{What: "toolchain manifest", Path: r.ToolchainManifest},
		userfile.Named{What: "--ca-roots", Path: r.CARoots}, userfile.Named{What: "--zoneinfo", Path: r.Zoneinfo})
	return userfile.CheckNamed(list...)
}

// binaries reads FILE or the --platform OS/ARCH=FILE flags.
func (r *Request) binaries() ([]Binary, error) {
	switch {
	case len(r.Platforms) > 0 && len(r.Files) > 0:
		return nil, badinput.Errorf("mcc image: give either FILE or --platform OS/ARCH=FILE, not both (see mcc image --help)")
	case len(r.Files) > 1:
		return nil, badinput.Errorf("mcc image: one FILE per image; for several platforms use --platform OS/ARCH=FILE (see mcc image --help)")
	case len(r.Files) == 1:
		b := Binary{Path: r.Files[0]}
		if r.Target != "" {
			p, err := ParsePlatform(r.Target)
			if err != nil {
				return nil, err
			}
			b.Platform = p
		}
		return []Binary{b}, nil
	case len(r.Platforms) > 0:
		return platformBinaries(r.Platforms)
	}
	return nil, badinput.Errorf("mcc image: no executable: give FILE or --platform OS/ARCH=FILE (see mcc image --help)")
}

// platformBinaries reads --platform OS/ARCH=FILE flags.
func platformBinaries(flags []string) ([]Binary, error) {
	var bins []Binary
	for _, s := range flags {
		plat, file, ok := strings.Cut(s, "=")
		if !ok || file == "" {
			return nil, badinput.Errorf("mcc image: --platform %q is not OS/ARCH=FILE: write it like --platform linux/arm64=out/app-arm64", s)
		}
		p, err := ParsePlatform(plat)
		if err != nil {
			return nil, err
		}
		bins = append(bins, Binary{Platform: p, Path: file})
	}
	return bins, nil
}

// config reads --entrypoint, --env, --label and --add into o.
func (r *Request) config(o *Options) error {
	if r.Entrypoint != "" {
		ep, err := parseEntrypoint(r.Entrypoint)
		if err != nil {
			return err
		}
		o.Entrypoint = ep
	}
	for _, e := range r.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return badinput.Errorf("mcc image: --env %q is not KEY=VALUE", e)
		}
	}
	if len(r.Labels) > 0 {
		o.Labels = map[string]string{}
		for _, l := range r.Labels {
			k, v, ok := strings.Cut(l, "=")
			if !ok || k == "" {
				return badinput.Errorf("mcc image: --label %q is not KEY=VALUE", l)
			}
			o.Labels[k] = v
		}
	}
	for _, add := range r.Adds {
		dst, src, ok := strings.Cut(add, "=")
		if !ok || !strings.HasPrefix(dst, "/") || src == "" {
			return badinput.Errorf("mcc image: --add %q is not /PATH=SRC: write it like --add /etc/hosts=hosts", add)
		}
		o.Files = append(o.Files, File{Path: dst, Source: src})
	}
	return nil
}

// parseEntrypoint reads a JSON array (["/app/x","-v"]) or a line split at
// spaces.
func parseEntrypoint(s string) ([]string, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		var ep []string
		if err := json.Unmarshal([]byte(s), &ep); err != nil || len(ep) == 0 {
			return nil, badinput.Errorf(`mcc image: --entrypoint %q is not a JSON array of strings: write it like '["/app/server","--port=80"]'`, s)
		}
		return ep, nil
	}
	ep := strings.Fields(s)
	if len(ep) == 0 {
		return nil, badinput.Errorf("mcc image: --entrypoint is empty")
	}
	return ep, nil
}

// checkOutputs refuses, before any work, outputs that cannot be written or
// would destroy something: -o that is a directory, unwritable or one of the
// inputs, and a --layout DIR that holds anything but an OCI layout. Like go
// build -o, the outputs' directories are created.
func (r *Request) checkOutputs(inputs []string) error {
	if r.Output != "" {
		_ = os.MkdirAll(filepath.Dir(r.Output), 0o755)
		if err := userfile.CheckOutput(r.Output, "-o", inputs...); err != nil {
			return err
		}
	}
	if r.Layout != "" {
		if err := CheckLayoutDir(filepath.Clean(r.Layout)); err != nil {
			return err
		}
		_ = os.MkdirAll(filepath.Dir(filepath.Clean(r.Layout)), 0o755)
	}
	return nil
}

// fetchPins sets the pinned module zips the image takes files from: the
// files given with --ca-roots/--zoneinfo (Build checks them against the
// pins), else the fetcher's copy, fetched on first use.
func (r *Request) fetchPins(ctx context.Context, o *Options) error {
	if r.NoCA && r.CARoots != "" {
		return badinput.Errorf("mcc image: --no-ca-certs and --ca-roots contradict each other: drop one")
	}
	pf := &pinFiles{new: r.Fetcher}
	var err error
	if !r.NoCA {
		if o.CARoots, err = pf.path(ctx, r.CARoots, CARootsPin, "--ca-roots", " (or leave CA certificates out with --no-ca-certs)"); err != nil {
			return err
		}
	}
	if r.Tzdata {
		if o.Zoneinfo, err = pf.path(ctx, r.Zoneinfo, ZoneinfoPin, "--zoneinfo", " (or drop --tzdata)"); err != nil {
			return err
		}
	}
	return nil
}

// pinFiles fetches pins with a fetcher made on first use.
type pinFiles struct {
	new     func() (PinFetcher, error)
	fetcher PinFetcher
}

// path is given, else the path of pin's file fetched into the store. A pin
// that cannot be had is bad input that names flag, the way to give the
// file instead, and what else would do (without).
func (pf *pinFiles) path(ctx context.Context, given string, pin sysroots.Pin, flag, without string) (string, error) {
	if given != "" {
		return given, nil
	}
	if pf.fetcher == nil {
		f, err := pf.new()
		if err != nil {
			return "", err
		}
		pf.fetcher = f
	}
	res, err := pf.fetcher.Fetch(ctx, pin)
	if err != nil {
		if badinput.Is(err) {
			return "", badinput.Errorf("%v; or pass the pinned file with %s FILE%s", err, flag, without)
		}
		return "", err
	}
	return res.Path, nil
}
