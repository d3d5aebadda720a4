package mkbundle

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/progress"
	"github.com/mcc-build/mcc/internal/userfile"
)

// Job is one 'mcc mkbundle' run: its flags, and the Env that supplies
// what lives outside this package.
type Job struct {
	Files         []string // app.exe, then extra assemblies
	LibDirs       []string // --lib; DefaultLibDirs if empty
	Output        string   // -o; app.exe's name without .exe if empty
	Image         string   // --image OUT.tar; no image if empty
	Tag           string   // --tag; OUT's name:latest if empty
	Libc          string   // --libc: musl or glibc
	Runtime       string   // --runtime; mcc's (musl) or Debian's (glibc) if empty
	MachineConfig string   // --machine-config; DefaultMachineConfig if empty
	Natives       []string // --native NAME=ARCHIVE.a
	AllowMissing  bool     // --allow-missing-native
	CAFiles       []string // --ca-file: CA certificates the image also trusts

	Env      Env
	Progress *progress.Reporter // the bundling step; silent if nil
	Warnings io.Writer          // warnings (a missing native, an unused --native); discarded if nil
}

// Env is what a Job needs from the rest of mcc. It is an interface
// because the toolchain store and internal/image import packages whose
// tests import this one; mccenv implements it.
type Env interface {
	// Target is the target the bundle is for (--target, else the host).
	Target() (Target, error)
	// Runtime is mcc's static musl Mono runtime for t with natives
	// linked in (none: the plain one), built on first use.
	Runtime(ctx context.Context, t Target, natives []NativeArchive) (string, error)
	// WriteImage writes the bundle's image archive and returns its digest.
	WriteImage(ctx context.Context, r ImageRequest) (string, error)
}

// Target is what a bundle runs on.
type Target struct {
	Name    string // linux/arm64, as errors name it
	Machine elf.Machine
	Class   elf.Class
	Native  bool // this machine's: only then can Debian's glibc Mono be bundled
}

// NativeArchive is a --native: a static library linked into the runtime,
// answering [DllImport(Name)].
type NativeArchive struct{ Name, Archive string }

// Summary is what Make wrote; its JSON is mcc mkbundle --json's output.
type Summary struct {
	Output     string   `json:"output"`
	Size       int64    `json:"size"`
	Libc       string   `json:"libc"`
	Runtime    string   `json:"runtime"`
	Assemblies []string `json:"assemblies"`
	Image      string   `json:"image,omitempty"`
	Digest     string   `json:"image_digest,omitempty"`
	// Natives: glibc, the P/Invoked libraries the image carries; musl,
	// the --native archives linked in.
	Natives []string `json:"natives,omitempty"`
}

// Text is the summary as the command prints it without --json.
func (s *Summary) Text() string {
	t := fmt.Sprintf("wrote %s (%d bytes, %d assemblies, %s runtime)\n", s.Output, s.Size, len(s.Assemblies), s.Libc)
	if s.Image != "" {
		t += fmt.Sprintf("wrote %s (%s; podman load -i %s)\n", s.Image, s.Digest, s.Image)
	}
	return t
}

// run is a Job being made: the job and what is learnt on the way.
type run struct {
	Job
	target     Target
	members    []*Member       // the assemblies, read once for the checks
	archives   []NativeArchive // musl: archives linked into the runtime
	nativeLibs []SharedLibrary // glibc: the natives the image carries
	dllmap     string          // the bundle's dllmap config; DefaultDllMap if ""
}

// Make checks the job, plans its natives, gets the runtime and writes the
// bundle (and its image). Bad input fails before anything is built.
func Make(ctx context.Context, j Job) (*Summary, error) {
	r := &run{Job: j}
	if err := r.checkFlags(); err != nil {
		return nil, err
	}
	// Read the assemblies and check the outputs before building anything:
	// bad input fails fast, and no output may land on an input.
	inputs, err := r.inputs()
	if err != nil {
		return nil, err
	}
	if err := r.checkOutputs(inputs); err != nil {
		return nil, err
	}
	if err := r.resolveTarget(); err != nil {
		return nil, err
	}
	if err := r.planNatives(); err != nil {
		return nil, err
	}
	if err := r.selectRuntime(ctx); err != nil {
		return nil, err
	}
	return r.bundle(ctx)
}

// checkFlags refuses flags that contradict each other and fills -o.
func (r *run) checkFlags() error {
	if len(r.Files) == 0 {
		return badinput.Errorf("mcc mkbundle: no program: give app.exe (see mcc mkbundle --help)")
	}
	if r.Libc != "musl" && r.Libc != "glibc" {
		return badinput.Errorf("mcc mkbundle: --libc %q: use musl or glibc", r.Libc)
	}
	if len(r.CAFiles) > 0 && r.Image == "" {
		return badinput.Errorf("mcc mkbundle: --ca-file adds to an image's trust store: give --image OUT.tar too")
	}
	if r.Output == "" {
		r.Output = DefaultOutput(r.Files[0])
	}
	return nil
}

// DefaultOutput is the bundle's name when -o is not given: app.exe's name
// without its extension, or NAME.bundle if it has none.
func DefaultOutput(app string) string {
	base := filepath.Base(app)
	out := strings.TrimSuffix(base, filepath.Ext(app))
	if out == base {
		out += ".bundle"
	}
	return out
}

