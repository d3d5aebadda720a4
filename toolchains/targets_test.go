package toolchains

import (
	"debug/elf"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
)

// TestTargetTable: the table's rows are distinct where other places key on
// them (names, Bazel names, ELF machine and class for image platforms),
// complete, and their go environment is what the musl build expects.
func TestTargetTable(t *testing.T) {
	names, bazel, machines := map[string]bool{}, map[string]bool{}, map[[2]int]string{}
	for _, tt := range Targets() {
		if tt.Name != tt.GOOS+"/"+tt.GOARCH && tt.Name != tt.GOOS+"/"+tt.GOARCH+"/v"+tt.GOARM {
			t.Errorf("%s: name does not match GOOS/GOARCH[/vGOARM]", tt.Name)
		}
		for what, v := range map[string]string{"GNU": tt.GNU, "Musl": tt.Musl, "LdArch": tt.LdArch, "Package": tt.Package, "QEMU": tt.QEMU} {
			if v == "" {
				t.Errorf("%s: %s is empty", tt.Name, what)
			}
		}
		if !strings.HasPrefix(tt.QEMU, "qemu-") || !strings.Contains(tt.Musl, "-linux-musl") {
			t.Errorf("%s: QEMU %q or musl triple %q malformed", tt.Name, tt.QEMU, tt.Musl)
		}
		mc := [2]int{int(tt.Machine), int(tt.Class)}
		if names[tt.Name] || bazel[bazelName(tt)] || machines[mc] != "" {
			t.Errorf("%s: duplicate name, Bazel name or ELF machine/class (%s)", tt.Name, machines[mc])
		}
		names[tt.Name], bazel[bazelName(tt)], machines[mc] = true, true, tt.Name
		if tt.Machine == elf.EM_NONE || tt.Class == elf.ELFCLASSNONE {
			t.Errorf("%s: no ELF machine or class", tt.Name)
		}
		if got, err := Lookup(tt.Name); err != nil || got.Name != tt.Name {
			t.Errorf("Lookup(%s) = %v, %v", tt.Name, got.Name, err)
		}
	}
}

func TestGoEnv(t *testing.T) {
	tests := []struct{ target, want string }{
		{"linux/amd64", "GOOS=linux GOARCH=amd64"},
		{"linux/arm/v7", "GOOS=linux GOARCH=arm GOARM=7"},
		{"linux/mips64le", "GOOS=linux GOARCH=mips64le GOMIPS64=hardfloat"},
		{"linux/mipsle", "GOOS=linux GOARCH=mipsle GOMIPS=hardfloat"},
	}
	for _, tt := range tests {
		tgt, err := Lookup(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(tgt.GoEnv(), " "); got != tt.want {
			t.Errorf("%s: GoEnv = %q, want %q", tt.target, got, tt.want)
		}
	}
}

func TestResolveFromEnvironment(t *testing.T) {
	t.Setenv("GOOS", "linux")
	t.Setenv("GOARCH", "mipsle")
	if got, err := Resolve(""); err != nil || got.Name != "linux/mipsle" {
		t.Fatalf("Resolve with GOARCH=mipsle = %v, %v", got.Name, err)
	}
	t.Setenv("GOARCH", "mips")
	if _, err := Resolve(""); err == nil || !strings.Contains(err.Error(), "linux/mipsle") {
		t.Fatalf("Resolve with GOARCH=mips: %v, want an error listing the targets", err)
	}
}

// TestMachineNamesDistinct: elfcheck names every row's machine and class
// apart, so "want X, got Y" never reads "want mips, got mips".
func TestMachineNamesDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, tt := range Targets() {
		n := elfcheck.MachineName(tt.Machine, tt.Class)
		if other, dup := seen[n]; dup {
			t.Errorf("%s and %s are both named %q by elfcheck.MachineName", other, tt.Name, n)
		}
		seen[n] = tt.Name
	}
}

