package mkbundle

import (
	"os"
	"path/filepath"
	"sort"
)

// HostsFile is the /etc/hosts of bundle images: Mono resolves localhost
// through it.
const HostsFile = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// glibcDlopened are the native helpers Debian's Mono dlopens for its class
// libraries (see DefaultDllMap); the glibc image needs them too.
// libmono-btls-shared.so is System.dll's TLS (BoringSSL): without it every
// https request fails with DllNotFoundException.
var glibcDlopened = []string{"libmono-native.so.0", "libMonoPosixHelper.so", "libmono-btls-shared.so"}

// glibcAppLibDir is where the glibc image keeps native libraries found
// outside the system's library directories (beside the app): the bundle's
// dllmap points at them there.
const glibcAppLibDir = "/app/lib"

// ImageRequest is a bundle's FROM scratch image: what Env.WriteImage
// builds with internal/image and writes to Archive.
type ImageRequest struct {
	Bundle       string      // the bundle, under the name the image records
	Archive      string      // --image OUT.tar
	Tag          string      // --tag; empty: the bundle's name:latest
	AllowDynamic bool        // glibc: the bundle is Debian's dynamic Mono
	Files        []ImageFile // /etc/hosts, then (glibc) the shared libraries
	CAFiles      []string    // --ca-file
}

// ImageFile is one file the image carries besides the bundle: Data, or
// the file at Source.
type ImageFile struct {
	Path   string // absolute path in the image
	Source string
	Data   []byte
	Mode   os.FileMode // 0 means 0644
}

// imageRequest is the image of the bundle at path; for glibc it carries
// the app's natives and the shared libraries they and the runtime need.
func (r *run) imageRequest(path string) (ImageRequest, error) {
	req := ImageRequest{
		Bundle: path, Archive: r.Image, Tag: r.Tag, CAFiles: r.CAFiles,
		Files: []ImageFile{{Path: "/etc/hosts", Data: []byte(HostsFile)}},
	}
	if r.Libc != "glibc" {
		return req, nil
	}
	req.AllowDynamic = true
	libs, err := glibcImageLibraries(r.Runtime, r.nativeLibs)
	if err != nil {
		return req, err
	}
	for _, l := range libs {
		req.Files = append(req.Files, ImageFile{Path: l.Path, Source: l.Source, Mode: 0o755})
	}
	return req, nil
}

// ImageLibrary is where file goes in the glibc image: where it is, if in
// a system library directory (its DT_NEEDED closure is looked up there
// too); else under glibcAppLibDir, so the image does not depend on where
// the app was built.
func ImageLibrary(file string) (SharedLibrary, error) {
	src, err := filepath.EvalSymlinks(file)
	if err == nil {
		src, err = filepath.Abs(src) // a closure root must be absolute
	}
	if err != nil {
		return SharedLibrary{}, err
	}
	for _, d := range GlibcLibDirs {
		if filepath.Dir(file) == d {
			return SharedLibrary{Path: file, Source: src}, nil
		}
	}
	return SharedLibrary{Path: glibcAppLibDir + "/" + filepath.Base(file), Source: src}, nil
}

// glibcImageLibraries is what the glibc image carries besides the bundle:
// the DT_NEEDED closure of the runtime, its dlopened helpers and the
// app's natives, and the natives themselves.
func glibcImageLibraries(runtime string, natives []SharedLibrary) ([]SharedLibrary, error) {
	roots := append([]string{runtime}, glibcDlopened...)
	for _, n := range natives {
		roots = append(roots, n.Source)
	}
	libs, err := LibraryClosure(roots, GlibcLibDirs)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, l := range libs {
		have[l.Path] = true
	}
	for _, n := range natives {
		if !have[n.Path] {
			have[n.Path] = true
			libs = append(libs, n)
		}
	}
	sort.Slice(libs, func(i, k int) bool { return libs[i].Path < libs[k].Path })
	return libs, nil
}
