package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/image"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/sysroots"
	"github.com/mcc-build/mcc/toolchains"
)

func init() {
	register("image", "put static executables in a reproducible FROM scratch OCI image", runImage)
}

const imageUsage = `
Usage:
  mcc image -o OUT.tar [--layout DIR] [--push REF] [--tag NAME] [--entrypoint CMD] [--tzdata] FILE
  mcc image -o OUT.tar --platform OS/ARCH=FILE [--platform OS/ARCH=FILE]... [flags]

Puts a static executable in a FROM scratch OCI image: the file at /app/NAME
(the entrypoint), /etc/passwd and /etc/group with root and nonroot (65532),
/tmp, CA certificates (Mozilla's root store from the pinned Go module
golang.org/x/crypto/x509roots/fallback; roots with a distrust date, which a
PEM bundle cannot express, are left out; --ca-file adds your own), optionally /usr/share/zoneinfo from
the pinned Go SDK's zone data, and an SPDX SBOM at
/usr/share/sbom/image.spdx.json. It runs as 65532:65532. Several --platform
give a multi-arch image index; each file must be built for its platform.

CA certificates go to /etc/ssl/certs/ca-certificates.crt and, when FILE
is a Mono bundle (from 'mcc mkbundle'), also to /usr/share/.mono/new-certs/Trust
as one PEM file per certificate named by OpenSSL's subject hash: the only
place Mono's TLS (BTLS) looks for trusted roots. --ca-file PEM (repeatable)
adds an organisation's CA certificates to both; it is listed in the SBOM
(name, sha256, subjects) and the label mcc.ca-files.

The same inputs give the same digest: files, times and order are fixed
(times from $SOURCE_DATE_EPOCH, else 1970). OUT.tar is a docker-archive
('podman load -i OUT.tar'); the SBOM is also written beside it as
OUT.spdx.json (OUT.OS-ARCH.spdx.json per platform). Outputs are written
beside their destination and renamed into place once all are complete: a
failed run leaves existing outputs as they were. --layout DIR replaces an
OCI layout or fills a new or empty directory; any other DIR is refused.

The pinned module zips are fetched on first use (the store, the local
mirror, --mirror, then GOPROXY); offline, seed a mirror on a connected
machine with 'mcc mirror fill DIR' and pass --mirror DIR, or give the files
with --ca-roots and --zoneinfo.

Examples:
  mcc go build -o out/app ./cmd/app && mcc image -o out/app.tar out/app
  podman load -i out/app.tar && podman run --rm app:latest
  mcc image -o out/app.tar --tag app:1.0 --tzdata --layout out/app.oci out/app
  mcc image -o out/app.tar --name app --platform linux/amd64=out/app-amd64 --platform linux/arm64=out/app-arm64
  mcc image -o out/app.tar --push 127.0.0.1:5000/app:1.0 out/app
  mcc image -o out/server.tar --ca-file corp-root.pem out/server
`

// caFileUsage is the --ca-file flag's help, shared with mcc mkbundle.
const caFileUsage = "also trust the CA certificates in PEM `FILE` (repeatable): added to /etc/ssl/certs/ca-certificates.crt and, for Mono bundles, Mono's trust store"

type imageFlags struct {
	out, layout, push, tag, entrypoint, name        string
	platforms, env, labels, adds, caFiles           []string
	tzdata, noCA, insecure                          bool
	caRoots, zoneinfo, toolchainManifest, sourceDir string
}

