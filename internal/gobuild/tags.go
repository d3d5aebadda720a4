package gobuild

import (
	"os"
	"strings"
)

// MuslTag is the build tag mcc adds so Go packages that ship a musl build
// of their C code (prebuilt archives or cgo flags chosen by //go:build musl)
// pick it instead of the glibc one.
const MuslTag = "musl"

// MuslTagEnv turns the tag off when set to 0 (or false, no, off).
const MuslTagEnv = "MCC_MUSL_TAG"

// MuslTagOn reads MCC_MUSL_TAG from env (KEY=VALUE list): on unless 0,
// false, no or off.
func MuslTagOn(env []string) bool {
	v := ""
	for _, e := range env {
		if k, val, ok := strings.Cut(e, "="); ok && k == MuslTagEnv {
			v = val
		}
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

// tagVerbs are the go verbs that take build flags (and so -tags).
var tagVerbs = map[string]bool{"build": true, "install": true, "test": true, "run": true, "vet": true, "list": true}

// splitTags reads a -tags value the way the go command does: a
// comma-separated list, or (the older form) a space-separated one.
func splitTags(v string) []string {
	var out []string
	sep := strings.Fields
	if strings.Contains(v, ",") {
		sep = func(s string) []string { return strings.Split(s, ",") }
	}
	for _, t := range sep(v) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// goflagsTags is the -tags value in a GOFLAGS environment entry, which the
// go command uses only when the command line has no -tags.
func goflagsTags(env []string) (string, bool) {
	v, found := "", false
	for _, e := range env {
		k, flags, ok := strings.Cut(e, "=")
		if !ok || k != "GOFLAGS" {
			continue
		}
		v, found = "", false // a later GOFLAGS entry replaces an earlier one
		for _, f := range strings.Fields(flags) {
			name, val, ok := strings.Cut(strings.TrimLeft(f, "-"), "=")
			if ok && name == "tags" && strings.HasPrefix(f, "-") {
				v, found = val, true
			}
		}
	}
	return v, found
}

// AddMuslTag replaces the user's -tags flags (go keeps only the last one;
// without any, the -tags in GOFLAGS) by one -tags flag, placed first, that
// holds the same tags plus musl. go test also reads build flags after its
// packages: a -tags there wins, so it gets musl added in place.
func AddMuslTag(verb string, p Parsed, env []string) Parsed {
	user, ok := p.Get("tags")
	if !ok {
		user, _ = goflagsTags(env)
	}
	out := Parsed{Rest: p.Rest, Flags: []Flag{{Name: "tags", Value: withMusl(user)}}}
	for _, f := range p.Flags {
		if f.Name != "tags" {
			out.Flags = append(out.Flags, f)
		}
	}
	if verb == "test" {
		out.Rest = muslTagInTestArgs(p.Rest)
	}
	return out
}

// withMusl is a -tags value plus musl, as a comma list.
func withMusl(v string) string {
	tags := splitTags(v)
	for _, t := range tags {
		if t == MuslTag {
			return strings.Join(tags, ",")
		}
	}
	return strings.Join(append(tags, MuslTag), ",")
}

// muslTagInTestArgs adds musl to each -tags among go test's arguments
// after the packages, up to -args (the rest is the test binary's).
func muslTagInTestArgs(rest []string) []string {
	out := append([]string(nil), rest...)
	for i := 0; i < len(out); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(out[i], "-"), "=")
		switch {
		case !strings.HasPrefix(out[i], "-") || name != "tags" && name != "args":
		case name == "args":
			return out
		case hasVal:
			out[i] = "-tags=" + withMusl(val)
		case i+1 < len(out):
			out[i+1] = withMusl(out[i+1])
			i++
		}
	}
	return out
}

// EnvGoFlags is GoFlags for this process's environment.
func EnvGoFlags() string { return GoFlags(os.Environ()) }

// GoFlags is the GOFLAGS value `mcc env` exports: what mcc go adds to a
// command line, for plain go commands.
func GoFlags(env []string) string {
	s := "-trimpath '-ldflags=" + StaticLdflags + "'"
	if MuslTagOn(env) {
		s += " -tags=" + MuslTag
	}
	return s
}
