package fetch

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"

	"github.com/mcc-build/mcc/sysroots"
)

// Resolver turns a pin's locations into URLs: debian: paths against the
// Debian archives the machine's apt uses, gomod: modules through GOPROXY.
// Both are read from the machine's own configuration, so mcc never names a
// registry host itself.
type Resolver struct {
	// DebianArchives are archive base URLs (the directory holding pool/).
	// Nil means: $MCC_DEBIAN_ARCHIVE (comma-separated), else apt's sources.
	DebianArchives []string
	// GoProxies are module proxy base URLs. Nil means: $GOPROXY, else
	// `go env GOPROXY` (the go command knows its own default).
	GoProxies []string
	// AptRoot is where apt's configuration lives ("/" unless testing).
	AptRoot string

	once sync.Once
	err  error
}

// Location is one place a pin says it can be found, resolved to URLs.
type Location struct {
	Raw  string   // as the pin writes it
	URLs []string // where to ask, in order
	Err  error    // why it could not be resolved (no archive configured, ...)
}

// Resolve lists the pin's locations (or its signature's) with their URLs.
func (r *Resolver) Resolve(locs []string) []Location {
	var out []Location
	for _, l := range locs {
		urls, err := r.urls(l)
		out = append(out, Location{Raw: l, URLs: urls, Err: err})
	}
	return out
}

func (r *Resolver) urls(loc string) ([]string, error) {
	kind, rest, err := sysroots.ParseLocation(loc)
	if err != nil {
		return nil, err
	}
	switch kind {
	case sysroots.KindURL:
		return []string{rest}, nil
	case sysroots.KindDebian:
		archives, err := r.debianArchives()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, a := range archives {
			out = append(out, strings.TrimSuffix(a, "/")+"/"+rest)
		}
		return out, nil
	default: // sysroots.KindGoMod
		return r.moduleURLs(rest)
	}
}

func (r *Resolver) moduleURLs(modver string) ([]string, error) {
	mod, ver, _ := sysroots.SplitModule(modver) // ParseLocation checked it
	ep, err := module.EscapePath(mod)
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", mod, err)
	}
	ev, err := module.EscapeVersion(ver)
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", modver, err)
	}
	proxies, err := r.goProxies()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range proxies {
		out = append(out, strings.TrimSuffix(p, "/")+"/"+ep+"/@v/"+ev+".zip")
	}
	return out, nil
}

func (r *Resolver) debianArchives() ([]string, error) {
	if r.DebianArchives != nil {
		return r.DebianArchives, nil
	}
	if env := os.Getenv("MCC_DEBIAN_ARCHIVE"); env != "" {
		return splitList(env, ","), nil
	}
	root := r.AptRoot
	if root == "" {
		root = "/"
	}
	archives := AptArchives(root)
	if len(archives) == 0 {
		return nil, fmt.Errorf("no Debian archive configured: apt has no sources under %s; set MCC_DEBIAN_ARCHIVE=URL", filepath.Join(root, "etc/apt"))
	}
	return archives, nil
}

func (r *Resolver) goProxies() ([]string, error) {
	if r.GoProxies != nil {
		return r.GoProxies, nil
	}
	r.once.Do(func() { r.GoProxies, r.err = goProxyList() })
	return r.GoProxies, r.err
}

// goProxyList reads GOPROXY as the go command would; "direct" and "off" are
// no proxies (mcc fetches module zips only from proxies, which serve the
// same bytes forever).
func goProxyList() ([]string, error) {
	v, ok := os.LookupEnv("GOPROXY")
	if !ok {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "env", "GOPROXY").Output()
		if err != nil {
			return nil, fmt.Errorf("GOPROXY is not set and 'go env GOPROXY' failed (%v): set GOPROXY=URL", err)
		}
		v = strings.TrimSpace(string(out))
	}
	var list []string
	for _, p := range splitList(strings.ReplaceAll(v, "|", ","), ",") {
		if p != "direct" && p != "off" {
			list = append(list, p)
		}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("GOPROXY=%q names no module proxy: set GOPROXY=URL", v)
	}
	return list, nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// AptArchives lists the archive URLs of apt's binary and source entries
// under root (sources.list, sources.list.d/*.list and deb822 *.sources), in
// file order, without duplicates.
func AptArchives(root string) []string {
	dir := filepath.Join(root, "etc", "apt")
	files := []string{filepath.Join(dir, "sources.list")}
	for _, pat := range []string{"*.list", "*.sources"} {
		m, _ := filepath.Glob(filepath.Join(dir, "sources.list.d", pat))
		files = append(files, m...)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		for _, u := range aptURIs(f) {
			if !seen[u] && (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "file:/")) {
				seen[u] = true
				out = append(out, strings.TrimSuffix(u, "/"))
			}
		}
	}
	return out
}

// aptURIs reads the URIs of one sources file, one-line or deb822 style.
func aptURIs(file string) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	deb822 := strings.HasSuffix(file, ".sources")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if deb822 {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "URIs") {
				out = append(out, strings.Fields(v)...)
			}
			continue
		}
		out = append(out, oneLineURI(line)...)
	}
	return out
}

// oneLineURI takes the URI of "deb [opts] URI suite comps".
func oneLineURI(line string) []string {
	fields := strings.Fields(line)
	if len(fields) < 2 || (fields[0] != "deb" && fields[0] != "deb-src") {
		return nil
	}
	rest := fields[1:]
	if strings.HasPrefix(rest[0], "[") {
		for len(rest) > 0 && !strings.HasSuffix(rest[0], "]") {
			rest = rest[1:]
		}
		if len(rest) > 0 {
			rest = rest[1:]
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return rest[:1]
}