// libDirs is --lib, else Debian's class libraries.
func (r *run) libDirs() []string {
	if len(r.LibDirs) == 0 {
		return DefaultLibDirs
	}
	return r.LibDirs
}

// inputs reads the assemblies (refusing bad ones) and lists every file
// the bundle is made from.
func (r *run) inputs() ([]string, error) {
	members, err := Closure(r.Files[0], r.Files[1:], r.libDirs())
	if err != nil {
		return nil, err
	}
	r.members = members
	in, err := userfile.CheckNamed(userfile.Named{What: "--runtime", Path: r.Runtime}, userfile.Named{What: "--machine-config", Path: r.MachineConfig})
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
func (r *run) checkOutputs(inputs []string) error {
	if err := userfile.CheckOutput(r.Output, "-o", inputs...); err != nil {
		return err
	}
	if r.Image == "" {
		return nil
	}
	if o, err1 := filepath.Abs(r.Output); err1 == nil {
		if i, err2 := filepath.Abs(r.Image); err2 == nil && o == i {
			return badinput.Errorf("-o and --image both name %s: give the image its own file, like %s.tar", r.Output, r.Output)
		}
	}
	return userfile.CheckOutput(r.Image, "--image", append(inputs, r.Output)...)
}

// resolveTarget gets the target, which the natives are checked for.
func (r *run) resolveTarget() error {
	t, err := r.Env.Target()
	if err != nil {
		return err
	}
	if r.Libc == "glibc" && !t.Native {
		return badinput.Errorf("mcc mkbundle: --libc glibc bundles this machine's Debian Mono, so it cannot target %s: drop --libc glibc to use the static musl runtime", t.Name)
	}
	r.target = t
	return nil
}

// selectRuntime resolves the runtime: mcc's (built on first use, with the
// --native archives linked in), Debian's for glibc, or the user's
// --runtime, which for musl must be a static executable of the target.
func (r *run) selectRuntime(ctx context.Context) error {
	var err error
	switch {
	case r.Runtime == "" && r.Libc == "glibc":
		r.Runtime, err = debianMono()
		return err
	case r.Runtime == "":
		r.Runtime, err = r.Env.Runtime(ctx, r.target, r.archives)
		return err
	case r.Libc != "musl":
		return nil
	}
	rep, err := elfcheck.Check(r.Runtime, r.want())
	if err != nil {
		return badinput.Errorf("--runtime: %v", err)
	}
	if len(rep.Problems) > 0 {
		return badinput.Errorf("--runtime %s %s: a musl bundle needs a static Mono runtime for %s: drop --runtime to use mcc's, or use --libc glibc", r.Runtime, strings.Join(rep.Problems, "; "), r.target.Name)
	}
	return nil
}

func (r *run) want() elfcheck.Want {
	return elfcheck.Want{Machine: r.target.Machine, Class: r.target.Class}
}

// debianMonoPath is Debian's Mono runtime, which --libc glibc bundles.
var debianMonoPath = "/usr/bin/mono"

func debianMono() (string, error) {
	p, err := filepath.EvalSymlinks(debianMonoPath)
	if err != nil {
		return "", badinput.Errorf("--libc glibc uses Debian's Mono runtime, and /usr/bin/mono is missing: apt-get install mono-runtime")
	}
	return p, nil
}

// bundle writes the bundle (and its image) beside their destinations and
// renames the bundle into place only after every check passed, so a
// failed run leaves an existing output as it was. The image archive is
// itself written atomically, before that rename.
func (r *run) bundle(ctx context.Context) (*Summary, error) {
	pending, err := userfile.NewPending(r.Output)
	if err != nil {
		return nil, err
	}
	defer pending.Discard()
	done := r.Progress.Step("bundling " + filepath.Base(r.Files[0]))
	res, err := Bundle(Options{
		App: r.Files[0], Extras: r.Files[1:], LibDirs: r.libDirs(),
		Runtime: r.Runtime, MachineConfig: r.MachineConfig, DllMap: r.dllmap,
	}, pending.Path)
	done(err)
	if err != nil {
		return nil, err
	}
	if err := r.checkBundle(pending.Path); err != nil {
		return nil, err
	}
	s := &Summary{Output: r.Output, Size: res.Size, Libc: r.Libc, Runtime: r.Runtime, Natives: r.nativeList()}
	for _, m := range res.Members {
		s.Assemblies = append(s.Assemblies, m.FileName)
	}
	if r.Image != "" {
		// pending.Path has the output's name, which the image records.
		req, err := r.imageRequest(pending.Path)
		if err != nil {
			return nil, err
		}
		if s.Digest, err = r.Env.WriteImage(ctx, req); err != nil {
			return nil, err
		}
		s.Image = r.Image
	}
	if err := pending.Commit(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkBundle checks a musl bundle is a static executable of the target:
// the runtime's ELF headers still describe the whole file.
func (r *run) checkBundle(path string) error {
	if r.Libc != "musl" {
		return nil
	}
	rep, err := elfcheck.Check(path, r.want())
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("bundle %s: %s", r.Output, strings.Join(rep.Problems, "; "))
	}
	return nil
}

func (r *run) warnf(format string, args ...any) {
	if r.Warnings != nil {
		fmt.Fprintf(r.Warnings, "mcc mkbundle: warning: "+format+"\n", args...)
	}
}
