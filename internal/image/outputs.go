package image

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/renameio/v2"

	"github.com/mcc-build/mcc/internal/atomicfile"
	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/userfile"
)

// Outputs are the files one build writes.
type Outputs struct {
	Archive string   // docker-archive file, or ""
	Layout  string   // OCI layout directory, or ""
	Tag     string   // NAME[:TAG]
	NoSBOM  bool     // write no SBOM files beside Archive (or Layout)
	Inputs  []string // files no output may be (compared with os.SameFile)
}

// Write writes every output next to its destination first and, once all
// are complete, renames them into place: a failure leaves every existing
// output as it was. It returns the SBOM files written.
func Write(b *Built, o Outputs) ([]string, error) {
	t, err := parseTag(o.Tag)
	if err != nil {
		return nil, err
	}
	var files []pendingFile
	defer func() {
		for _, f := range files {
			f.Cleanup()
		}
	}()
	if o.Archive != "" {
		f, err := prepareFile(o.Archive, "-o", o.Inputs, func(w io.Writer) error {
			return writeDockerArchive(w, b, archiveTags(b, t))
		})
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	sboms, err := prepareSBOMs(b, o)
	if err != nil {
		return nil, err
	}
	files = append(files, sboms...)
	var lay *pendingLayout
	if o.Layout != "" {
		if lay, err = prepareLayout(o.Layout, b, t); err != nil {
			return nil, err
		}
		defer lay.cleanup()
	}
	return sbomNames(sboms), commit(lay, files)
}

// pendingFile is a complete output not yet renamed into place.
type pendingFile struct {
	*renameio.PendingFile
	dest string
}

// prepareFile writes an output to a temp file beside path, after checking
// that path may take it.
func prepareFile(path, flag string, inputs []string, write func(w io.Writer) error) (pendingFile, error) {
	if err := userfile.CheckOutput(path, flag, inputs...); err != nil {
		return pendingFile{}, err
	}
	pf, err := atomicfile.NewOutput(path, 0o644)
	if err != nil {
		return pendingFile{}, badinput.Errorf("cannot write %s: %v: choose a writable directory", path, unwrapPath(err))
	}
	if err := write(pf); err != nil {
		pf.Cleanup()
		return pendingFile{}, fmt.Errorf("writing %s: %w", path, err)
	}
	return pendingFile{pf, path}, nil
}

func prepareSBOMs(b *Built, o Outputs) ([]pendingFile, error) {
	base := o.Archive
	if base == "" {
		base = strings.TrimSuffix(o.Layout, "/")
	}
	if o.NoSBOM || base == "" {
		return nil, nil
	}
	var out []pendingFile
	for i, name := range SBOMFiles(base, b) {
		sbom := b.Platforms[i].SBOM
		f, err := prepareFile(name, "-o", o.Inputs, func(w io.Writer) error { _, err := w.Write(sbom); return err })
		if err != nil {
			for _, p := range out {
				p.Cleanup()
			}
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func sbomNames(fs []pendingFile) []string {
	var n []string
	for _, f := range fs {
		if strings.HasSuffix(f.dest, ".spdx.json") {
			n = append(n, f.dest)
		}
	}
	return n
}

// commit moves the layout in (keeping the old one aside), renames the
// files, and only then drops the old layout; a failed rename puts the old
// layout back.
func commit(lay *pendingLayout, files []pendingFile) error {
	if lay != nil {
		if err := lay.swapIn(); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := f.CloseAtomicallyReplace(); err != nil {
			if lay != nil {
				lay.restore()
			}
			return fmt.Errorf("writing %s: %w", f.dest, err)
		}
	}
	if lay != nil {
		return lay.dropOld()
	}
	return nil
}

// pendingLayout is a complete layout in a temp directory beside dir.
type pendingLayout struct {
	dir, tmp, old string
}

func prepareLayout(dir string, b *Built, t imageTag) (*pendingLayout, error) {
	dir = filepath.Clean(dir)
	if err := CheckLayoutDir(dir); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, badinput.Errorf("cannot write layout %s: %v: choose a writable directory", dir, unwrapPath(err))
	}
	l := &pendingLayout{dir: dir, tmp: tmp}
	ann := map[string]string{"org.opencontainers.image.ref.name": t.tag}
	var add mutate.Appendable = b.Platforms[0].Image
	if b.Index != nil {
		add = b.Index
	}
	top := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: add, Descriptor: v1.Descriptor{Annotations: ann}})
	if _, err := layout.Write(tmp, top); err != nil {
		l.cleanup()
		return nil, fmt.Errorf("writing layout %s: %w", dir, err)
	}
	if err := normaliseModes(tmp); err != nil {
		l.cleanup()
		return nil, err
	}
	return l, nil
}

// swapIn moves an old layout aside and the new one in.
func (l *pendingLayout) swapIn() error {
	if err := CheckLayoutDir(l.dir); err != nil { // again: time passed since the first look
		return err
	}
	if _, err := os.Lstat(l.dir); err == nil {
		l.old = l.tmp + ".old"
		if err := os.Rename(l.dir, l.old); err != nil {
			l.old = ""
			return fmt.Errorf("replacing layout %s: %w", l.dir, err)
		}
	}
	if err := os.Rename(l.tmp, l.dir); err != nil {
		l.restore()
		return fmt.Errorf("replacing layout %s: %w", l.dir, err)
	}
	l.tmp = ""
	return nil
}

// restore puts the old layout back after a failed commit.
func (l *pendingLayout) restore() {
	if l.old == "" {
		return
	}
	if l.tmp == "" { // the new layout is in place: move it out of the way
		l.tmp = l.old + ".new"
		os.Rename(l.dir, l.tmp)
	}
	os.Rename(l.old, l.dir)
	l.old = ""
}

// dropOld removes the replaced layout, if it still holds only layout files.
func (l *pendingLayout) dropOld() error {
	if l.old == "" {
		return nil
	}
	if err := checkLayoutShape(l.old); err != nil {
		return fmt.Errorf("kept the replaced layout at %s: %v", l.old, err)
	}
	return os.RemoveAll(l.old)
}

// cleanup removes the temp layout mcc wrote, if it was not moved in.
func (l *pendingLayout) cleanup() {
	if l.tmp != "" {
		os.RemoveAll(l.tmp)
	}
}

// CheckLayoutDir says whether dir may take an OCI layout: it does not exist,
// is an empty directory, or is an OCI layout (an oci-layout file, index.json
// and blobs/ALG/HEX files, nothing else), which is replaced. Anything else is
// refused, so mcc never deletes a file it did not write.
func CheckLayoutDir(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return badinput.Errorf("layout %s: %v: choose another --layout DIR", dir, unwrapPath(err))
	case fi.Mode()&fs.ModeSymlink != 0:
		return badinput.Errorf("layout %s is a symbolic link: give --layout the directory itself", dir)
	case !fi.IsDir():
		return badinput.Errorf("layout %s is a file, not a directory: give --layout a new directory name", dir)
	}
	if err := checkLayoutShape(dir); err != nil {
		return badinput.Errorf("layout %s: %v: mcc replaces only an OCI layout it can rebuild; give --layout a new or empty directory, or move those files", dir, err)
	}
	return nil
}

var blobPath = regexp.MustCompile(`^blobs(/[a-z0-9]+(/[a-f0-9]{32,128})?)?$`)

// checkLayoutShape refuses a non-empty directory that is not an OCI layout
// or holds more than one.
func checkLayoutShape(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return unwrapPath(err)
	}
	if len(ents) == 0 {
		return nil
	}
	if fi, err := os.Lstat(filepath.Join(dir, "oci-layout")); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("the directory is not empty and not an OCI layout (no oci-layout file)")
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		ok := rel == "."
		switch {
		case rel == "oci-layout" || rel == "index.json":
			ok = d.Type().IsRegular()
		case blobPath.MatchString(rel):
			ok = d.IsDir() == (strings.Count(rel, "/") < 2) && (d.IsDir() || d.Type().IsRegular())
		}
		if !ok {
			return fmt.Errorf("it holds %s, which is not part of an OCI layout", rel)
		}
		return nil
	})
}
