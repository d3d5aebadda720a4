package image

import (
	"debug/elf"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/toolchains"
)

type machineClass struct {
	Machine elf.Machine
	Class   elf.Class
}

// imageOnlyArchs are architectures an image may hold binaries of (pure Go,
// built elsewhere) that mcc has no C toolchain for.
var imageOnlyArchs = []struct {
	arch string
	mc   machineClass
}{
	{"loong64", machineClass{elf.EM_LOONGARCH, elf.ELFCLASS64}},
}

// machines maps a GOARCH-style architecture to the ELF machine and class
// its executables carry: the target table's rows, so a new target is an
// image platform too, then imageOnlyArchs. archOrder is the same keys in
// that order, for messages.
var machines, archOrder = func() (map[string]machineClass, []string) {
	m := map[string]machineClass{}
	var order []string
	add := func(arch string, mc machineClass) {
		if _, ok := m[arch]; !ok {
			order = append(order, arch)
		}
		m[arch] = mc
	}
	for _, t := range toolchains.Targets() {
		add(t.GOARCH, machineClass{t.Machine, t.Class})
	}
	for _, x := range imageOnlyArchs {
		add(x.arch, x.mc)
	}
	return m, order
}()

// ParsePlatform reads OS/ARCH[/VARIANT], e.g. linux/arm64 or linux/arm/v7.
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, badinput.Errorf("platform %q is not OS/ARCH[/VARIANT]: write it like linux/arm64 or linux/arm/v7", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.OS != "linux" {
		return v1.Platform{}, badinput.Errorf("platform %q: only linux images are supported: use linux/%s", s, p.Architecture)
	}
	if _, ok := machines[p.Architecture]; !ok {
		return v1.Platform{}, badinput.Errorf("platform %q: unknown architecture %q: use one of %s", s, p.Architecture, knownArchs())
	}
	return p, nil
}

func knownArchs() string {
	return strings.Join(archOrder, ", ")
}

// PlatformOf names the platform of an ELF machine (linux/amd64, ...). An
// arm file gets no variant: say linux/arm/v7 explicitly when it matters.
func PlatformOf(m elf.Machine, c elf.Class) (v1.Platform, bool) {
	for arch, mc := range machines {
		if mc.Machine == m && mc.Class == c {
			return v1.Platform{OS: "linux", Architecture: arch}, true
		}
	}
	return v1.Platform{}, false
}

// platformString is OS/ARCH[/VARIANT].
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// platformSlug is the platform as a file name part: linux-arm-v7.
func platformSlug(p v1.Platform) string {
	return strings.ReplaceAll(platformString(p), "/", "-")
}

func wantFor(p v1.Platform) (elf.Machine, elf.Class, error) {
	mc, ok := machines[p.Architecture]
	if !ok {
		return 0, 0, fmt.Errorf("unknown architecture %q", p.Architecture)
	}
	return mc.Machine, mc.Class, nil
}