func runImage(ctx context.Context, a *app, args []string) error {
	var f imageFlags
	fs := newFlags("image")
	fs.StringVarP(&f.out, "output", "o", "", "write a docker-archive to `OUT.tar` (podman load -i OUT.tar)")
	fs.StringVar(&f.layout, "layout", "", "also write an OCI image layout to `DIR` (a new or empty directory, or a layout to replace)")
	fs.StringVar(&f.push, "push", "", "also push to `REF` (HOST[:PORT]/REPO[:TAG]); loopback registries use plain HTTP")
	fs.StringArrayVar(&f.platforms, "platform", nil, "`OS/ARCH=FILE`: the executable for one platform; repeat for an image index")
	fs.StringVar(&f.tag, "tag", "", "image `NAME[:TAG]` in the archive and layout (default: FILE's name:latest)")
	fs.StringVar(&f.name, "name", "", "the binary's file `NAME` under /app in the image (default: the file's own name)")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "entrypoint `CMD`, as a JSON array or a space-separated line (default: /app/NAME)")
	fs.StringArrayVar(&f.env, "env", nil, "add `KEY=VALUE` to the image's environment (repeatable)")
	fs.StringArrayVar(&f.labels, "label", nil, "add label `KEY=VALUE` (repeatable)")
	fs.StringArrayVar(&f.adds, "add", nil, "add a file: `/PATH=SRC` copies SRC to /PATH in the image (repeatable), e.g. /etc/hosts=hosts")
	fs.BoolVar(&f.tzdata, "tzdata", false, "add /usr/share/zoneinfo from the pinned Go SDK's zone data")
	fs.BoolVar(&f.noCA, "no-ca-certs", false, "leave out the CA certificates (those of --ca-file stay)")
	fs.StringArrayVar(&f.caFiles, "ca-file", nil, caFileUsage)
	fs.StringVar(&f.caRoots, "ca-roots", "", "the pinned ca-roots module zip `FILE` (default: fetched on first use)")
	fs.StringVar(&f.zoneinfo, "zoneinfo", "", "the pinned zoneinfo module zip (Go SDK) `FILE`; implies --tzdata (default: fetched on first use)")
	fs.StringVar(&f.toolchainManifest, "toolchain-manifest", "", "JSON `FILE` listing the toolchain components that built the binaries, for the SBOM")
	fs.StringVar(&f.sourceDir, "source-dir", "", "git checkout `DIR` to take revision and source labels from when the binary's Go build info has none")
	fs.BoolVar(&f.insecure, "insecure-registry", false, "push over plain HTTP to a non-loopback registry")
	if err := a.parse(fs, imageUsage, args); err != nil {
		return err
	}
	f.tzdata = f.tzdata || f.zoneinfo != ""

	opts, inputs, err := a.imageOptions(&f, fs.Args())
	if err != nil {
		return err
	}
	if f.out == "" && f.layout == "" && f.push == "" {
		return usagef("mcc image: no output: give -o OUT.tar (and/or --layout DIR, --push REF) (see mcc image --help)")
	}
	if f.tag == "" {
		n := opts.Binaries[0].Path
		if f.name != "" {
			n = f.name
		}
		f.tag = image.DefaultTag(n)
	}
	if err := checkImageOutputs(&f, inputs); err != nil {
		return err
	}
	if err := a.imagePins(ctx, &f, opts); err != nil {
		return err
	}

	built, err := image.Build(ctx, *opts)
	if err != nil {
		return err
	}
	digest, err := built.Digest()
	if err != nil {
		return err
	}
	res := imageResult{Digest: digest.String(), Tag: f.tag, Output: f.out, Layout: f.layout}
	for _, p := range built.Platforms {
		res.Platforms = append(res.Platforms, imagePlatform{
			Platform: p.Platform.OS + "/" + p.Platform.Architecture + variantSuffix(p.Platform), Digest: p.Digest.String(), Binary: p.Binary,
		})
	}
	res.SBOM, err = image.Write(built, image.Outputs{Archive: f.out, Layout: f.layout, Tag: f.tag, Inputs: inputs})
	if err != nil {
		return err
	}
	if f.push != "" {
		if _, err := image.Push(ctx, f.push, built, image.PushOptions{Insecure: f.insecure}); err != nil {
			return err
		}
		res.Pushed = f.push + "@" + digest.String()
	}

	if a.json {
		return a.printJSON(res)
	}
	fmt.Fprintf(a.stdout, "%s %s\n", res.Digest, f.tag)
	if !a.quiet {
		for _, p := range res.Platforms {
			fmt.Fprintf(a.stdout, "  %s %s\n", p.Platform, p.Digest)
		}
		if res.Output != "" {
			fmt.Fprintf(a.stdout, "wrote %s (podman load -i %s)\n", res.Output, res.Output)
		}
		if res.Layout != "" {
			fmt.Fprintf(a.stdout, "wrote %s (OCI layout, oci:%s:%s)\n", res.Layout, res.Layout, tagPart(f.tag))
		}
		for _, s := range res.SBOM {
			fmt.Fprintf(a.stdout, "wrote %s (SPDX SBOM)\n", s)
		}
		if res.Pushed != "" {
			fmt.Fprintf(a.stdout, "pushed %s\n", res.Pushed)
		}
	}
	return nil
}

type imageResult struct {
	Digest    string          `json:"digest"`
	Tag       string          `json:"tag"`
	Platforms []imagePlatform `json:"platforms"`
	Output    string          `json:"output,omitempty"`
	Layout    string          `json:"layout,omitempty"`
	SBOM      []string        `json:"sbom,omitempty"`
	Pushed    string          `json:"pushed,omitempty"`
}

type imagePlatform struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	Binary   string `json:"binary_sha256"`
}

func variantSuffix(p v1.Platform) string {
	if p.Variant == "" {
		return ""
	}
	return "/" + p.Variant
}

func tagPart(tag string) string {
	if c := strings.LastIndex(tag, ":"); c > strings.LastIndex(tag, "/") {
		return tag[c+1:]
	}
	return "latest"
}

