// Package image assembles reproducible FROM scratch OCI images around
// static executables: the binary, /etc/passwd and /etc/group with a nonroot
// user (65532), /tmp, CA certificates and optionally zone data from pinned
// Go module zips, and an SPDX SBOM. Same inputs give the same digest.
//
// Assemble is all of 'mcc image': it reads a Request (the command's flags),
// refuses bad inputs and outputs before any work, fetches the pins, then
// calls Build, Write and Push. Callers with their own outputs ('mcc
// mkbundle --image') call Build and WriteArchive themselves.
package image

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/sysroots"
)

// NonrootUID is the user images run as (distroless' "nonroot").
const NonrootUID = 65532

// SBOMPath is where the SBOM is stored inside an image.
const SBOMPath = "/usr/share/sbom/image.spdx.json"

// Binary is the executable for one platform.
type Binary struct {
	// Platform is OS/ARCH[/VARIANT]; zero means "from the file's ELF machine".
	Platform v1.Platform
	// Path is the file on disk.
	Path string
}

// File is an extra file placed in every image, e.g. /etc/hosts, a Mono
// machine.config, or the shared libraries of a dynamic fallback binary.
// One of Data, Source and Linkname is used.
type File struct {
	Path     string      // absolute path in the image
	Mode     os.FileMode // permission bits; 0 means 0644
	Data     []byte      // content, or
	Source   string      // a file on disk to copy, or
	Linkname string      // a symbolic link to this target
}

// Component is a piece of the toolchain that built a binary, for the SBOM.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256,omitempty"`
	PURL    string `json:"purl,omitempty"`
}

// Options says what goes into an image. The zero value of each optional
// field is the secure, reproducible default.
type Options struct {
	// Binaries: one per platform; several make an image index.
	Binaries []Binary
	// InstallDir is where binaries go; default /app.
	InstallDir string
	// Name is the binaries' file name in the image; default: each file's
	// own name. Set it when per-platform files are named app-amd64 etc.
	Name string
	// Entrypoint; default [InstallDir/Name].
	Entrypoint []string
	// Cmd is the default argument list after the entrypoint.
	Cmd []string
	// Env is added to PATH and SSL_CERT_FILE, as KEY=VALUE.
	Env []string
	// Labels are added to the org.opencontainers.image.* labels mcc sets.
	Labels map[string]string
	// Files are extra files in every image.
	Files []File

	// CARoots is the pinned x509roots/fallback module zip (CARootsPin);
	// empty means no CA certificates (the CLI requires --no-ca-certs).
	CARoots string
	// CAFiles are PEM files of CA certificates to trust besides (or, with
	// no CARoots, instead of) the pinned roots: an organisation's own.
	CAFiles []string
	// Zoneinfo is the pinned Go SDK module zip (ZoneinfoPin) whose zones
	// go to /usr/share/zoneinfo; empty means none.
	Zoneinfo string

	// Created is the time stamped on files and the config; the zero value
	// means the Unix epoch. See SourceDateEpoch.
	Created time.Time
	// Toolchain lists what built the binaries (musl, cross compiler), for
	// the SBOM.
	Toolchain []Component
	// SourceDir is a git checkout asked for revision and source labels when
	// a binary's Go build info has none; empty means don't ask.
	SourceDir string
	// AllowDynamic accepts binaries with an interpreter or DT_NEEDED (for
	// callers that ship the libraries as Files themselves).
	AllowDynamic bool
	// User overrides "65532:65532".
	User string
}

// Platform is one built image.
type Platform struct {
	Platform v1.Platform
	Image    v1.Image
	Digest   v1.Hash
	// SBOM is the SPDX JSON document stored at SBOMPath in the image.
	SBOM []byte
	// Binary is the sha256 of the executable.
	Binary string
}

// Built is the result of Build: a single image, or an index when several
// platforms were given.
type Built struct {
	Platforms []Platform
	Index     v1.ImageIndex // nil for a single image
}

