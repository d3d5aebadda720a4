package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/image"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/toolchains"
)

func init() {
	register("mkbundle", "make one static executable (and image) from a Mono program", runMkbundle)
}

const mkbundleUsage = `
Usage:
  mcc mkbundle [-o OUT] [--image OUT.tar] [--lib DIR]... [--libc musl|glibc]
               [--native NAME=ARCHIVE.a]... [--allow-missing-native] app.exe [extra.dll ...]

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

Native libraries are found, not listed: mcc reads which libraries each
bundled assembly P/Invokes (its ModuleRef and ImplMap tables) and resolves
each name as Mono would: a <dllmap> in the assembly's .config beside it
(app.exe.config, Foo.dll.config), then Mono's /etc/mono/config, then NAME,
NAME.so, libNAME.so and libNAME.so.N beside the assembly and in the
system's library directories. Libraries the runtime answers itself (libc,
System.Native, MonoPosixHelper, __Internal) and Windows-only ones are not
looked for, nor the optional backends of Mono's class libraries (System's
ALSA and FAM, System.Data's ODBC); the libraries a class library exists to
wrap are (Mono.Data.Sqlite's sqlite3, System.Drawing's gdiplus).

--libc glibc is the fallback for programs that load native libraries of
their own: Debian's dynamically linked Mono runtime; each P/Invoked
library and the shared libraries it needs (DT_NEEDED) go into the image,
and the bundle's dllmap points the name at it (a library found beside the
app goes to /app/lib). A library found nowhere is an error.

A static musl bundle cannot load a shared library: --native NAME=ARCHIVE.a
links a static archive (built for the target) into a runtime built for
this app, which answers [DllImport("NAME")] from it. Without it, a
P/Invoked library is an error naming both ways out. --allow-missing-native
turns a missing library into a warning (the call fails at run time with
DllNotFoundException).

Examples:
  mcs -out:hello.exe hello.cs && mcc mkbundle -o hello hello.exe && ./hello
  mcc mkbundle -o server --image server.tar server.exe
  mcc mkbundle --libc glibc --image server.tar server.exe
  mcc mkbundle --libc glibc --image app.tar app.exe      # finds libsqlite3.so.0 for Mono.Data.Sqlite
  eval "$(mcc env)" && $CC -O2 -c greet.c && ar rcs libgreet.a greet.o   # mcc's musl cc
  mcc mkbundle --native greet=libgreet.a -o app app.exe  # [DllImport("greet")] answered from libgreet.a
`

// hostsFile is the /etc/hosts of bundle images: Mono resolves localhost
// through it.
const hostsFile = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// glibcDlopened are the native helpers Debian's Mono dlopens for its class
// libraries (see mkbundle.DefaultDllMap); the glibc image needs them too.
// libmono-btls-shared.so is System.dll's TLS (BoringSSL): without it every
// https request fails with DllNotFoundException.
var glibcDlopened = []string{"libmono-native.so.0", "libMonoPosixHelper.so", "libmono-btls-shared.so"}

type mkbundleResult struct {
	Output     string   `json:"output"`
	Size       int64    `json:"size"`
	Libc       string   `json:"libc"`
	Runtime    string   `json:"runtime"`
	Assemblies []string `json:"assemblies"`
	Image      string   `json:"image,omitempty"`
	Digest     string   `json:"image_digest,omitempty"`
	// Natives: glibc, the P/Invoked libraries the image carries; musl,
	// the --native archives linked into the runtime.
	Natives []string `json:"natives,omitempty"`
}

// mkbundleJob is one mkbundle run: the flags, the target and the runtime.
type mkbundleJob struct {
	files                                       []string
	libs                                        []string
	out, imageOut, tag, libc, runtime, machConf string
	target                                      toolchains.Target

	nativeFlags  []string                 // --native NAME=ARCHIVE.a
	allowMissing bool                     // --allow-missing-native
	natives      []toolchains.NativeLib   // musl: archives linked into the runtime
	nativeLibs   []mkbundle.SharedLibrary // glibc: the natives the image carries
	dllmap       string                   // the bundle's dllmap config; mkbundle.DefaultDllMap if ""
	members      []*mkbundle.Member       // the assemblies, read once for the checks
	caFiles      []string                 // --ca-file: CA certificates the image also trusts
}

