package toolchains

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/progress"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/unpack"
	"github.com/mcc-build/mcc/sysroots"
)

// recipe changes whenever the build steps below change the entry's bytes.
const recipe = "musl-sysroot-4"

// MuslPin is the musl source every sysroot is built from.
const MuslPin = "musl-source"

//go:embed musl/dlfo.c
var dlfoSource []byte

// Installer builds toolchains into a store.
type Installer struct {
	Store    *store.Store
	Fetcher  *fetch.Fetcher
	Progress *progress.Reporter
	Log      io.Writer // if set, build output is copied here too (-v)
}

// Toolchain is an installed musl toolchain.
type Toolchain struct {
	Target  Target `json:"target"`
	Key     string `json:"key"`
	Dir     string `json:"dir"`
	CC      string `json:"cc"`      // the wrapper: Debian's cross gcc + musl specs
	Sysroot string `json:"sysroot"` // include/ and lib/ (libc.a with the _dl_find_object shim)
	Built   bool   `json:"built"`   // this call built it
	Meta    Meta   `json:"meta"`
}

// Meta is written to toolchain.json in the entry: what went into it, for
// SBOMs and for people.
type Meta struct {
	Recipe     string      `json:"recipe"`
	Target     string      `json:"target"`
	Compiler   string      `json:"compiler"`
	GCCVersion string      `json:"gcc_version"`
	Pins       []PinRecord `json:"pins"`
}

// PinRecord is one pinned input and how it was checked.
type PinRecord struct {
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Signature string `json:"signature,omitempty"`
}

// MetaFile is the name of the metadata file in a toolchain entry.
const MetaFile = "toolchain.json"

// Compiler finds t's Debian gcc and its version, or says which package to install.
func Compiler(t Target) (path, version string, err error) {
	name := t.GNU + "-gcc"
	path, err = exec.LookPath(name)
	if err != nil {
		return "", "", badinput.Errorf("cross compiler %s for %s not found: install it with 'apt-get install %s'", name, t.Name, t.Package)
	}
	out, err := exec.Command(path, "-dumpfullversion").Output()
	if err != nil {
		return "", "", fmt.Errorf("running %s -dumpfullversion: %w", name, err)
	}
	full, _ := exec.Command(path, "--version").Output()
	first, _, _ := strings.Cut(string(full), "\n")
	return path, strings.TrimSpace(string(out)) + " (" + strings.TrimSpace(first) + ")", nil
}

// Key is the store key of t's toolchain: everything that changes its bytes.
func (in *Installer) Key(t Target) (key, gcc, gccVersion string, err error) {
	gcc, gccVersion, err = in.compiler(t)
	if err != nil {
		return "", "", "", err
	}
	pin, err := sysroots.Lookup(MuslPin)
	if err != nil {
		return "", "", "", err
	}
	key = store.Key("musl-"+t.Name, map[string]string{
		"recipe": recipe, "target": t.Ident(), "musl": pin.SHA256, "gcc": gccVersion,
		"shim": digest(dlfoSource), "specs_extra": linkExtra,
	})
	return key, gcc, gccVersion, nil
}

// Install returns t's toolchain, building it once if the store lacks it.
func (in *Installer) Install(ctx context.Context, t Target) (*Toolchain, error) {
	key, gcc, gccVersion, err := in.Key(t)
	if err != nil {
		return nil, err
	}
	dir, built, err := in.Store.Entry(ctx, key, func(ctx context.Context, tmp string) error {
		src, err := in.fetchMusl(ctx)
		if err != nil {
			return err
		}
		return in.build(ctx, t, gcc, gccVersion, src, tmp, in.Store.Path(key))
	})
	if err != nil {
		return nil, fmt.Errorf("installing the %s toolchain: %w", t.Name, err)
	}
	tc, err := load(t, key, dir)
	if err != nil {
		return nil, err
	}
	tc.Built = built
	return tc, nil
}

// Installed returns t's toolchain if the store has it, without building.
func (in *Installer) Installed(t Target) (*Toolchain, bool, error) {
	key, _, _, err := in.Key(t)
	if err != nil {
		return nil, false, err
	}
	if !in.Store.Has(key) {
		return nil, false, nil
	}
	if err := in.Store.Check(key); err != nil {
		return nil, false, err
	}
	tc, err := load(t, key, in.Store.Path(key))
	return tc, err == nil, err
}

func load(t Target, key, dir string) (*Toolchain, error) {
	tc := &Toolchain{Target: t, Key: key, Dir: dir, CC: filepath.Join(dir, "bin", "cc"), Sysroot: dir}
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("toolchain %s is damaged (%v): run 'mcc toolchain prune --all' and install again", key, err)
	}
	return tc, json.Unmarshal(b, &tc.Meta)
}

// fetchMusl fetches the pinned musl source.
func (in *Installer) fetchMusl(ctx context.Context) (*fetch.Result, error) {
	pin, _ := sysroots.Lookup(MuslPin)
	done := in.Progress.Step("fetching " + pin.Name)
	src, err := in.Fetcher.Fetch(ctx, pin)
	done(err)
	return src, err
}

