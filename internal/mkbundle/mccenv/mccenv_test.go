package mccenv

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/image"
	"github.com/mcc-build/mcc/internal/image/imagetest"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/toolchains"
)

func TestOptions(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	r := mkbundle.ImageRequest{
		Bundle: "/tmp/x/app", AllowDynamic: true, CAFiles: []string{"ca.pem"},
		Files: []mkbundle.ImageFile{
			{Path: "/etc/hosts", Data: []byte(mkbundle.HostsFile)},
			{Path: "/app/lib/libgreet.so", Source: "/src/libgreet.so", Mode: 0o755},
		},
	}
	o, err := Options(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Binaries) != 1 || o.Binaries[0].Path != r.Bundle || !o.AllowDynamic || len(o.CAFiles) != 1 || !o.Created.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("options %+v", o)
	}
	if len(o.Files) != 2 || string(o.Files[0].Data) != mkbundle.HostsFile || o.Files[1].Source != "/src/libgreet.so" || o.Files[1].Mode != 0o755 || o.Files[1].Path != "/app/lib/libgreet.so" {
		t.Errorf("files %+v", o.Files)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Options(r); err == nil {
		t.Error("a bad SOURCE_DATE_EPOCH was accepted")
	}
}

// TestEnvErrors: the store's errors reach the job as they are, and the
// target is the one ResolveTarget gave.
func TestEnvErrors(t *testing.T) {
	noStore := errors.New("no store")
	arm64, err := toolchains.Lookup("linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		ResolveTarget: func() (toolchains.Target, error) { return arm64, nil },
		Installer:     func() (*toolchains.Installer, error) { return nil, noStore },
		Fetcher:       func() (*fetch.Fetcher, error) { return nil, noStore },
	}
	mt, err := e.Target()
	if err != nil || mt.Name != "linux/arm64" || mt.Machine != arm64.Machine || mt.Class != arm64.Class || mt.Native != arm64.Native() {
		t.Fatalf("Target() = %+v, %v", mt, err)
	}
	if _, err := e.Runtime(context.Background(), mt, nil); !errors.Is(err, noStore) {
		t.Errorf("Runtime: %v, want the installer's error", err)
	}
	if _, err := e.WriteImage(context.Background(), mkbundle.ImageRequest{Bundle: "app"}); !errors.Is(err, noStore) {
		t.Errorf("WriteImage: %v, want the fetcher's error", err)
	}
	// A target Target did not give is looked up by name.
	fresh := &Env{Installer: e.Installer}
	if _, err := fresh.Runtime(context.Background(), mkbundle.Target{Name: "linux/arm64"}, nil); !errors.Is(err, noStore) {
		t.Errorf("Runtime without Target: %v, want the installer's error", err)
	}
	if _, err := fresh.Runtime(context.Background(), mkbundle.Target{Name: "linux/z80"}, nil); err == nil || errors.Is(err, noStore) {
		t.Errorf("Runtime for an unknown target: %v, want the lookup's error", err)
	}
	e.ResolveTarget = func() (toolchains.Target, error) { return toolchains.Target{}, noStore }
	if _, err := e.Target(); !errors.Is(err, noStore) {
		t.Errorf("Target: %v, want ResolveTarget's error", err)
	}
}

// TestWriteImage: the bundle's image gets the pinned CA roots through the
// Env's fetcher (here: the tests' mirror, offline) and the request's files,
// is written as an image archive with the bundle's default tag, and gives
// the same digest when written again under another tag.
func TestWriteImage(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	mirror := testenv.Sources(t) // first: it skips where there is none
	dir := t.TempDir()
	bundle := imagetest.BuildHello(t, dir, "amd64")
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fetcher := &fetch.Fetcher{Store: s, Mirrors: []string{mirror}, Offline: true}
	e := &Env{Fetcher: func() (*fetch.Fetcher, error) { return fetcher, nil }}
	write := func(name, tag string) (string, string) {
		t.Helper()
		archive := filepath.Join(dir, name)
		r := mkbundle.ImageRequest{Bundle: bundle, Archive: archive, Tag: tag,
			Files: []mkbundle.ImageFile{{Path: "/etc/hosts", Data: []byte(mkbundle.HostsFile)}}}
		d, err := e.WriteImage(context.Background(), r)
		if err != nil {
			t.Fatalf("WriteImage %s: %v", name, err)
		}
		return d, archive
	}
	digest, archive := write("a.tar", "")
	if m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(archive) }); err != nil ||
		len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != image.DefaultTag(bundle) {
		t.Errorf("archive manifest %+v (%v), want the tag %s", m, err, image.DefaultTag(bundle))
	}
	files := imageFiles(t, archive)
	if n := strings.Count(files[image.CACertsFile], "BEGIN CERTIFICATE"); n < 100 {
		t.Errorf("%s holds %d certificates, want the pinned roots", image.CACertsFile, n)
	}
	if files["/etc/hosts"] != mkbundle.HostsFile {
		t.Errorf("/etc/hosts = %q", files["/etc/hosts"])
	}
	if again, _ := write("b.tar", "registry.test/app:1"); again != digest || !strings.HasPrefix(digest, "sha256:") {
		t.Errorf("digests %s and, under another tag, %s: want one sha256", digest, again)
	}
}

// imageFiles reads the regular files of an image archive's file system.
func imageFiles(t *testing.T, archive string) map[string]string {
	t.Helper()
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[path.Clean("/"+h.Name)] = string(b)
		}
	}
}
