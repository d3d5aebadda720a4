package mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
)

// world is a set of test pins, a key that signs some of them, and their
// files in a download directory.
type world struct {
	pins    []sysroots.Pin
	dl      string // download directory: NAME.bin and NAME.bin.asc
	key     testenv.Key
	content map[string][]byte // by file name in dl
}

func (w *world) find(sum string) (sysroots.Pin, bool) {
	for _, p := range w.pins {
		if p.SHA256 == sum {
			return p, true
		}
	}
	return sysroots.Pin{}, false
}

func (w *world) path(name string) string { return filepath.Join(w.dl, name) }

// newWorld pins "plain" (unsigned) and "signed"; the download directory
// also holds an unpinned file, a signature by another key over its own
// copy of signed's bytes, and a signature with no file beside it.
func newWorld(t *testing.T) *world {
	w := &world{dl: t.TempDir(), key: testenv.NewKey(t, "upstream"), content: map[string][]byte{}}
	other := testenv.NewKey(t, "intruder")
	plain, signed := []byte("plain artifact"), []byte("signed artifact")
	w.pins = []sysroots.Pin{pin("plain", plain), pin("signed", signed)}
	w.key.Signs(&w.pins[1])
	for name, b := range map[string][]byte{
		"plain.bin": plain, "signed.bin": signed, "signed.bin.asc": w.key.Sign(t, signed, true),
		"junk.txt": []byte("junk"), "plain.bin.asc": w.key.Sign(t, plain, true),
		"bad/signed.bin": signed, "bad/signed.bin.asc": other.Sign(t, signed, true),
		"lonely/x.bin.asc": w.key.Sign(t, plain, true),
	} {
		os.MkdirAll(filepath.Dir(w.path(name)), 0o755)
		if err := os.WriteFile(w.path(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		w.content[name] = b
	}
	return w
}

func pin(name string, b []byte) sysroots.Pin {
	sum := sha256.Sum256(b)
	return sysroots.Pin{Name: name, File: name + ".bin", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)),
		Locations: []string{"https://up.invalid/" + name + ".bin"}, Note: "test"}
}

// listing is every file under dir, relative, sorted.
func listing(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			r, _ := filepath.Rel(dir, p)
			out = append(out, r)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestAddUnit(t *testing.T) {
	w := newWorld(t)
	sha := func(name string) string { return "sha256/" + pin(name, w.content[name+".bin"]).SHA256 }
	tests := []struct {
		name    string
		files   []string
		skip    bool
		want    []string // the mirror's files after
		wantErr string
	}{
		{name: "artifacts and a signature", files: []string{"plain.bin", "signed.bin", "signed.bin.asc"},
			want: []string{"plain.bin", sha("plain"), sha("signed"), "signed.bin", "signed.bin.asc"}},
		{name: "unpinned refused, nothing copied", files: []string{"plain.bin", "junk.txt"}, wantErr: "matches no pin: mcc mirrors only pinned artifacts"},
		{name: "unpinned skipped when asked", files: []string{"plain.bin", "junk.txt"}, skip: true, want: []string{"plain.bin", sha("plain")}},
		{name: "signature by another key", files: []string{"plain.bin", "bad/signed.bin.asc"}, wantErr: "does not verify"},
		{name: "signature without its file", files: []string{"lonely/x.bin.asc"}, wantErr: "its file x.bin is not beside it: give both"},
		{name: "signature of an unsigned pin", files: []string{"plain.bin.asc"}, wantErr: "matches no pin with a signature"},
		{name: "signature of an unsigned pin skipped", files: []string{"plain.bin.asc", "signed.bin"}, skip: true, want: []string{sha("signed"), "signed.bin"}},
		{name: "missing file", files: []string{"nope.bin"}, wantErr: "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mirror")
			var files []string
			for _, f := range tt.files {
				files = append(files, w.path(f))
			}
			added, err := add(dir, files, tt.skip, w.find)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !badinput.Is(err) {
					t.Fatalf("err = %v, want bad input saying %q", err, tt.wantErr)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Fatal("a refused add touched the mirror")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := listing(t, dir); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("mirror holds %q, want %q", got, tt.want)
			}
			for _, a := range added {
				if b, _ := os.ReadFile(filepath.Join(dir, a.As)); string(b) != string(w.content[strings.TrimPrefix(a.File, w.dl+"/")]) {
					t.Errorf("%s in the mirror is not %s", a.As, a.File)
				}
			}
		})
	}
	if _, err := Add(t.TempDir(), []string{w.path("junk.txt")}, false); !errors.Is(err, ErrUnpinned) {
		t.Errorf("Add with the embedded pins: err = %v, want ErrUnpinned", err)
	}
}

