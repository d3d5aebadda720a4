// Package gobuild rewrites and runs go commands so they build static
// binaries with a musl toolchain: cgo on, CC the target's musl cc, -trimpath,
// and '-linkmode external -extldflags -static' merged into the user's
// -ldflags; then it finds the binaries the command wrote so they can be
// checked.
package gobuild

import (
	"fmt"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
)

// valueFlags are go command flags that take a separate value, needed to
// tell a flag's value from the first package argument.
var valueFlags = map[string]bool{
	"o": true, "p": true, "C": true, "tags": true, "ldflags": true, "gcflags": true, "asmflags": true,
	"gccgoflags": true, "buildmode": true, "compiler": true, "installsuffix": true, "mod": true,
	"modfile": true, "overlay": true, "pgo": true, "pkgdir": true, "toolexec": true, "exec": true,
	"coverpkg": true, "covermode": true, "coverprofile": true, "run": true, "skip": true, "bench": true,
	"count": true, "timeout": true, "cpu": true, "parallel": true, "benchtime": true, "fuzz": true,
	"fuzztime": true, "fuzzminimizetime": true, "f": true, "outputdir": true, "cpuprofile": true, "memprofile": true,
	"blockprofile": true, "mutexprofile": true, "trace": true, "vet": true, "shuffle": true, "list": true,
}

// Flag is one parsed go command flag.
type Flag struct {
	Name  string
	Value string
	Bool  bool // had no value
}

// Parsed splits a go command's arguments into flags and the rest.
type Parsed struct {
	Flags []Flag
	Rest  []string // packages (and for run, the program's arguments)
}

// Parse reads flags up to the first non-flag argument or "--". go test also
// takes flags after its packages; those stay in Rest and go passes them on.
func Parse(args []string) (Parsed, error) {
	var p Parsed
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			p.Rest = args[i:]
			return p, nil
		}
		name := strings.TrimLeft(a, "-")
		if n, v, ok := strings.Cut(name, "="); ok {
			p.Flags = append(p.Flags, Flag{Name: n, Value: v})
			continue
		}
		if valueFlags[name] {
			if i+1 >= len(args) {
				return p, badinput.Errorf("go flag -%s needs a value", name)
			}
			p.Flags = append(p.Flags, Flag{Name: name, Value: args[i+1]})
			i++
			continue
		}
		p.Flags = append(p.Flags, Flag{Name: name, Bool: true})
	}
	return p, nil
}

// Get returns the last value of flag name.
func (p Parsed) Get(name string) (string, bool) {
	v, ok := "", false
	for _, f := range p.Flags {
		if f.Name == name {
			v, ok = f.Value, true
		}
	}
	return v, ok
}

// Args turns the parsed flags back into arguments, always in -name=value form.
func (p Parsed) Args() []string {
	var out []string
	for _, f := range p.Flags {
		if f.Bool {
			out = append(out, "-"+f.Name)
		} else {
			out = append(out, "-"+f.Name+"="+f.Value)
		}
	}
	return append(out, p.Rest...)
}

// StaticLdflags is what mcc merges into -ldflags.
const StaticLdflags = "-linkmode external -extldflags -static"

// MakeStatic adds -trimpath and merges the static link flags into every
// -ldflags (or adds one), refusing flags that contradict a static link.
func MakeStatic(p Parsed) (Parsed, error) {
	out := Parsed{Rest: p.Rest}
	trim, ld := false, false
	for _, f := range p.Flags {
		switch f.Name {
		case "trimpath":
			trim = true
		case "linkshared":
			return p, badinput.Errorf("refusing -linkshared: mcc builds fully static binaries; drop the flag")
		case "buildmode":
			if f.Value != "exe" && f.Value != "default" {
				return p, badinput.Errorf("refusing -buildmode=%s: mcc builds static executables (-buildmode=exe); drop the flag", f.Value)
			}
		case "ldflags":
			v, err := mergeLdflags(f.Value)
			if err != nil {
				return p, err
			}
			f.Value, ld = v, true
		}
		out.Flags = append(out.Flags, f)
	}
	if !trim {
		out.Flags = append([]Flag{{Name: "trimpath", Bool: true}}, out.Flags...)
	}
	if !ld {
		out.Flags = append(out.Flags, Flag{Name: "ldflags", Value: StaticLdflags})
	}
	return out, nil
}

// mergeLdflags merges the static flags into one -ldflags value, which may
// have go's per-package form "pattern=flags".
func mergeLdflags(v string) (string, error) {
	pattern := ""
	if !strings.HasPrefix(v, "-") {
		if pat, rest, ok := strings.Cut(v, "="); ok {
			pattern, v = pat+"=", rest
		}
	}
	words, err := splitQuoted(v)
	if err != nil {
		return "", badinput.Errorf("cannot read -ldflags %q: %v", v, err)
	}
	var keep []string
	extld := []string{"-static"}
	for i := 0; i < len(words); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(words[i], "-"), "=")
		if name != "linkmode" && name != "extldflags" {
			keep = append(keep, quote(words[i]))
			continue
		}
		if !hasVal {
			if i+1 >= len(words) {
				return "", badinput.Errorf("-ldflags: -%s needs a value", name)
			}
			i++
			val = words[i]
		}
		if name == "linkmode" && val != "external" {
			return "", badinput.Errorf("refusing -ldflags '-linkmode %s': a static cgo binary needs the external linker; drop the flag", val)
		}
		if name == "extldflags" {
			ext, err := checkExtld(val)
			if err != nil {
				return "", err
			}
			extld = append(extld, ext...)
		}
	}
	merged := append([]string{"-linkmode", "external", "-extldflags", quote(strings.Join(dedupe(extld), " "))}, keep...)
	return pattern + strings.Join(merged, " "), nil
}

func checkExtld(val string) ([]string, error) {
	ext, err := splitQuoted(val)
	if err != nil {
		return nil, badinput.Errorf("cannot read -extldflags %q: %v", val, err)
	}
	for _, e := range ext {
		switch e {
		case "-shared", "-dynamic", "-rdynamic", "-Wl,-Bdynamic", "-pie", "-static-pie":
			return nil, badinput.Errorf("refusing -extldflags %s: it contradicts a static link; drop it", e)
		}
	}
	return ext, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if x == "-static" && seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
	}
	return out
}

func quote(s string) string {
	if !strings.ContainsAny(s, " \t'\"") {
		return s
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// splitQuoted splits like the go command does for flag lists: on spaces,
// with single or double quotes grouping words.
func splitQuoted(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
