package mkbundle

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/userfile"
)

// DefaultLibDirs is where Debian's Mono keeps the 4.5 profile class
// libraries (and the facades that forward netstandard/System.Runtime).
var DefaultLibDirs = []string{"/usr/lib/mono/4.5", "/usr/lib/mono/4.5/Facades"}

// Member is one assembly of a bundle.
type Member struct {
	Path     string    // file on disk
	FileName string    // name in the bundle, e.g. "System.Xml.dll"
	Assembly *Assembly // its parsed metadata
	Data     []byte
}

// Closure returns app, extras and every assembly they reference, directly
// or not, with app first and the rest sorted by file name. References are
// looked up in the app's directory first, then in libDirs. A missing one is
// a bad-input error naming it and who references it.
func Closure(app string, extras, libDirs []string) ([]*Member, error) {
	c := &closure{search: append([]string{filepath.Dir(app)}, libDirs...), byName: map[string]*Member{}}
	if err := c.add(app, true); err != nil {
		return nil, err
	}
	for _, e := range extras {
		if err := c.add(e, false); err != nil {
			return nil, err
		}
	}
	for len(c.queue) > 0 {
		p := c.queue[0]
		c.queue = c.queue[1:]
		if _, ok := c.byName[strings.ToLower(p.ref)]; ok {
			continue
		}
		path := find(p.ref, c.search)
		if path == "" {
			return nil, badinput.Errorf("assembly %s (referenced by %s) not found in %s: put it beside the app, pass it as an extra argument, or point --lib at its directory",
				p.ref, p.from, strings.Join(c.search, ", "))
		}
		if err := c.add(path, false); err != nil {
			return nil, err
		}
	}
	rest := c.order[1:]
	sort.Slice(rest, func(i, j int) bool { return rest[i].FileName < rest[j].FileName })
	return c.order, nil
}

// closure is Closure's walk: the members found, and the references still
// to look up.
type closure struct {
	search []string           // the app's directory, then the class libraries
	byName map[string]*Member // by simple assembly name, lower-cased
	order  []*Member          // in the order found
	queue  []reference
}

// reference is an assembly reference still to look up.
type reference struct{ ref, from string }

// add reads the assembly at path and queues its references; wantExe says
// it must be a program.
func (c *closure) add(path string, wantExe bool) error {
	m, err := load(path)
	if err != nil {
		return err
	}
	if wantExe && !m.Assembly.IsExe {
		return badinput.Errorf("%s: is a library, not a program with an entry point: give the .exe first", path)
	}
	if err := supported(path, m.Assembly); err != nil {
		return err
	}
	key := strings.ToLower(m.Assembly.Name)
	if _, ok := c.byName[key]; ok {
		return nil
	}
	c.byName[key] = m
	c.order = append(c.order, m)
	for _, r := range m.Assembly.References {
		c.queue = append(c.queue, reference{r.Name, m.FileName})
	}
	return nil
}

func load(path string) (*Member, error) {
	if err := userfile.CheckInput(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	a, err := ReadAssembly(data)
	if err != nil {
		return nil, badinput.Errorf("%s: %v", path, err)
	}
	return &Member{Path: path, FileName: filepath.Base(path), Assembly: a, Data: data}, nil
}

// find looks for NAME.dll, then NAME.exe, in each dir in turn.
func find(name string, dirs []string) string {
	for _, d := range dirs {
		for _, ext := range []string{".dll", ".exe"} {
			p := filepath.Join(d, name+ext)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// supported rejects assemblies built for .NET Core / .NET 5+, which need
// CoreCLR's System.Private.CoreLib and framework, not Mono's 4.x profile.
func supported(path string, a *Assembly) error {
	why := ""
	tf := a.TargetFramework
	switch {
	case strings.HasPrefix(tf, ".NETCoreApp"):
		why = "it targets " + tf
	default:
		hasCorlib := false
		for _, r := range a.References {
			switch r.Name {
			case "System.Private.CoreLib":
				why = "it references System.Private.CoreLib"
			case "mscorlib", "netstandard":
				hasCorlib = true
			}
		}
		if why == "" && !hasCorlib && a.Name != "mscorlib" {
			for _, r := range a.References {
				if r.Name == "System.Runtime" {
					why = "it is compiled against System.Runtime reference assemblies, not mscorlib"
				}
			}
		}
	}
	if why == "" {
		return nil
	}
	return badinput.Errorf("%s: is a .NET Core/.NET 5+ assembly (%s); mcc mkbundle supports .NET Framework 4.x and .NET Standard assemblies that run on Mono: rebuild it for net4x (mcs, or msbuild with TargetFramework net48)", path, why)
}
