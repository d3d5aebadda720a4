// Package toolchains builds and finds mcc's C toolchains: a musl sysroot and
// a cc wrapper per target, built from pinned musl sources with Debian's
// cross gcc, kept in the store.
package toolchains

import (
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Target is one row of the target table; adding an architecture is adding
// a row.
type Target struct {
	Name    string      `json:"name"`   // linux/arm64
	GOOS    string      `json:"goos"`   // linux
	GOARCH  string      `json:"goarch"` // arm64
	GOARM   string      `json:"goarm,omitempty"`
	GOMIPS  string      `json:"gomips,omitempty"`   // GOMIPS or GOMIPS64: must match the float ABI of the musl build
	GNU     string      `json:"gnu"`                // Debian cross triple: aarch64-linux-gnu
	Musl    string      `json:"musl"`               // musl triple: aarch64-linux-musl
	LdArch  string      `json:"ld_arch"`            // ld-musl-<LdArch>.so.1
	Package string      `json:"package"`            // Debian package with <GNU>-gcc
	CFlags  []string    `json:"cflags,omitempty"`   // on every compile: where musl's ABI is not Debian gcc's default
	QEMU    string      `json:"qemu,omitempty"`     // qemu-user binary for foreign hosts
	QEMUEnv []string    `json:"qemu_env,omitempty"` // set for programs run under QEMU (merged into GODEBUG)
	Machine elf.Machine `json:"-"`
	Class   elf.Class   `json:"-"`
}

var table = []Target{
	{Name: "linux/amd64", GOOS: "linux", GOARCH: "amd64", GNU: "x86_64-linux-gnu", Musl: "x86_64-linux-musl", LdArch: "x86_64", Package: "gcc", QEMU: "qemu-x86_64-static", Machine: elf.EM_X86_64, Class: elf.ELFCLASS64},
	{Name: "linux/arm64", GOOS: "linux", GOARCH: "arm64", GNU: "aarch64-linux-gnu", Musl: "aarch64-linux-musl", LdArch: "aarch64", Package: "gcc-aarch64-linux-gnu", QEMU: "qemu-aarch64-static", Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64},
	{Name: "linux/arm/v7", GOOS: "linux", GOARCH: "arm", GOARM: "7", GNU: "arm-linux-gnueabihf", Musl: "armv7-linux-musleabihf", LdArch: "armhf", Package: "gcc-arm-linux-gnueabihf", QEMU: "qemu-arm-static", Machine: elf.EM_ARM, Class: elf.ELFCLASS32},
	{Name: "linux/riscv64", GOOS: "linux", GOARCH: "riscv64", GNU: "riscv64-linux-gnu", Musl: "riscv64-linux-musl", LdArch: "riscv64", Package: "gcc-riscv64-linux-gnu", QEMU: "qemu-riscv64-static", Machine: elf.EM_RISCV, Class: elf.ELFCLASS64},
	{Name: "linux/386", GOOS: "linux", GOARCH: "386", GNU: "i686-linux-gnu", Musl: "i686-linux-musl", LdArch: "i386", Package: "gcc-i686-linux-gnu", QEMU: "qemu-i386-static", QEMUEnv: []string{"GODEBUG=asyncpreemptoff=1"}, Machine: elf.EM_386, Class: elf.ELFCLASS32},
	{Name: "linux/ppc64le", GOOS: "linux", GOARCH: "ppc64le", GNU: "powerpc64le-linux-gnu", Musl: "powerpc64le-linux-musl", LdArch: "powerpc64le", Package: "gcc-powerpc64le-linux-gnu", CFlags: []string{"-mlong-double-64"}, QEMU: "qemu-ppc64le-static", Machine: elf.EM_PPC64, Class: elf.ELFCLASS64},
	{Name: "linux/s390x", GOOS: "linux", GOARCH: "s390x", GNU: "s390x-linux-gnu", Musl: "s390x-linux-musl", LdArch: "s390x", Package: "gcc-s390x-linux-gnu", QEMU: "qemu-s390x-static", Machine: elf.EM_S390, Class: elf.ELFCLASS64},
	{Name: "linux/mips64le", GOOS: "linux", GOARCH: "mips64le", GOMIPS: "hardfloat", GNU: "mips64el-linux-gnuabi64", Musl: "mips64el-linux-musl", LdArch: "mips64el", Package: "gcc-mips64el-linux-gnuabi64", QEMU: "qemu-mips64el-static", Machine: elf.EM_MIPS, Class: elf.ELFCLASS64},
	{Name: "linux/mipsle", GOOS: "linux", GOARCH: "mipsle", GOMIPS: "hardfloat", GNU: "mipsel-linux-gnu", Musl: "mipsel-linux-musl", LdArch: "mipsel", Package: "gcc-mipsel-linux-gnu", QEMU: "qemu-mipsel-static", Machine: elf.EM_MIPS, Class: elf.ELFCLASS32},
}

// Targets lists every supported target.
func Targets() []Target { return append([]Target(nil), table...) }

// Names lists the target names, sorted.
func Names() []string {
	var n []string
	for _, t := range table {
		n = append(n, t.Name)
	}
	sort.Strings(n)
	return n
}

// Lookup finds a target by name; "linux/arm" means linux/arm/v7.
func Lookup(name string) (Target, error) {
	if name == "linux/arm" {
		name = "linux/arm/v7"
	}
	for _, t := range table {
		if t.Name == name {
			return t, nil
		}
	}
	return Target{}, badinput.Errorf("unknown target %q: valid targets are %s", name, strings.Join(Names(), ", "))
}

// Resolve picks the target: the flag if given, else GOOS/GOARCH/GOARM from
// the environment, else the host.
func Resolve(flag string) (Target, error) {
	if flag != "" {
		return Lookup(flag)
	}
	goos, goarch := os.Getenv("GOOS"), os.Getenv("GOARCH")
	if goos == "" && goarch == "" {
		return Host()
	}
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	name := goos + "/" + goarch
	if goarch == "arm" {
		v := os.Getenv("GOARM")
		if v == "" {
			v = "7"
		}
		name += "/v" + strings.SplitN(v, ",", 2)[0]
	}
	t, err := Lookup(name)
	if err != nil {
		return t, badinput.Errorf("GOOS/GOARCH/GOARM in the environment name %s, which mcc does not support: valid targets are %s", name, strings.Join(Names(), ", "))
	}
	return t, nil
}

// Host is the target this machine runs natively.
func Host() (Target, error) {
	for _, t := range table {
		if t.GOOS == runtime.GOOS && t.GOARCH == runtime.GOARCH {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("this host (%s/%s) is not a supported target; pass --target", runtime.GOOS, runtime.GOARCH)
}

// Native says whether binaries for t run here without qemu.
func (t Target) Native() bool {
	return t.GOOS == runtime.GOOS && t.GOARCH == runtime.GOARCH
}

// GoEnv is the environment that points the go command at t.
func (t Target) GoEnv() []string {
	env := []string{"GOOS=" + t.GOOS, "GOARCH=" + t.GOARCH}
	if t.GOARM != "" {
		env = append(env, "GOARM="+t.GOARM)
	}
	if t.GOMIPS != "" {
		env = append(env, t.mipsVar()+"="+t.GOMIPS)
	}
	return env
}

// CC is the compiler command for t: Debian's gcc plus t's ABI flags (musl's
// powerpc64 ABI has a 64-bit long double; Debian's gcc defaults to IBM's
// 128-bit one, and musl's configure refuses the mismatch).
func (t Target) CC(gcc string) string {
	return strings.Join(append([]string{gcc}, t.CFlags...), " ")
}

// Ident names t in toolchain store keys: its name, plus its ABI flags when
// it has any (so keys of targets without flags stay as they were).
func (t Target) Ident() string {
	if len(t.CFlags) == 0 {
		return t.Name
	}
	return t.Name + " cflags=" + strings.Join(t.CFlags, " ")
}

// EmulatorEnv is env for a program of t run under t.QEMU: t.QEMUEnv
// added, GODEBUG settings appended to the user's (later ones win). Debian
// 12's qemu-i386 mis-delivers the signal Go's scheduler preempts with
// ("fatal: bad g in signal handler", even without cgo), so linux/386
// turns signal preemption off under emulation only.
func (t Target) EmulatorEnv(env []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range t.QEMUEnv {
		k, v, _ := strings.Cut(kv, "=")
		merged := false
		for i := len(out) - 1; i >= 0 && k == "GODEBUG"; i-- {
			if old, ok := strings.CutPrefix(out[i], "GODEBUG="); ok {
				out[i], merged = "GODEBUG="+strings.Trim(old+","+v, ","), true
				break
			}
		}
		if !merged {
			out = append(out, kv)
		}
	}
	return out
}

// mipsVar is the go environment variable that picks the float ABI: GOMIPS
// for 32-bit mips, GOMIPS64 for 64-bit.
func (t Target) mipsVar() string {
	if strings.HasPrefix(t.GOARCH, "mips64") {
		return "GOMIPS64"
	}
	return "GOMIPS"
}
