package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcc-build/mcc/internal/atomicfile"
	"github.com/mcc-build/mcc/internal/badinput"
)

// DefaultTag is the tag an image gets when none is given: the binary's
// name, lower-cased to what image references allow, at "latest".
func DefaultTag(binary string) string {
	n := strings.ToLower(filepath.Base(binary))
	n = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, n)
	n = strings.Trim(n, ".-_")
	if n == "" {
		n = "image"
	}
	return n + ":latest"
}

// imageTag is a tag as the user wrote it, split at its last colon.
type imageTag struct{ repo, tag string }

func (t imageTag) String() string { return t.repo + ":" + t.tag }

// parseTag validates a tag; a name without ":TAG" gets ":latest". The
// user's spelling is kept (no registry or library/ is added), as docker
// save does.
func parseTag(s string) (imageTag, error) {
	if _, err := name.NewTag(s); err != nil {
		return imageTag{}, badinput.Errorf("tag %q is not an image name: write it like app:1.0 or HOST:PORT/app:1.0", s)
	}
	slash := strings.LastIndex(s, "/")
	if c := strings.LastIndex(s, ":"); c > slash {
		return imageTag{s[:c], s[c+1:]}, nil
	}
	return imageTag{s, "latest"}, nil
}

// archiveTags says which repo tags each platform's image gets in a
// docker-archive: a single image gets tag; with several platforms each gets
// tag-ARCH[-VARIANT], and the first also gets tag itself (not the host's:
// the bytes must not depend on the machine that wrote them).
func archiveTags(b *Built, tag imageTag) [][]string {
	out := make([][]string, len(b.Platforms))
	if len(b.Platforms) == 1 {
		out[0] = []string{tag.String()}
		return out
	}
	for i, p := range b.Platforms {
		suffix := p.Platform.Architecture
		if p.Platform.Variant != "" {
			suffix += "-" + p.Platform.Variant
		}
		out[i] = []string{imageTag{tag.repo, tag.tag + "-" + suffix}.String()}
	}
	out[0] = append([]string{tag.String()}, out[0]...)
	return out
}

// WriteArchive writes a docker-archive (what `podman load` and `docker
// load` read) atomically: the file appears complete or not at all, and an
// existing file is replaced only on success. Entries are in a fixed order
// with fixed times, so the same image gives the same bytes.
func WriteArchive(path string, b *Built, tag string) error {
	t, err := parseTag(tag)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		return writeDockerArchive(w, b, archiveTags(b, t))
	})
}

func writeAtomic(path string, write func(w io.Writer) error) error {
	pf, err := atomicfile.NewOutput(path, 0o644)
	if err != nil {
		return badinput.Errorf("cannot write %s: %v: choose a writable directory", path, unwrapPath(err))
	}
	defer pf.Cleanup()
	if err := write(pf); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// writeDockerArchive writes each platform's config and layers (each once)
// and manifest.json naming them with their repo tags.
func writeDockerArchive(w io.Writer, b *Built, tags [][]string) error {
	a := &dockerArchive{tw: tar.NewWriter(w), seen: map[string]bool{}}
	var m []archiveManifest
	for i, p := range b.Platforms {
		entry, err := a.putImage(p.Image)
		if err != nil {
			return err
		}
		entry.RepoTags = tags[i]
		m = append(m, entry)
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := a.put("manifest.json", mb); err != nil {
		return err
	}
	return a.tw.Close()
}

// dockerArchive is a docker-archive being written.
type dockerArchive struct {
	tw   *tar.Writer
	seen map[string]bool
}

// put writes a file once, with fixed mode and time.
func (a *dockerArchive) put(name string, data []byte) error {
	if a.seen[name] {
		return nil
	}
	a.seen[name] = true
	h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
	if err := a.tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := a.tw.Write(data)
	return err
}

// putImage writes an image's config and compressed layers and returns its
// manifest entry, without tags.
func (a *dockerArchive) putImage(img v1.Image) (archiveManifest, error) {
	cfgName, err := img.ConfigName()
	if err != nil {
		return archiveManifest{}, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return archiveManifest{}, err
	}
	if err := a.put(cfgName.Hex+".json", cfg); err != nil {
		return archiveManifest{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return archiveManifest{}, err
	}
	entry := archiveManifest{Config: cfgName.Hex + ".json"}
	for _, l := range layers {
		name, err := a.putLayer(l)
		if err != nil {
			return archiveManifest{}, err
		}
		entry.Layers = append(entry.Layers, name)
	}
	return entry, nil
}

// putLayer writes a compressed layer as DIGEST.tar.gz and returns the name.
func (a *dockerArchive) putLayer(l v1.Layer) (string, error) {
	d, err := l.Digest()
	if err != nil {
		return "", err
	}
	rc, err := l.Compressed()
	if err != nil {
		return "", err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return "", err
	}
	name := d.Hex + ".tar.gz"
	return name, a.put(name, data)
}

func normaliseModes(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
}

// PushOptions tune Push.
type PushOptions struct {
	// Insecure uses plain HTTP for any registry (loopback and private
	// addresses use it anyway).
	Insecure bool
	// Remote are passed to go-containerregistry's remote.Write (auth,
	// transport).
	Remote []remote.Option
}

// Push sends the image or index to ref (a tag or repository) and returns
// the digest the registry stored. An unreachable registry is bad input.
func Push(ctx context.Context, ref string, b *Built, po PushOptions) (v1.Hash, error) {
	nopts := []name.Option{name.WeakValidation}
	if po.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return v1.Hash{}, badinput.Errorf("push target %q is not an image reference: write it like HOST:PORT/REPO:TAG", ref)
	}
	opts := append([]remote.Option{remote.WithContext(ctx)}, po.Remote...)
	if b.Index != nil {
		err = remote.WriteIndex(r, b.Index, opts...)
	} else {
		err = remote.Write(r, b.Platforms[0].Image, opts...)
	}
	if err != nil {
		if unreachable(err) {
			return v1.Hash{}, badinput.Errorf("cannot reach registry %s to push %s: %v: check the address and that the registry runs", r.Context().RegistryStr(), ref, shortNetErr(err))
		}
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return b.Digest()
}

func unreachable(err error) bool {
	var oe *net.OpError
	var de *net.DNSError
	var ue *url.Error
	return errors.As(err, &oe) || errors.As(err, &de) || errors.Is(err, syscall.ECONNREFUSED) ||
		(errors.As(err, &ue) && ue.Timeout())
}

func shortNetErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return te
	}
	return err
}

// SBOMFiles names the SBOM file(s) written beside an output: OUT.tar gives
// OUT.spdx.json for one platform and OUT.linux-arm64.spdx.json etc. for
// several.
func SBOMFiles(out string, b *Built) []string {
	base := strings.TrimSuffix(out, ".tar")
	if len(b.Platforms) == 1 {
		return []string{base + ".spdx.json"}
	}
	var names []string
	for _, p := range b.Platforms {
		names = append(names, base+"."+platformSlug(p.Platform)+".spdx.json")
	}
	return names
}