// Digest is the digest of the index, or of the only image.
func (b *Built) Digest() (v1.Hash, error) {
	if b.Index != nil {
		return b.Index.Digest()
	}
	return b.Platforms[0].Image.Digest()
}

// SourceDateEpoch reads $SOURCE_DATE_EPOCH; unset means the Unix epoch.
func SourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, badinput.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970: set it like SOURCE_DATE_EPOCH=$(git log -1 --format=%%ct)", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// Build makes the image (one binary) or image index (several).
func Build(ctx context.Context, o Options) (*Built, error) {
	if len(o.Binaries) == 0 {
		return nil, badinput.Errorf("no binary given: name the static executable to put in the image")
	}
	if o.InstallDir == "" {
		o.InstallDir = "/app"
	}
	if o.Name != "" && (strings.Contains(o.Name, "/") || o.Name == "." || o.Name == "..") {
		return nil, badinput.Errorf("binary name %q must be a plain file name like app", o.Name)
	}
	if !path.IsAbs(o.InstallDir) {
		return nil, badinput.Errorf("install dir %q is not absolute: use a path like /app", o.InstallDir)
	}
	if o.Created.IsZero() {
		o.Created = time.Unix(0, 0).UTC()
	}
	o.Created = o.Created.UTC()
	if o.User == "" {
		o.User = fmt.Sprintf("%d:%d", NonrootUID, NonrootUID)
	}

	base, pins, tr, err := baseEntries(o)
	if err != nil {
		return nil, err
	}

	b := &Built{}
	seen := map[string]string{}
	for _, bin := range o.Binaries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := buildOne(o, bin, base, pins, tr)
		if err != nil {
			return nil, err
		}
		key := platformString(p.Platform)
		if prev, ok := seen[key]; ok {
			return nil, badinput.Errorf("platform %s is given twice (%s and %s): give one file per platform", key, prev, bin.Path)
		}
		seen[key] = bin.Path
		b.Platforms = append(b.Platforms, *p)
	}
	if len(b.Platforms) > 1 {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, p := range b.Platforms {
			plat := p.Platform
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
				Add:        p.Image,
				Descriptor: v1.Descriptor{Platform: &plat},
			})
		}
		b.Index = idx
		if _, err := idx.Digest(); err != nil {
			return nil, fmt.Errorf("computing the image index: %w", err)
		}
	}
	return b, nil
}

// checkBinary proves path is an executable for p (or picks p from it).
func checkBinary(bin Binary, allowDynamic bool) (v1.Platform, error) {
	want := elfcheck.Want{}
	if bin.Platform.Architecture != "" {
		m, c, err := wantFor(bin.Platform)
		if err != nil {
			return v1.Platform{}, badinput.Errorf("platform %s: %v", platformString(bin.Platform), err)
		}
		want = elfcheck.Want{Machine: m, Class: c}
	}
	if err := elfMagic(bin.Path); err != nil {
		return v1.Platform{}, err
	}
	r, err := elfcheck.Check(bin.Path, want)
	if err != nil {
		return v1.Platform{}, err
	}
	if want.Machine != 0 && (r.Machine != want.Machine || r.Class != want.Class) {
		return v1.Platform{}, badinput.Errorf("%s is a %s executable, but platform %s wants %s: pair each --platform with the file built for it",
			bin.Path, r.Arch, platformString(bin.Platform), elfcheck.MachineName(want.Machine, want.Class))
	}
	if !r.Static && !allowDynamic {
		why := "needs shared libraries"
		if r.Interp != "" {
			why = "is dynamically linked (interpreter " + r.Interp + ")"
		}
		return v1.Platform{}, badinput.Errorf("%s %s and cannot run in a FROM scratch image: build it static, e.g. 'mcc go build' (or CGO_ENABLED=0 go build)", bin.Path, why)
	}
	if r.Type != "ET_EXEC" && r.Type != "ET_DYN" {
		return v1.Platform{}, badinput.Errorf("%s is an ELF %s, not an executable: give the linked program", bin.Path, r.Type)
	}
	if bin.Platform.Architecture != "" {
		return bin.Platform, nil
	}
	p, ok := PlatformOf(r.Machine, r.Class)
	if !ok {
		return v1.Platform{}, badinput.Errorf("%s is a %s executable, which mcc has no platform for: pass --platform OS/ARCH=%s", bin.Path, r.Arch, bin.Path)
	}
	return p, nil
}