// build fills tmp with the toolchain that will live at final, from src,
// the fetched musl source.
func (in *Installer) build(ctx context.Context, t Target, gcc, gccVersion string, src *fetch.Result, tmp, final string) error {
	pin, _ := sysroots.Lookup(MuslPin)
	work := filepath.Join(tmp, ".build")
	defer os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := unpack.Archive(ctx, src.Path, work, muslUnpack); err != nil {
		return err
	}
	logPath := in.Store.LogPath(filepath.Base(final))
	done := in.Progress.Step("building musl " + strings.TrimPrefix(pin.Name, "musl-") + " for " + t.Name)
	err := in.compile(ctx, t, gcc, work, tmp, final, logPath)
	done(err)
	if err != nil {
		return err
	}
	meta := Meta{Recipe: recipe, Target: t.Name, Compiler: filepath.Base(gcc), GCCVersion: gccVersion,
		Pins: []PinRecord{{Name: pin.Name, SHA256: pin.SHA256, Signature: src.Info.Signature}}}
	b, _ := json.MarshalIndent(meta, "", "  ")
	return os.WriteFile(filepath.Join(tmp, MetaFile), append(b, '\n'), 0o644)
}

// compile runs musl's build, adds the shim to libc.a, and writes the specs
// file and the cc wrapper. Paths inside specs and wrapper name final, where
// the entry will be once renamed into place.
func (in *Installer) compile(ctx context.Context, t Target, gcc, work, tmp, final, logPath string) error {
	log, closeLog, err := openBuildLog(logPath, in.Log)
	if err != nil {
		return err
	}
	defer closeLog()
	r := &runner{ctx: ctx, dir: work, env: buildEnv(), log: log}
	sh := func(steps [][]string) error {
		for _, args := range steps {
			if err := r.run(args...); err != nil {
				if ctx.Err() != nil {
					return err
				}
				return fmt.Errorf("%w: see %s", err, logPath)
			}
		}
		return nil
	}
	if err := sh(muslSteps(t, gcc, tmp)); err != nil {
		return err
	}
	identSrc := filepath.Join(work, "mcc-ident.c")
	if err := os.WriteFile(filepath.Join(work, "dlfo.c"), dlfoSource, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(identSrc, []byte(identC(identText(t, filepath.Base(final), gcc))), 0o644); err != nil {
		return err
	}
	if err := sh(shimSteps(gcc, tmp, identSrc)); err != nil {
		return err
	}
	if err := writeSpecs(r, tmp, final, t); err != nil {
		return err
	}
	return writeWrapper(tmp, final, gcc, t)
}

// muslSteps configure, make and install musl for t into prefix, with gcc
// (Debian's cross gcc) and its binutils.
func muslSteps(t Target, gcc, prefix string) [][]string {
	cross := strings.TrimSuffix(gcc, "gcc")
	return [][]string{
		{"./configure", "--prefix=" + prefix, "--target=" + t.Musl, "CROSS_COMPILE=" + cross, "CC=" + t.CC(gcc), "--disable-shared", "--disable-wrapper"},
		{"make", "-j" + strconv.Itoa(runtime.NumCPU())},
		{"make", "install"},
	}
}

// shimSteps compile dlfo.c (in the build dir) into the installed libc.a
// and identSrc into the ident object (see ident.go).
func shimSteps(gcc, prefix, identSrc string) [][]string {
	cross := strings.TrimSuffix(gcc, "gcc")
	return [][]string{
		{gcc, "-O2", "-nostdinc", "-isystem", filepath.Join(prefix, "include"), "-c", "dlfo.c", "-o", "dlfo.o"},
		{cross + "ar", "rD", filepath.Join(prefix, "lib", "libc.a"), "dlfo.o"},
		{gcc, "-c", identSrc, "-o", filepath.Join(prefix, "lib", IdentObject)},
	}
}

// buildEnv is the musl build's environment (see fixedEnv).
func buildEnv() []string { return fixedEnv("SOURCE_DATE_EPOCH=0") }

// linkExtra is added to musl's link spec: static links need an eh_frame_hdr
// (PT_GNU_EH_FRAME) so the unwinder, through the shim, finds unwind tables.
const linkExtra = "--eh-frame-hdr"

func writeSpecs(r *runner, tmp, final string, t Target) error {
	specs, err := r.output("sh", "tools/musl-gcc.specs.sh",
		filepath.Join(final, "include"), filepath.Join(final, "lib"), "/lib/ld-musl-"+t.LdArch+".so.1")
	if err != nil {
		return fmt.Errorf("generating gcc specs: %w", err)
	}
	specs = bytes.Replace(specs, []byte("*link:\n"), []byte("*link:\n"+linkExtra+" "), 1)
	// Every program linked with this toolchain carries its identity (see ident.go).
	specs = bytes.Replace(specs, []byte("crtbeginS.o%s\n"), []byte("crtbeginS.o%s "+filepath.Join(final, "lib", IdentObject)+"\n"), 1)
	return os.WriteFile(filepath.Join(tmp, "lib", "musl-gcc.specs"), specs, 0o644)
}

func writeWrapper(tmp, final, gcc string, t Target) error {
	if err := os.MkdirAll(filepath.Join(tmp, "bin"), 0o755); err != nil {
		return err
	}
	script := fmt.Sprintf("#!/bin/sh\n# mcc: musl C compiler for %s (Debian's %s with musl's specs).\nexec %s \"$@\" -specs %s\n",
		t.Name, filepath.Base(gcc), t.CC(gcc), filepath.Join(final, "lib", "musl-gcc.specs"))
	return os.WriteFile(filepath.Join(tmp, "bin", "cc"), []byte(script), 0o755)
}