func runMkbundle(ctx context.Context, a *app, args []string) error {
	var j mkbundleJob
	fs := newFlags("mkbundle")
	fs.StringVarP(&j.out, "output", "o", "", "write the executable to `OUT` (default: app.exe's name without .exe)")
	fs.StringVar(&j.imageOut, "image", "", "also write a FROM scratch image to `OUT.tar` (podman load -i OUT.tar)")
	fs.StringVar(&j.tag, "tag", "", "image `NAME[:TAG]` (default: OUT's name:latest)")
	fs.StringArrayVar(&j.libs, "lib", nil, "class-library `DIR` searched after app.exe's directory (repeatable; default: Debian's /usr/lib/mono/4.5 and its Facades)")
	fs.StringVar(&j.libc, "libc", "musl", "`musl` (one static file) or glibc (Debian's Mono, for programs that dlopen their own native libraries)")
	fs.StringVar(&j.runtime, "runtime", "", "use this Mono runtime `FILE` instead of mcc's (it must match the class libraries' Mono version)")
	fs.StringVar(&j.machConf, "machine-config", "", "embed this machine.config `FILE` (default: "+mkbundle.DefaultMachineConfig+")")
	fs.StringArrayVar(&j.nativeFlags, "native", nil, "link the static library `NAME=ARCHIVE.a` into the musl runtime and answer [DllImport(\"NAME\")] from it (repeatable)")
	fs.BoolVar(&j.allowMissing, "allow-missing-native", false, "warn, not fail, when a P/Invoked native library is not found (glibc) or not linked in (musl)")
	fs.StringArrayVar(&j.caFiles, "ca-file", nil, caFileUsage+" (with --image)")
	if err := a.parse(fs, mkbundleUsage, args); err != nil {
		return err
	}
	j.files = fs.Args()
	if len(j.files) == 0 {
		return usagef("mcc mkbundle: no program: give app.exe (see mcc mkbundle --help)")
	}
	if j.libc != "musl" && j.libc != "glibc" {
		return usagef("mcc mkbundle: --libc %q: use musl or glibc", j.libc)
	}
	if len(j.caFiles) > 0 && j.imageOut == "" {
		return usagef("mcc mkbundle: --ca-file adds to an image's trust store: give --image OUT.tar too")
	}
	if j.out == "" {
		j.out = strings.TrimSuffix(filepath.Base(j.files[0]), filepath.Ext(j.files[0]))
		if j.out == filepath.Base(j.files[0]) {
			j.out += ".bundle"
		}
	}
	// Read the assemblies and check the outputs before building anything:
	// bad input fails fast, and no output may land on an input.
	inputs, err := j.inputs()
	if err != nil {
		return err
	}
	if err := j.checkOutputs(inputs); err != nil {
		return err
	}
	if err := a.mkbundleTarget(&j); err != nil {
		return err
	}
	if err := a.planNatives(&j); err != nil {
		return err
	}
	if err := a.mkbundleRuntime(ctx, &j); err != nil {
		return err
	}
	r, err := a.mkbundle(ctx, &j)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(r)
	}
	if !a.quiet {
		fmt.Fprintf(a.stdout, "wrote %s (%d bytes, %d assemblies, %s runtime)\n", r.Output, r.Size, len(r.Assemblies), r.Libc)
		if r.Image != "" {
			fmt.Fprintf(a.stdout, "wrote %s (%s; podman load -i %s)\n", r.Image, r.Digest, r.Image)
		}
	}
	return nil
}

// inputs reads the assemblies (refusing bad ones) and lists every file
// the bundle is made from.
func (j *mkbundleJob) inputs() ([]string, error) {
	members, err := mkbundle.Closure(j.files[0], j.files[1:], libDirs(j.libs))
	if err != nil {
		return nil, err
	}
	j.members = members
	in, err := userfile.CheckNamed(userfile.Named{What: "--runtime", Path: j.runtime}, userfile.Named{What: "--machine-config", Path: j.machConf})
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		in = append(in, m.Path)
	}
	return in, nil
}

