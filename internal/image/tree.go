package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
)

// Node is one file system object in an image layer. Paths are absolute
// ("/etc/passwd"); parent directories are added as 0755 root:root when a
// tree is written, so callers list only what they care about.
type Node struct {
	Path     string
	Mode     int64 // permission bits plus sticky/setuid bits, e.g. 0o1777
	UID, GID int
	Dir      bool
	Linkname string // non-empty: a symbolic link to this target
	Data     []byte // file content
}

// tree is the content of one layer, keyed by cleaned absolute path.
type tree map[string]Node

func (t tree) add(e Node) error {
	p := path.Clean("/" + e.Path)
	if p == "/" {
		return fmt.Errorf("image path %q names the root directory: give a file path such as /app/NAME", e.Path)
	}
	if old, ok := t[p]; ok && !(old.Dir && e.Dir) {
		return fmt.Errorf("image path %s is given twice: drop one of them", p)
	}
	e.Path = p
	t[p] = e
	return nil
}

// writeTar writes the tree as a tar stream: entries sorted by path, fixed owners and modes, every time
// field at mtime, no user or group names.
func (t tree) writeTar(w io.Writer, mtime time.Time) error {
	all, err := t.withParents()
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, p := range all.sortedPaths() {
		e := all[p]
		h := tarHeader(p, e, mtime)
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.Data); err != nil {
				return fmt.Errorf("writing %s into the layer: %w", p, err)
			}
		}
	}
	return tw.Close()
}

// withParents is the tree plus a 0755 directory for every parent no entry
// gives; a parent that is a file is an error.
func (t tree) withParents() (tree, error) {
	all := make(tree, len(t))
	for p, e := range t {
		all[p] = e
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; ok {
				continue
			}
			if _, ok := t[d]; ok {
				continue
			}
			all[d] = Node{Path: d, Dir: true, Mode: 0o755}
		}
	}
	for p, e := range all {
		if e.Dir {
			continue
		}
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if pe := all[d]; !pe.Dir {
				return nil, fmt.Errorf("image path %s needs %s to be a directory, but it is a file: rename one of them", p, d)
			}
		}
	}
	return all, nil
}

// sortedPaths sorts by path elements (as tar --sort=name does per
// directory), so a directory's entries follow it directly: /etc,
// /etc/passwd, /etc-x.
func (t tree) sortedPaths() []string {
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		return slices.Compare(strings.Split(paths[i], "/"), strings.Split(paths[j], "/")) < 0
	})
	return paths
}

// tarHeader is the header of e at path p: its mode and owner, every time
// at mtime.
func tarHeader(p string, e Node, mtime time.Time) *tar.Header {
	h := &tar.Header{
		Name:    strings.TrimPrefix(p, "/"),
		Mode:    e.Mode,
		Uid:     e.UID,
		Gid:     e.GID,
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	switch {
	case e.Dir:
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	case e.Linkname != "":
		h.Typeflag = tar.TypeSymlink
		h.Linkname = e.Linkname
	default:
		h.Typeflag = tar.TypeReg
		h.Size = int64(len(e.Data))
	}
	return h
}

// layer is a gzip-compressed tar held in memory. Building it hashes the
// uncompressed and compressed streams in one pass, so the layer is
// compressed exactly once however often it is written.
type layer struct {
	tar, gz        []byte
	diffID, digest v1.Hash
}

const layerGzipLevel = 5

func newLayer(t tree, mtime time.Time) (*layer, error) {
	var tarBuf, gzBuf bytes.Buffer
	dh, gh := sha256.New(), sha256.New()
	// klauspost's gzip at level 5: ~4x faster than compress/gzip's default
	// for 3% more bytes. Its output is fixed for a given library version,
	// which go.mod pins; a new version may change layer digests.
	gz, err := gzip.NewWriterLevel(io.MultiWriter(&gzBuf, gh), layerGzipLevel)
	if err != nil {
		return nil, err
	}
	// gzip's header carries no name and a zero mtime: deterministic.
	if err := t.writeTar(io.MultiWriter(&tarBuf, dh, gz), mtime); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("compressing the layer: %w", err)
	}
	return &layer{tar: tarBuf.Bytes(), gz: gzBuf.Bytes(), diffID: sum(dh), digest: sum(gh)}, nil
}

func sum(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
}

func (l *layer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *layer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *layer) Size() (int64, error)                { return int64(len(l.gz)), nil }
func (l *layer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (l *layer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.gz)), nil
}
func (l *layer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.tar)), nil
}