// elfMagic refuses files that do not start like ELF, short ones included
// (debug/elf reports those as a bare EOF).
func elfMagic(p string) error {
	// Stat before opening: a FIFO given as the binary would block forever.
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return badinput.Errorf("executable %s: no such file: build it first, e.g. 'mcc go build -o %s .'", p, p)
	}
	if err := userfile.CheckInput(p); err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return badinput.Errorf("executable %s: %v: build it first", p, unwrapPath(err))
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != elf.ELFMAG {
		return badinput.Errorf("%s is not an ELF file: give a compiled static executable (e.g. from 'mcc go build')", p)
	}
	return nil
}

func baseEntries(o Options) (tree, []pinUse, *trust, error) {
	t := tree{}
	add := func(e Node) error { return t.add(e) }
	for _, e := range []Node{
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		// Runtimes usually mount their own; runc from a plain bundle and
		// chroot do not, and resolvers (musl's, Mono's) want localhost.
		{Path: "/etc/hosts", Mode: 0o644, Data: []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")},
		{Path: "/tmp", Dir: true, Mode: 0o1777},
		{Path: "/root", Dir: true, Mode: 0o700},
		{Path: "/home/nonroot", Dir: true, Mode: 0o700, UID: NonrootUID, GID: NonrootUID},
	} {
		if err := add(e); err != nil {
			return nil, nil, nil, err
		}
	}
	pins, tr, err := pinnedEntries(o, add)
	if err != nil {
		return nil, nil, nil, err
	}
	given := map[string]bool{}
	for _, f := range o.Files {
		if !path.IsAbs(f.Path) {
			return nil, nil, nil, badinput.Errorf("extra file path %q is not absolute: give its place in the image, like /etc/hosts", f.Path)
		}
		data := f.Data
		if f.Source != "" {
			if err := userfile.CheckInput(f.Source); err != nil {
				return nil, nil, nil, badinput.Errorf("extra file: %v", err)
			}
			if data, err = os.ReadFile(f.Source); err != nil {
				return nil, nil, nil, badinput.Errorf("reading extra file %s: %v", f.Source, err)
			}
		}
		mode := int64(f.Mode.Perm())
		if mode == 0 {
			mode = 0o644
		}
		// An extra file replaces a default one (/etc/passwd, /etc/hosts);
		// two extra files at one path are a mistake.
		p := path.Clean(f.Path)
		if given[p] {
			return nil, nil, nil, badinput.Errorf("extra file %s is given twice: drop one of them", p)
		}
		given[p] = true
		if old, ok := t[p]; ok && !old.Dir {
			delete(t, p)
		}
		e := Node{Path: p, Mode: mode, Data: data}
		if f.Linkname != "" {
			e = Node{Path: p, Mode: 0o777, Linkname: f.Linkname}
		}
		if err := add(e); err != nil {
			return nil, nil, nil, badinput.Wrap(err)
		}
	}
	return t, pins, tr, nil
}

// pinUse is a pinned module zip that files in the image came from.
type pinUse struct {
	Pin    sysroots.Pin
	Holds  string            // what the image has from it, for the SBOM
	Labels map[string]string // image labels saying so
}

// trust is what an image trusts beyond the pinned roots, and the Mono
// layout of everything it trusts.
type trust struct {
	files []CAFile
	mono  []Node // MonoTrustDir, added to images of Mono bundles
}

// pinnedEntries adds the files the pinned module zips give (CA roots, zone
// data) and the --ca-file certificates, and says which pins went in.
func pinnedEntries(o Options, add func(Node) error) ([]pinUse, *trust, error) {
	var pins []pinUse
	var es []Node
	tr, caEntries, caPin, err := trustEntries(o)
	if err != nil {
		return nil, nil, err
	}
	es = append(es, caEntries...)
	pins = append(pins, caPin...)
	if o.Zoneinfo != "" {
		zs, err := readZoneinfo(o.Zoneinfo)
		if err != nil {
			return nil, nil, err
		}
		es = append(es, zs...)
		pins = append(pins, pinUse{
			Pin: ZoneinfoPin,
			Holds: fmt.Sprintf("%d zone files at %s: the IANA time zone database as %s ships it (%s; Go does not record the tz release), license at %s",
				len(zs)-1, ZoneinfoDir, ZoneinfoPin.Version, zoneinfoPath, ZoneinfoLicense),
			Labels: map[string]string{"mcc." + ZoneinfoPin.Name: pinLabel(ZoneinfoPin)},
		})
	}
	for _, e := range es {
		if err := add(e); err != nil {
			return nil, nil, err
		}
	}
	return pins, tr, nil
}

// trustEntries reads the pinned roots and the --ca-file certificates into
// CACertsFile (plus the roots' license) and lays out all of them for Mono.
func trustEntries(o Options) (*trust, []Node, []pinUse, error) {
	files, err := ReadCAFiles(o.CAFiles)
	if err != nil {
		return nil, nil, nil, err
	}
	tr := &trust{files: files}
	var es []Node
	var pins []pinUse
	var bundle []byte
	var roots [][]byte
	if o.CARoots != "" {
		ca, err := readCARoots(o.CARoots)
		if err != nil {
			return nil, nil, nil, err
		}
		bundle, roots = ca.Entries[0].Data, ca.Certs
		es = append(es, ca.Entries[1:]...)
		pins = append(pins, caRootsUse(ca))
	}
	if bundle, roots, err = appendCAFiles(bundle, roots, files); err != nil {
		return nil, nil, nil, err
	}
	if len(roots) == 0 {
		return tr, es, pins, nil
	}
	es = append(es, Node{Path: CACertsFile, Mode: 0o644, Data: bundle})
	if tr.mono, err = monoTrustEntries(roots); err != nil {
		return nil, nil, nil, err
	}
	return tr, es, pins, nil
}

func caRootsUse(ca *caRoots) pinUse {
	u := pinUse{
		Pin:    CARootsPin,
		Holds:  fmt.Sprintf("%d root certificates in %s (Mozilla's root store), license at %s", ca.Kept, CACertsFile, CARootsLicense),
		Labels: map[string]string{"mcc." + CARootsPin.Name: pinLabel(CARootsPin)},
	}
	if len(ca.LeftOut) > 0 {
		var names []string
		for _, r := range ca.LeftOut {
			names = append(names, badinput.OneLine(r.CN)+" (distrustAfter "+r.DistrustAfter+")")
		}
		u.Holds += fmt.Sprintf("; left out %d constrained roots a PEM bundle cannot express: %s", len(names), strings.Join(names, "; "))
		u.Labels["mcc."+CARootsPin.Name+".left-out"] = strings.Join(names, "; ")
	}
	return u
}

// buildOne makes the image of one binary: the base tree plus the binary,
// its SBOM and (for Mono bundles) Mono's trust store, in one layer.
func buildOne(o Options, bin Binary, base tree, pins []pinUse, tr *trust) (*Platform, error) {
	plat, err := checkBinary(bin, o.AllowDynamic)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(bin.Path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", bin.Path, err)
	}
	binSum := sha256.Sum256(data)
	name := filepath.Base(bin.Path)
	if o.Name != "" {
		name = o.Name
	}
	inImage := path.Join(o.InstallDir, name)

	info := readBuildInfo(bin.Path, o.SourceDir)
	sbom, err := buildSBOM(sbomInput{
		Name:      name,
		InImage:   inImage,
		Platform:  plat,
		BinarySHA: hex.EncodeToString(binSum[:]),
		Info:      info,
		Toolchain: o.Toolchain,
		Pins:      pins,
		CAFiles:   tr.files,
		Created:   o.Created,
	})
	if err != nil {
		return nil, err
	}
	t, err := binaryTree(base, inImage, data, sbom, tr)
	if err != nil {
		return nil, err
	}
	l, err := newLayer(t, o.Created)
	if err != nil {
		return nil, fmt.Errorf("building the layer for %s: %w", bin.Path, err)
	}
	cfg := imageConfig(o, inImage, imageLabels(o, name, info, pins, tr), tr)
	img, err := scratchImage(l, plat, cfg, o.Created, name)
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("computing the image digest: %w", err)
	}
	return &Platform{Platform: plat, Image: img, Digest: d, SBOM: sbom, Binary: hex.EncodeToString(binSum[:])}, nil
}

