package mkbundle

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// MonoConfig is Debian Mono's system config, whose <dllmap>s map the
// library names of [DllImport]s to the files a glibc system installs.
const MonoConfig = "/etc/mono/config"

// monoLibDir is what Mono substitutes for $mono_libdir in Debian's build.
const monoLibDir = "/usr/lib"

// DllMap is the <dllmap>s of one Mono config that apply on this platform,
// in document order.
type DllMap struct {
	entries []dllMapEntry
}

type dllMapEntry struct {
	dll, target string
}

// Platform is what Mono's config matches os, cpu and wordsize against
// (mono-config.c: CONFIG_OS, CONFIG_CPU, CONFIG_WORDSIZE).
type Platform struct{ OS, CPU, WordSize string }

// LinuxAMD64 is the platform of the glibc fallback (Debian's amd64 Mono).
var LinuxAMD64 = Platform{OS: "linux", CPU: "x86-64", WordSize: "64"}

// ParseDllMap reads the <dllmap>s of a Mono config (a system config or an
// assembly's .config) that apply on p, as Mono's parser keeps them.
func ParseDllMap(data []byte, p Platform) (*DllMap, error) {
	var doc struct {
		DllMaps []struct {
			Dll      string `xml:"dll,attr"`
			Target   string `xml:"target,attr"`
			OS       string `xml:"os,attr"`
			CPU      string `xml:"cpu,attr"`
			WordSize string `xml:"wordsize,attr"`
		} `xml:"dllmap"`
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a Mono config: %w", err)
	}
	m := &DllMap{}
	for _, d := range doc.DllMaps {
		if d.Dll == "" || d.Target == "" || !archMatches(p.OS, d.OS) || !archMatches(p.CPU, d.CPU) || !archMatches(p.WordSize, d.WordSize) {
			continue // a <dllmap> of <dllentry>s maps functions, not the library
		}
		m.entries = append(m.entries, dllMapEntry{d.Dll, strings.ReplaceAll(d.Target, "$mono_libdir", monoLibDir)})
	}
	return m, nil
}

// archMatches is mono-config.c's arch_matches: a comma-separated list,
// negated by a leading "!"; an absent attribute matches everything.
func archMatches(have, value string) bool {
	if value == "" {
		return true
	}
	if strings.HasPrefix(value, "!") {
		return !archMatches(have, value[1:])
	}
	for _, v := range strings.Split(value, ",") {
		if v == have {
			return true
		}
	}
	return false
}

// Lookup returns what dll maps to. Mono prepends each entry to its list
// and takes the first match, so the last matching entry of the document
// wins; "i:" makes the match ASCII case-insensitive.
func (m *DllMap) Lookup(dll string) (string, bool) {
	if m == nil {
		return "", false
	}
	for i := len(m.entries) - 1; i >= 0; i-- {
		e := m.entries[i]
		if name, ok := strings.CutPrefix(e.dll, "i:"); ok {
			if strings.EqualFold(name, dll) {
				return e.target, true
			}
		} else if e.dll == dll {
			return e.target, true
		}
	}
	return "", false
}

// WithDllMaps returns config (a Mono config such as DefaultDllMap) with a
// <dllmap> added for each name, pointing it at its file. Names are written
// in the order given; the caller sorts them.
func WithDllMaps(config string, names []string, targets map[string]string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "\t<dllmap dll=\"%s\" target=\"%s\" os=\"!windows\" />\n", xmlAttr(n), xmlAttr(targets[n]))
	}
	i := strings.LastIndex(config, "</configuration>")
	if i < 0 {
		return config
	}
	return config[:i] + b.String() + config[i:]
}

func xmlAttr(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) // quotes too
	return b.String()
}
