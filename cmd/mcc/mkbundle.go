package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/image"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/toolchains"
)

func init() {
	register("mkbundle", "make one static executable (and image) from a Mono program", runMkbundle)
}

const mkbundleUsage = `
Usage:
  mcc mkbundle [-o OUT] [--image OUT.tar] [--lib DIR]... [--libc musl|glibc] app.exe [extra.dll ...]

Makes one executable from a Mono program: the static musl Mono runtime mcc
builds from pinned, patched sources ('mcc toolchain install --mono'; built
on first use), followed by app.exe, every assembly it references directly
or not (read from their metadata; looked up beside app.exe, then in the
class libraries: Debian's Mono 4.5 profile, or --lib), a machine.config and
a dllmap config. The result runs with nothing else: no Mono install, no
shared libraries (Mono needs /proc mounted, and /etc/hosts for name lookups).
The same inputs give the same bytes.

--image OUT.tar also puts it in a FROM scratch image (podman load -i), with
/etc/hosts, /etc/passwd (nonroot 65532), /tmp and CA certificates.

--libc glibc is the fallback for programs that dlopen native libraries of
their own: Debian's dynamically linked Mono runtime, and in the image the
shared libraries it needs (found by reading DT_NEEDED).

Examples:
  mcs -out:hello.exe hello.cs && mcc mkbundle -o hello hello.exe && ./hello
  mcc mkbundle -o server --image server.tar server.exe
  mcc mkbundle --libc glibc --image server.tar server.exe
`

// hostsFile is the /etc/hosts of bundle images: Mono resolves localhost
// through it.
const hostsFile = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// glibcDlopened are the native helpers Debian's Mono dlopens for its class
// libraries (see mkbundle.DefaultDllMap); the glibc image needs them too.
var glibcDlopened = []string{"libmono-native.so.0", "libMonoPosixHelper.so"}

type mkbundleResult struct {
	Output     string   `json:"output"`
	Size       int64    `json:"size"`
	Libc       string   `json:"libc"`
	Runtime    string   `json:"runtime"`
	Assemblies []string `json:"assemblies"`
	Image      string   `json:"image,omitempty"`
	Digest     string   `json:"image_digest,omitempty"`
}

func runMkbundle(ctx context.Context, a *app, args []string) error {
	var (
		out, imageOut, tag, libc, runtime, machineConfig string
		libs                                             []string
	)
	fs := newFlags("mkbundle")
	fs.StringVarP(&out, "output", "o", "", "write the executable to `OUT` (default: app.exe's name without .exe)")
	fs.StringVar(&imageOut, "image", "", "also write a FROM scratch image to `OUT.tar` (podman load -i OUT.tar)")
	fs.StringVar(&tag, "tag", "", "image `NAME[:TAG]` (default: OUT's name:latest)")
	fs.StringArrayVar(&libs, "lib", nil, "class-library `DIR` searched after app.exe's directory (repeatable; default: Debian's /usr/lib/mono/4.5 and its Facades)")
	fs.StringVar(&libc, "libc", "musl", "`musl` (one static file) or glibc (Debian's Mono, for programs that dlopen their own native libraries)")
	fs.StringVar(&runtime, "runtime", "", "use this Mono runtime `FILE` instead of mcc's (it must match the class libraries' Mono version)")
	fs.StringVar(&machineConfig, "machine-config", "", "embed this machine.config `FILE` (default: "+mkbundle.DefaultMachineConfig+")")
	if err := a.parse(fs, mkbundleUsage, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return usagef("mcc mkbundle: no program: give app.exe (see mcc mkbundle --help)")
	}
	if libc != "musl" && libc != "glibc" {
		return usagef("mcc mkbundle: --libc %q: use musl or glibc", libc)
	}
	if out == "" {
		out = strings.TrimSuffix(filepath.Base(files[0]), filepath.Ext(files[0]))
		if out == filepath.Base(files[0]) {
			out += ".bundle"
		}
	}
	if imageOut != "" {
		if err := image.CheckWritable(imageOut); err != nil {
			return err
		}
	}
	// Read the assemblies before building anything: bad input fails fast.
	if _, err := mkbundle.Closure(files[0], files[1:], libDirs(libs)); err != nil {
		return err
	}

	t, err := a.resolveTarget()
	if err != nil {
		return err
	}
	if libc == "glibc" && !t.Native() {
		return usagef("mcc mkbundle: --libc glibc bundles this machine's Debian Mono, so it cannot target %s: drop --libc glibc to use the static musl runtime", t.Name)
	}
	if runtime == "" {
		if runtime, err = a.monoRuntime(ctx, libc, t); err != nil {
			return err
		}
	} else if _, err := os.Stat(runtime); err != nil {
		return badinput.Errorf("Mono runtime %s: %v", runtime, errUnwrap(err))
	}

	done := a.progress().Step("bundling " + filepath.Base(files[0]))
	res, err := mkbundle.Bundle(mkbundle.Options{
		App: files[0], Extras: files[1:], LibDirs: libDirs(libs),
		Runtime: runtime, MachineConfig: machineConfig,
	}, out)
	done(err)
	if err != nil {
		return err
	}
	if libc == "musl" {
		// The runtime's ELF headers still describe the whole file.
		rep, err := elfcheck.Check(out, elfcheck.Want{Machine: t.Machine, Class: t.Class})
		if err != nil {
			return err
		}
		if len(rep.Problems) > 0 {
			return fmt.Errorf("bundle %s: %s", out, strings.Join(rep.Problems, "; "))
		}
	}
	r := mkbundleResult{Output: out, Size: res.Size, Libc: libc, Runtime: runtime}
	for _, m := range res.Members {
		r.Assemblies = append(r.Assemblies, m.FileName)
	}

	if imageOut != "" {
		digest, err := a.bundleImage(ctx, out, imageOut, tag, libc, runtime)
		if err != nil {
			return err
		}
		r.Image, r.Digest = imageOut, digest
	}
	if a.json {
		return a.printJSON(r)
	}
	if !a.quiet {
		fmt.Fprintf(a.stdout, "wrote %s (%d bytes, %d assemblies, %s runtime)\n", out, r.Size, len(r.Assemblies), libc)
		if r.Image != "" {
			fmt.Fprintf(a.stdout, "wrote %s (%s; podman load -i %s)\n", r.Image, r.Digest, r.Image)
		}
	}
	return nil
}