// binaryTree is base plus the binary at inImage, its SBOM and, when the
// binary is a Mono bundle, Mono's trust store.
func binaryTree(base tree, inImage string, data, sbom []byte, tr *trust) (tree, error) {
	t := make(tree, len(base)+2)
	for k, v := range base {
		t[k] = v
	}
	es := []Node{{Path: inImage, Mode: 0o755, Data: data}, {Path: SBOMPath, Mode: 0o644, Data: sbom}}
	if IsMonoBundle(data) {
		es = append(es, tr.mono...)
	}
	for _, e := range es {
		if err := t.add(e); err != nil {
			return nil, badinput.Wrap(err)
		}
	}
	return t, nil
}

// imageLabels are the OCI labels mcc sets, the pins' and --ca-file's, then
// the caller's, which win.
func imageLabels(o Options, name string, info binaryInfo, pins []pinUse, tr *trust) map[string]string {
	labels := map[string]string{
		"org.opencontainers.image.created": o.Created.Format(time.RFC3339),
		"org.opencontainers.image.title":   name,
	}
	for k, v := range map[string]string{
		"org.opencontainers.image.revision": info.Revision,
		"org.opencontainers.image.source":   info.Source,
		"org.opencontainers.image.version":  info.Version,
	} {
		if v != "" {
			labels[k] = v
		}
	}
	for _, p := range pins {
		maps.Copy(labels, p.Labels)
	}
	if len(tr.files) > 0 {
		labels["mcc.ca-files"] = caFilesLabel(tr.files)
	}
	maps.Copy(labels, o.Labels)
	return labels
}

