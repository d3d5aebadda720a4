package image

import (
	"debug/buildinfo"
	"net/url"
	"os/exec"
	"runtime/debug"
	"strings"
)

// binaryInfo is what a binary says about its origin.
type binaryInfo struct {
	Go       *debug.BuildInfo // nil: not a Go binary
	Revision string
	Source   string
	Version  string
}

// readBuildInfo reads Go build info from the binary and, when it names no
// revision, asks the git checkout at dir (if any).
func readBuildInfo(bin, dir string) binaryInfo {
	var bi binaryInfo
	if info, err := buildinfo.ReadFile(bin); err == nil {
		bi.Go = info
		if v := info.Main.Version; v != "" && v != "(devel)" {
			bi.Version = v
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				bi.Revision = s.Value
			}
		}
		// The module path says where the source lives only when the
		// binary was built from a checkout of it.
		if bi.Revision != "" {
			bi.Source = sourceFromModule(info.Main.Path)
		}
	}
	if bi.Revision == "" && dir != "" {
		if out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output(); err == nil {
			bi.Revision = strings.TrimSpace(string(out))
		}
		if out, err := exec.Command("git", "-C", dir, "config", "--get", "remote.origin.url").Output(); err == nil {
			if s := cleanRemote(strings.TrimSpace(string(out))); s != "" {
				bi.Source = s
			}
		}
	}
	return bi
}

// sourceFromModule turns a module path whose first element is a host name
// (it has a dot) into the https URL the go command would fetch it from.
func sourceFromModule(mod string) string {
	host, _, _ := strings.Cut(mod, "/")
	if !strings.Contains(host, ".") || strings.ContainsAny(mod, " @") {
		return ""
	}
	return "https://" + mod
}

// cleanRemote drops credentials from a git remote URL; scp-like remotes
// (git@host:path) become https URLs; local paths give nothing.
func cleanRemote(r string) string {
	if u, err := url.Parse(r); err == nil && u.Scheme != "" && u.Host != "" {
		if u.Scheme != "https" && u.Scheme != "http" {
			u.Scheme = "https"
		}
		u.User = nil
		return strings.TrimSuffix(u.String(), ".git")
	}
	if at := strings.Index(r, "@"); at >= 0 {
		if host, p, ok := strings.Cut(r[at+1:], ":"); ok && strings.Contains(host, ".") {
			return "https://" + host + "/" + strings.TrimSuffix(p, ".git")
		}
	}
	return ""
}