// imageOptions turns the flags into image.Options and lists the files the
// user named as inputs (no output may be one of them). It fetches nothing;
// inputs that are not regular files (a FIFO would block forever) are
// refused here, before anything opens them.
func (a *app) imageOptions(f *imageFlags, files []string) (*image.Options, []string, error) {
	bins, err := a.imageBinaries(f, files)
	if err != nil {
		return nil, nil, err
	}
	o := &image.Options{Binaries: bins, Name: f.name, Env: f.env, SourceDir: f.sourceDir, CAFiles: f.caFiles}
	if err := imageConfig(f, o); err != nil {
		return nil, nil, err
	}
	for _, b := range bins {
		if _, err := os.Stat(b.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, badinput.Errorf("executable %s: no such file: build it first, e.g. 'mcc go build -o %s .'", b.Path, b.Path)
		}
	}
	inputs, err := checkImageInputs(f, o)
	if err != nil {
		return nil, nil, err
	}
	if o.Created, err = image.SourceDateEpoch(); err != nil {
		return nil, nil, err
	}
	if f.toolchainManifest != "" {
		o.Toolchain, err = readToolchainManifest(f.toolchainManifest)
	} else {
		o.Toolchain, err = toolchainComponents(o.Binaries)
	}
	return o, inputs, err
}

// checkImageInputs refuses inputs that are not regular files, saying which
// input each is, and lists them all.
func checkImageInputs(f *imageFlags, o *image.Options) ([]string, error) {
	type input struct{ what, path string }
	var list []input
	for _, b := range o.Binaries {
		list = append(list, input{"executable", b.Path})
	}
	for _, x := range o.Files {
		list = append(list, input{"--add " + x.Path, x.Source})
	}
	for _, c := range f.caFiles {
		list = append(list, input{"--ca-file", c})
	}
	list = append(list, input{"toolchain manifest", f.toolchainManifest}, input{"--ca-roots", f.caRoots}, input{"--zoneinfo", f.zoneinfo})
	var paths []string
	for _, in := range list {
		if in.path == "" {
			continue
		}
		if err := userfile.CheckInput(in.path); err != nil {
			return nil, badinput.Errorf("%s: %v", in.what, err)
		}
		paths = append(paths, in.path)
	}
	return paths, nil
}

// imageBinaries reads FILE or the --platform OS/ARCH=FILE flags.
func (a *app) imageBinaries(f *imageFlags, files []string) ([]image.Binary, error) {
	switch {
	case len(f.platforms) > 0 && len(files) > 0:
		return nil, usagef("mcc image: give either FILE or --platform OS/ARCH=FILE, not both (see mcc image --help)")
	case len(files) > 1:
		return nil, usagef("mcc image: one FILE per image; for several platforms use --platform OS/ARCH=FILE (see mcc image --help)")
	case len(files) == 1:
		b := image.Binary{Path: files[0]}
		if a.target != "" {
			p, err := image.ParsePlatform(a.target)
			if err != nil {
				return nil, err
			}
			b.Platform = p
		}
		return []image.Binary{b}, nil
	case len(f.platforms) > 0:
		var bins []image.Binary
		for _, s := range f.platforms {
			plat, file, ok := strings.Cut(s, "=")
			if !ok || file == "" {
				return nil, usagef("mcc image: --platform %q is not OS/ARCH=FILE: write it like --platform linux/arm64=out/app-arm64", s)
			}
			p, err := image.ParsePlatform(plat)
			if err != nil {
				return nil, err
			}
			bins = append(bins, image.Binary{Platform: p, Path: file})
		}
		return bins, nil
	}
	return nil, usagef("mcc image: no executable: give FILE or --platform OS/ARCH=FILE (see mcc image --help)")
}

// imageConfig reads --entrypoint, --env, --label and --add.
func imageConfig(f *imageFlags, o *image.Options) error {
	if f.entrypoint != "" {
		ep, err := parseEntrypoint(f.entrypoint)
		if err != nil {
			return err
		}
		o.Entrypoint = ep
	}
	for _, e := range f.env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return usagef("mcc image: --env %q is not KEY=VALUE", e)
		}
	}
	if len(f.labels) > 0 {
		o.Labels = map[string]string{}
		for _, l := range f.labels {
			k, v, ok := strings.Cut(l, "=")
			if !ok || k == "" {
				return usagef("mcc image: --label %q is not KEY=VALUE", l)
			}
			o.Labels[k] = v
		}
	}
	for _, add := range f.adds {
		dst, src, ok := strings.Cut(add, "=")
		if !ok || !strings.HasPrefix(dst, "/") || src == "" {
			return usagef("mcc image: --add %q is not /PATH=SRC: write it like --add /etc/hosts=hosts", add)
		}
		o.Files = append(o.Files, image.File{Path: dst, Source: src})
	}
	return nil
}

// checkImageOutputs refuses, before any work, outputs that cannot be
// written or would destroy something: -o that is a directory, unwritable
// or one of the inputs, and a --layout DIR that holds anything but an OCI
// layout. Like go build -o, the outputs' directories are created.
func checkImageOutputs(f *imageFlags, inputs []string) error {
	if f.out != "" {
		_ = os.MkdirAll(filepath.Dir(f.out), 0o755)
		if err := userfile.CheckOutput(f.out, "-o", inputs...); err != nil {
			return err
		}
	}
	if f.layout != "" {
		if err := image.CheckLayoutDir(filepath.Clean(f.layout)); err != nil {
			return err
		}
		_ = os.MkdirAll(filepath.Dir(filepath.Clean(f.layout)), 0o755)
	}
	return nil
}

// imagePins sets the pinned module zips the image takes files from: the
// files given with --ca-roots/--zoneinfo (Build checks them against the
// pins), else the fetcher's copy, fetched on first use.
func (a *app) imagePins(ctx context.Context, f *imageFlags, o *image.Options) error {
	if f.noCA && f.caRoots != "" {
		return usagef("mcc image: --no-ca-certs and --ca-roots contradict each other: drop one")
	}
	var fetcher *fetch.Fetcher
	pinned := func(given string, pin sysroots.Pin, flag, without string) (string, error) {
		if given != "" {
			return given, nil
		}
		if fetcher == nil {
			var err error
			if fetcher, err = a.fetcher(); err != nil {
				return "", err
			}
		}
		r, err := fetcher.Fetch(ctx, pin)
		if err != nil {
			if badinput.Is(err) {
				return "", badinput.Errorf("%v; or pass the pinned file with %s FILE%s", err, flag, without)
			}
			return "", err
		}
		return r.Path, nil
	}
	var err error
	if !f.noCA {
		if o.CARoots, err = pinned(f.caRoots, image.CARootsPin, "--ca-roots", " (or leave CA certificates out with --no-ca-certs)"); err != nil {
			return err
		}
	}
	if f.tzdata {
		if o.Zoneinfo, err = pinned(f.zoneinfo, image.ZoneinfoPin, "--zoneinfo", " (or drop --tzdata)"); err != nil {
			return err
		}
	}
	return nil
}

func errUnwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// parseEntrypoint reads a JSON array (["/app/x","-v"]) or a line split at
// spaces.
func parseEntrypoint(s string) ([]string, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		var ep []string
		if err := json.Unmarshal([]byte(s), &ep); err != nil || len(ep) == 0 {
			return nil, usagef(`mcc image: --entrypoint %q is not a JSON array of strings: write it like '["/app/server","--port=80"]'`, s)
		}
		return ep, nil
	}
	ep := strings.Fields(s)
	if len(ep) == 0 {
		return nil, usagef("mcc image: --entrypoint is empty")
	}
	return ep, nil
}

// readToolchainManifest reads {"components":[{"name","version","sha256","purl"}]}
// (or the bare array), what a toolchain store entry records about itself.
func readToolchainManifest(p string) ([]image.Component, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, badinput.Errorf("reading toolchain manifest %s: %v", p, errUnwrap(err))
	}
	var doc struct {
		Components []image.Component `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		var list []image.Component
		if err2 := json.Unmarshal(b, &list); err2 != nil {
			return nil, badinput.Errorf("toolchain manifest %s is not JSON like {\"components\":[{\"name\":\"musl\",\"version\":\"1.2.3\",\"sha256\":\"...\"}]}: %v", p, err)
		}
		doc.Components = list
	}
	for _, c := range doc.Components {
		if c.Name == "" {
			return nil, badinput.Errorf("toolchain manifest %s has a component without a name", p)
		}
	}
	return doc.Components, nil
}

// toolchainComponents lists, for the SBOM, the C toolchains that linked the
// binaries, as each binary records it (toolchains.ReadIdent).
func toolchainComponents(bins []image.Binary) ([]image.Component, error) {
	var comps []image.Component
	seen := map[string]bool{}
	for _, b := range bins {
		id, ok, err := toolchains.ReadIdent(b.Path)
		if err != nil || !ok || seen[id.Key] {
			continue // not an ELF file is reported by the image build itself
		}
		seen[id.Key] = true
		comps = append(comps,
			image.Component{Name: "musl", Version: id.Musl, SHA256: id.MuslSHA256, PURL: "pkg:generic/musl@" + id.Musl},
			image.Component{Name: "gcc (" + id.Target + " cross compiler, mcc toolchain " + id.Key + ")", Version: id.GCC, PURL: "pkg:generic/gcc@" + id.GCC})
	}
	return comps, nil
}