func libDirs(flags []string) []string {
	if len(flags) == 0 {
		return mkbundle.DefaultLibDirs
	}
	return flags
}

// monoRuntime finds (building it on first use) the runtime for libc.
func (a *app) monoRuntime(ctx context.Context, libc string, t toolchains.Target) (string, error) {
	if libc == "glibc" {
		p, err := filepath.EvalSymlinks("/usr/bin/mono")
		if err != nil {
			return "", badinput.Errorf("--libc glibc uses Debian's Mono runtime, and /usr/bin/mono is missing: apt-get install mono-runtime")
		}
		return p, nil
	}
	in, err := a.installer()
	if err != nil {
		return "", err
	}
	rt, err := toolchains.InstallMono(ctx, in, t)
	if err != nil {
		return "", err
	}
	return rt.Runtime, nil
}

// bundleImage writes the bundle's FROM scratch image; for glibc it adds the
// shared libraries the runtime needs, found by reading DT_NEEDED.
func (a *app) bundleImage(ctx context.Context, bundle, out, tag, libc, runtime string) (string, error) {
	o := image.Options{
		Binaries: []image.Binary{{Path: bundle}},
		Files:    []image.File{{Path: "/etc/hosts", Data: []byte(hostsFile)}},
	}
	var err error
	if o.Created, err = image.SourceDateEpoch(); err != nil {
		return "", err
	}
	if libc == "glibc" {
		o.AllowDynamic = true
		roots := append([]string{runtime}, glibcDlopened...)
		libs, err := mkbundle.LibraryClosure(roots, mkbundle.GlibcLibDirs)
		if err != nil {
			return "", err
		}
		for _, l := range libs {
			o.Files = append(o.Files, image.File{Path: l.Path, Source: l.Source, Mode: 0o755})
		}
	}
	f, err := a.fetcher()
	if err != nil {
		return "", err
	}
	ca, err := f.Fetch(ctx, image.CACertsPin)
	if err != nil {
		return "", err
	}
	o.CACertsDeb = ca.Path
	built, err := image.Build(ctx, o)
	if err != nil {
		return "", err
	}
	if tag == "" {
		tag = image.DefaultTag(bundle)
	}
	if err := image.WriteArchive(out, built, tag); err != nil {
		return "", err
	}
	d, err := built.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}