// imageConfig is the run configuration: user, entrypoint (default: the
// binary), PATH, SSL_CERT_FILE when there are certificates, and o.Env.
func imageConfig(o Options, inImage string, labels map[string]string, tr *trust) v1.Config {
	entry := o.Entrypoint
	if len(entry) == 0 {
		entry = []string{inImage}
	}
	env := []string{"PATH=" + o.InstallDir + ":/usr/local/bin:/usr/bin:/bin"}
	if o.CARoots != "" || len(tr.files) > 0 {
		env = append(env, "SSL_CERT_FILE="+CACertsFile)
	}
	env = append(env, o.Env...)
	return v1.Config{
		User:       o.User,
		Entrypoint: entry,
		Cmd:        o.Cmd,
		Env:        env,
		WorkingDir: "/",
		Labels:     labels,
	}
}

// scratchImage is an OCI image of the one layer l with config cfg.
func scratchImage(l v1.Layer, plat v1.Platform, cfg v1.Config, created time.Time, name string) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, mutate.Addendum{
		Layer:     l,
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "mcc image " + name,
			Comment:   "FROM scratch",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Variant = plat.Architecture, plat.OS, plat.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("writing the image config: %w", err)
	}
	return plainImage{img}, nil
}

// plainImage hides the artifactType that go-containerregistry would copy
// from the config media type into index entries: Debian's skopeo 1.9.3
// rewrites indexes carrying it, which changes their digest.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }
