// Package mccenv gives a mkbundle.Job what lives in the rest of mcc: the
// target, mcc's Mono runtimes from the toolchain store, and the image
// built with internal/image. It is a package of its own because the
// toolchains package's tests import mkbundle: mkbundle cannot import
// toolchains, nor internal/image (which does), without an import cycle.
package mccenv

import (
	"context"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/image"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/toolchains"
)

// Env implements mkbundle.Env. Its funcs are called only when a job gets
// that far, so bad input is refused before the store is opened.
type Env struct {
	ResolveTarget func() (toolchains.Target, error)
	Installer     func() (*toolchains.Installer, error)
	Fetcher       func() (*fetch.Fetcher, error)

	target toolchains.Target // as ResolveTarget gave it, for Runtime
}

var _ mkbundle.Env = (*Env)(nil)

// Target resolves the target.
func (e *Env) Target() (mkbundle.Target, error) {
	t, err := e.ResolveTarget()
	if err != nil {
		return mkbundle.Target{}, err
	}
	e.target = t
	return mkbundle.Target{Name: t.Name, Machine: t.Machine, Class: t.Class, Native: t.Native()}, nil
}

// Runtime builds (once per set of archives) the static runtime with the
// --native archives linked in and answered; with none, the plain one.
func (e *Env) Runtime(ctx context.Context, t mkbundle.Target, natives []mkbundle.NativeArchive) (string, error) {
	tt := e.target
	if tt.Name != t.Name {
		var err error
		if tt, err = toolchains.Lookup(t.Name); err != nil {
			return "", err
		}
	}
	in, err := e.Installer()
	if err != nil {
		return "", err
	}
	libs := make([]toolchains.NativeLib, len(natives))
	for i, n := range natives {
		libs[i] = toolchains.NativeLib(n)
	}
	rt, err := toolchains.AppRuntime(ctx, in, tt, libs)
	if err != nil {
		return "", err
	}
	return rt.Runtime, nil
}

// WriteImage builds the bundle's FROM scratch image with the pinned CA
// roots and writes its archive; it returns the image's digest.
func (e *Env) WriteImage(ctx context.Context, r mkbundle.ImageRequest) (string, error) {
	o, err := Options(r)
	if err != nil {
		return "", err
	}
	f, err := e.Fetcher()
	if err != nil {
		return "", err
	}
	ca, err := f.Fetch(ctx, image.CARootsPin)
	if err != nil {
		return "", err
	}
	o.CARoots = ca.Path
	built, err := image.Build(ctx, o)
	if err != nil {
		return "", err
	}
	tag := r.Tag
	if tag == "" {
		tag = image.DefaultTag(r.Bundle)
	}
	if err := image.WriteArchive(r.Archive, built, tag); err != nil {
		return "", err
	}
	d, err := built.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// Options is the image.Options of r, without the CA roots.
func Options(r mkbundle.ImageRequest) (image.Options, error) {
	o := image.Options{
		Binaries:     []image.Binary{{Path: r.Bundle}},
		AllowDynamic: r.AllowDynamic,
		CAFiles:      r.CAFiles,
	}
	var err error
	if o.Created, err = image.SourceDateEpoch(); err != nil {
		return o, err
	}
	for _, f := range r.Files {
		o.Files = append(o.Files, image.File{Path: f.Path, Source: f.Source, Data: f.Data, Mode: f.Mode})
	}
	return o, nil
}
