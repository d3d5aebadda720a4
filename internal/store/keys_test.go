package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

func TestKeysAndRemove(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if keys, err := s.Keys(); err != nil || len(keys) != 0 {
		t.Fatalf("empty store: %q, %v", keys, err)
	}
	for _, k := range []string{"musl-a", "mono-b", "musl-c"} {
		if _, _, err := s.Entry(ctx, k, buildSample); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(s.entryDir(), "stray-file"), nil, 0o644) // not an entry
	keys, err := s.Keys()
	sort.Strings(keys)
	if err != nil || strings.Join(keys, " ") != "mono-b musl-a musl-c" {
		t.Fatalf("Keys() = %q, %v", keys, err)
	}
	if err := s.Remove(ctx, "musl-a"); err != nil {
		t.Fatal(err)
	}
	if s.Has("musl-a") || !s.Has("musl-c") {
		t.Fatal("Remove removed the wrong entry")
	}
	if err := s.Remove(ctx, "musl-a"); err != nil {
		t.Fatalf("removing a missing entry: %v", err)
	}
	for _, bad := range []string{"", "..", "a/b"} {
		if err := s.Remove(ctx, bad); err == nil || !strings.Contains(err.Error(), "invalid store key") {
			t.Errorf("Remove(%q): err = %v", bad, err)
		}
		if _, _, err := s.Entry(ctx, bad, buildSample); err == nil {
			t.Errorf("Entry(%q) built", bad)
		}
	}
	assertTmpEmpty(t, s)
	os.RemoveAll(s.entryDir())
	if _, err := s.Keys(); err == nil {
		t.Error("Keys on a store without entries/ did not fail")
	}
}

func TestBlobInfo(t *testing.T) {
	s := open(t)
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if _, err := s.GetBlobInfo(sum); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no info yet: err = %v", err)
	}
	want := BlobInfo{Pin: "musl-source", Source: "file:///m/musl.tar.gz", Signature: "verified: key ABC"}
	if err := s.SetBlobInfo(sum, want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBlobInfo(sum); err != nil || got != want {
		t.Fatalf("GetBlobInfo = %+v, %v; want %+v", got, err, want)
	}
	want.Signature = "not verified"
	if err := s.SetBlobInfo(sum, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetBlobInfo(sum); got != want {
		t.Fatalf("rewritten info %+v, want %+v", got, want)
	}
	assertTmpEmpty(t, s)
}

func TestBlobRejects(t *testing.T) {
	s := open(t)
	for _, sum := range []string{"", "abc", strings.Repeat("g", 64), strings.Repeat("0", 64)} {
		if p, ok := s.Blob(sum); ok {
			t.Errorf("Blob(%q) = %s", sum, p)
		}
	}
	_, err := s.PutBlob(strings.Repeat("0", 64), strings.NewReader("x"))
	var mm *DigestMismatch
	if !errors.As(err, &mm) || mm.Got != "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" ||
		!strings.HasPrefix(err.Error(), "sha256 mismatch: expected 0000") {
		t.Fatalf("err = %v, want a DigestMismatch naming both digests", err)
	}
	assertTmpEmpty(t, s)
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("MCC_CACHE", "/srv/cache")
	if d, err := DefaultDir(); d != "/srv/cache" || err != nil {
		t.Errorf("with MCC_CACHE: %q, %v", d, err)
	}
	t.Setenv("MCC_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/x")
	if d, err := DefaultDir(); d != "/x/mcc" || err != nil {
		t.Errorf("with XDG_CACHE_HOME: %q, %v", d, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if _, err := DefaultDir(); err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "set MCC_CACHE or pass --cache DIR") {
		t.Errorf("no home: err = %v", err)
	}
}

// TestBuilderRemovesDeadDownloads: a fetch killed mid-download leaves
// tmp/blob-dl-<pid>-*; the next builder removes it, and leaves a live
// process's download alone.
func TestBuilderRemovesDeadDownloads(t *testing.T) {
	s := open(t)
	dead := exec.Command("true")
	dead.Run()
	deadDL := filepath.Join(s.tmpDir(), "blob-dl-"+strconv.Itoa(dead.Process.Pid)+"-abc")
	liveDL := filepath.Join(s.tmpDir(), "blob-dl-"+strconv.Itoa(os.Getpid())+"-abc")
	os.WriteFile(deadDL, []byte("partial"), 0o644)
	os.WriteFile(liveDL, []byte("partial"), 0o644)
	if _, _, err := s.Entry(context.Background(), "k", buildSample); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(deadDL); !os.IsNotExist(err) {
		t.Error("a dead process's download survived the next build")
	}
	if _, err := os.Stat(liveDL); err != nil {
		t.Error("a live process's download was removed")
	}
}

func TestDownloadPID(t *testing.T) {
	for _, tt := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"blob-dl-123-abc", 123, true},
		{"blob-dl-0-abc", 0, false},
		{"blob-dl-x-abc", 0, false},
		{"blob-123", 0, false},
	} {
		if pid, ok := downloadPID(tt.name); pid != tt.pid || ok != tt.ok {
			t.Errorf("downloadPID(%q) = %d, %v", tt.name, pid, ok)
		}
	}
}

func TestCleanLeavesOddNamesAndStops(t *testing.T) {
	s := open(t)
	odd := filepath.Join(s.tmpDir(), "nodot")
	os.MkdirAll(odd, 0o755)
	removing := filepath.Join(s.tmpDir(), "k-9.removing") // a Remove that was killed
	os.MkdirAll(removing, 0o755)
	removed, err := s.Clean(context.Background())
	if err != nil || strings.Join(removed, " ") != "k-9.removing" {
		t.Fatalf("removed %q, %v", removed, err)
	}
	if _, err := os.Stat(odd); err != nil {
		t.Error("Clean removed a directory that is no build dir")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Clean(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted Clean: err = %v", err)
	}
}