// checkOutputs refuses outputs that are directories, unwritable, one of
// the inputs, or each other.
func (j *mkbundleJob) checkOutputs(inputs []string) error {
	if err := userfile.CheckOutput(j.out, "-o", inputs...); err != nil {
		return err
	}
	if j.imageOut == "" {
		return nil
	}
	if o, err1 := filepath.Abs(j.out); err1 == nil {
		if i, err2 := filepath.Abs(j.imageOut); err2 == nil && o == i {
			return usagef("-o and --image both name %s: give the image its own file, like %s.tar", j.out, j.out)
		}
	}
	return userfile.CheckOutput(j.imageOut, "--image", append(inputs, j.out)...)
}

// mkbundleRuntime resolves the target and the runtime: mcc's (built on
// first use), Debian's for glibc, or the user's --runtime, which for musl
// must be a static executable of the target.
func (a *app) mkbundleRuntime(ctx context.Context, j *mkbundleJob) error {
	t := j.target
	var err error
	if j.runtime == "" && len(j.natives) > 0 {
		j.runtime, err = a.appRuntime(ctx, t, j.natives)
		return err
	}
	if j.runtime == "" {
		j.runtime, err = a.monoRuntime(ctx, j.libc, t)
		return err
	}
	if j.libc != "musl" {
		return nil
	}
	rep, err := elfcheck.Check(j.runtime, elfcheck.Want{Machine: t.Machine, Class: t.Class})
	if err != nil {
		return badinput.Errorf("--runtime: %v", err)
	}
	if len(rep.Problems) > 0 {
		return badinput.Errorf("--runtime %s %s: a musl bundle needs a static Mono runtime for %s: drop --runtime to use mcc's, or use --libc glibc", j.runtime, strings.Join(rep.Problems, "; "), t.Name)
	}
	return nil
}

// mkbundle writes the bundle (and its image) beside their destinations
// and renames the bundle into place only after every check passed, so a
// failed run leaves an existing output as it was. The image archive is
// itself written atomically, before that rename.
func (a *app) mkbundle(ctx context.Context, j *mkbundleJob) (*mkbundleResult, error) {
	pending, err := userfile.NewPending(j.out)
	if err != nil {
		return nil, err
	}
	defer pending.Discard()
	done := a.progress().Step("bundling " + filepath.Base(j.files[0]))
	res, err := mkbundle.Bundle(mkbundle.Options{
		App: j.files[0], Extras: j.files[1:], LibDirs: libDirs(j.libs),
		Runtime: j.runtime, MachineConfig: j.machConf, DllMap: j.dllmap,
	}, pending.Path)
	done(err)
	if err != nil {
		return nil, err
	}
	if j.libc == "musl" {
		// The runtime's ELF headers still describe the whole file.
		rep, err := elfcheck.Check(pending.Path, elfcheck.Want{Machine: j.target.Machine, Class: j.target.Class})
		if err != nil {
			return nil, err
		}
		if len(rep.Problems) > 0 {
			return nil, fmt.Errorf("bundle %s: %s", j.out, strings.Join(rep.Problems, "; "))
		}
	}
	r := &mkbundleResult{Output: j.out, Size: res.Size, Libc: j.libc, Runtime: j.runtime, Natives: j.nativeList()}
	for _, m := range res.Members {
		r.Assemblies = append(r.Assemblies, m.FileName)
	}
	if j.imageOut != "" {
		// pending.Path has the output's name, which the image records.
		if r.Digest, err = a.bundleImage(ctx, pending.Path, j.imageOut, j.tag, j.libc, j.runtime, j.nativeLibs, j.caFiles); err != nil {
			return nil, err
		}
		r.Image = j.imageOut
	}
	if err := pending.Commit(); err != nil {
		return nil, err
	}
	return r, nil
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
// app's natives and the shared libraries they and the runtime need, found
// by reading DT_NEEDED.
func (a *app) bundleImage(ctx context.Context, bundle, out, tag, libc, runtime string, natives []mkbundle.SharedLibrary, caFiles []string) (string, error) {
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
		libs, err := glibcImageLibraries(runtime, natives)
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
	ca, err := f.Fetch(ctx, image.CARootsPin)
	if err != nil {
		return "", err
	}
	o.CARoots, o.CAFiles = ca.Path, caFiles
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