func TestAddUnwritableMirror(t *testing.T) {
	w := newWorld(t)
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	_, err := add(file, []string{w.path("plain.bin")}, false, w.find)
	if err == nil || !strings.Contains(err.Error(), "adding "+w.path("plain.bin")+" to the mirror "+file) {
		t.Fatalf("err = %v, want it to name the file and the mirror", err)
	}
}

// TestFill: a fill and a refill, a foreign file under a pin's name, a
// signature found nowhere, a pin found nowhere. It runs past 60 lines
// because its subtests share the test pins and the fetcher helper.
func TestFill(t *testing.T) {
	w := newWorld(t)
	fetcher := func(t *testing.T, mirrors ...string) *fetch.Fetcher {
		s, err := store.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return &fetch.Fetcher{Store: s, Mirrors: mirrors, Offline: true}
	}
	t.Run("fills, then leaves a filled mirror as it is", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "m")
		f := fetcher(t, w.dl)
		added, err := Fill(context.Background(), f, dir, w.pins)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, a := range added {
			kinds = append(kinds, a.Pin+":"+a.Kind+":"+a.As)
		}
		if want := "plain:artifact:plain.bin signed:artifact:signed.bin signed:signature:signed.bin.asc"; strings.Join(kinds, " ") != want {
			t.Errorf("added %q, want %q", kinds, want)
		}
		want := listing(t, dir)
		if len(want) != 5 {
			t.Fatalf("mirror holds %q: want 2 artifacts under 2 names each and a signature", want)
		}
		os.Remove(filepath.Join(dir, "sha256", w.pins[0].SHA256)) // a half-filled mirror is completed
		if _, err := Fill(context.Background(), f, dir, w.pins); err != nil {
			t.Fatal(err)
		}
		if got := listing(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("second fill: %q, want %q", got, want)
		}
	})
	t.Run("another file under a pin's name is not replaced", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "plain.bin"), []byte("mine"), 0o644)
		_, err := Fill(context.Background(), fetcher(t, w.dl), dir, w.pins)
		if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "already has a plain.bin that is not the pinned file") {
			t.Fatalf("err = %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "plain.bin")); string(b) != "mine" {
			t.Error("the user's file was replaced")
		}
	})
	t.Run("a signed pin whose signature is nowhere", func(t *testing.T) {
		src := t.TempDir()
		testenv.CopyFile(t, w.path("signed.bin"), filepath.Join(src, "signed.bin"))
		_, err := Fill(context.Background(), fetcher(t, src), t.TempDir(), w.pins[1:])
		if err == nil || !strings.Contains(err.Error(), "pin signed: no source served its signature signed.bin.asc") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a pin found nowhere", func(t *testing.T) {
		added, err := Fill(context.Background(), fetcher(t, t.TempDir()), t.TempDir(), w.pins)
		if err == nil || !strings.Contains(err.Error(), "pin plain") || len(added) != 0 {
			t.Fatalf("added %v, err = %v", added, err)
		}
	})
}

func TestDefaultDir(t *testing.T) {
	tests := []struct{ mirror, xdg, home, want string }{
		{"/m", "/x", "/h", "/m"},
		{"", "/x", "/h", "/x/mcc/mirror"},
		{"", "", "/h", "/h/.local/share/mcc/mirror"},
	}
	for _, tt := range tests {
		t.Setenv("MCC_MIRROR_DIR", tt.mirror)
		t.Setenv("XDG_DATA_HOME", tt.xdg)
		t.Setenv("HOME", tt.home)
		if got := DefaultDir(); got != tt.want {
			t.Errorf("%+v: DefaultDir() = %q", tt, got)
		}
	}
}

func TestList(t *testing.T) {
	local := t.TempDir()
	tests := []struct {
		localDir, env string
		flags         []string
		want          []string
	}{
		{local, "", nil, []string{local}},
		{local, "", []string{"http://a", " ", "file:///b "}, []string{local, "http://a", "file:///b"}},
		{local, "http://e1, http://e2", nil, []string{local, "http://e1", "http://e2"}},
		{local, "http://env", []string{"http://flag"}, []string{local, "http://flag"}}, // --mirror wins over $MCC_MIRROR
		{filepath.Join(local, "absent"), "", []string{"http://a"}, []string{"http://a"}},
	}
	for _, tt := range tests {
		t.Setenv("MCC_MIRROR_DIR", tt.localDir)
		t.Setenv("MCC_MIRROR", tt.env)
		if got := List(tt.flags); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: List = %q", tt, got)
		}
	}
}