// TestABIFlags: ppc64le compiles with musl's 64-bit long double, and only
// targets with flags get them in their store key.
func TestABIFlags(t *testing.T) {
	tests := []struct{ target, cc, ident string }{
		{"linux/amd64", "/usr/bin/gcc", "linux/amd64"},
		{"linux/ppc64le", "/usr/bin/gcc -mlong-double-64", "linux/ppc64le cflags=-mlong-double-64"},
	}
	for _, tt := range tests {
		tgt, err := Lookup(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if cc, id := tgt.CC("/usr/bin/gcc"), tgt.Ident(); cc != tt.cc || id != tt.ident {
			t.Errorf("%s: CC = %q, Ident = %q; want %q, %q", tt.target, cc, id, tt.cc, tt.ident)
		}
	}
}

func TestEmulatorEnv(t *testing.T) {
	i386, _ := Lookup("linux/386")
	arm64, _ := Lookup("linux/arm64")
	tests := []struct {
		tgt  Target
		env  []string
		want string
	}{
		{i386, []string{"A=1"}, "A=1 GODEBUG=asyncpreemptoff=1"},
		{i386, []string{"GODEBUG=http2debug=1", "B=2"}, "GODEBUG=http2debug=1,asyncpreemptoff=1 B=2"},
		{i386, []string{"GODEBUG="}, "GODEBUG=asyncpreemptoff=1"},
		{arm64, []string{"GODEBUG=x=1"}, "GODEBUG=x=1"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.tgt.EmulatorEnv(tt.env), " "); got != tt.want {
			t.Errorf("%s EmulatorEnv(%q) = %q, want %q", tt.tgt.Name, tt.env, got, tt.want)
		}
	}
}

// runOn makes a command that runs bin, a program built for t: directly on
// its own host, else under t's qemu-user emulator (binfmt_misc may not be
// registered, so the tests never rely on it).
func runOn(t Target, bin string, args ...string) *exec.Cmd {
	if t.Native() {
		return exec.Command(bin, args...)
	}
	cmd := exec.Command(t.QEMU, append([]string{bin}, args...)...)
	cmd.Env = t.EmulatorEnv(os.Environ())
	return cmd
}

// TestResolve: the flag wins, then GOOS/GOARCH/GOARM, then the host; a
// target mcc lacks is an input error listing the valid ones.
func TestResolve(t *testing.T) {
	host, err := Host()
	if err != nil {
		t.Skipf("this host is no target: %v", err)
	}
	if !host.Native() || host.GOARCH != runtime.GOARCH {
		t.Fatalf("Host = %+v", host)
	}
	for _, tc := range []struct {
		flag, goos, goarch, goarm string
		want                      string // "" for an error
	}{
		{"", "", "", "", host.Name},
		{"linux/arm64", "linux", "riscv64", "", "linux/arm64"},
		{"linux/arm", "", "", "", "linux/arm/v7"},
		{"", "linux", "arm", "", "linux/arm/v7"},
		{"", "linux", "arm", "7,softfloat", "linux/arm/v7"},
		{"", "", "s390x", "", "linux/s390x"},
		{"", "linux", "", "", host.Name},
		{"", "linux", "arm", "6", ""},
		{"", "darwin", "arm64", "", ""},
		{"windows/amd64", "", "", "", ""},
	} {
		t.Setenv("GOOS", tc.goos)
		t.Setenv("GOARCH", tc.goarch)
		t.Setenv("GOARM", tc.goarm)
		got, err := Resolve(tc.flag)
		if tc.want == "" {
			if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), strings.Join(Names(), ", ")) {
				t.Errorf("Resolve(%q) with %s/%s/%s = %v, %v; want an input error listing the targets", tc.flag, tc.goos, tc.goarch, tc.goarm, got.Name, err)
			}
			continue
		}
		if err != nil || got.Name != tc.want {
			t.Errorf("Resolve(%q) with %s/%s/%s = %v, %v; want %s", tc.flag, tc.goos, tc.goarch, tc.goarm, got.Name, err, tc.want)
		}
	}
}

func TestNativeAndNames(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) || len(names) != len(Targets()) {
		t.Errorf("Names = %v", names)
	}
	native := 0
	for _, tt := range Targets() {
		if tt.Native() {
			native++
		}
	}
	if _, err := Host(); err == nil && native != 1 {
		t.Errorf("%d targets run natively on this host, want 1", native)
	}
	// Targets is a copy: a caller cannot change the table.
	Targets()[0].Name = "changed"
	if Targets()[0].Name == "changed" {
		t.Error("Targets shares the table")
	}
}

// TestEveryTargetHasAMachineName: elfcheck names ELF machines on its own
// (it cannot import the target table); two targets of different machine or
// class must not share a name there (MIPS 32 and 64 both are EM_MIPS), or a
// wrong-machine message would name the wanted machine as the found one.
func TestEveryTargetHasAMachineName(t *testing.T) {
	seen := map[string]string{}
	for _, tg := range Targets() {
		name := elfcheck.MachineName(tg.Machine, tg.Class)
		key := tg.Machine.String() + tg.Class.String()
		if other, ok := seen[name]; ok && other != key {
			t.Errorf("%s: MachineName %q also names %s", tg.Name, name, other)
		}
		seen[name] = key
	}
}
