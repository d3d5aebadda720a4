package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCleanLayout: Clean removes the logs and check stamps of keys without
// an entry, and every memo, but keeps what a present entry or a live
// builder owns; Remove takes an entry's log and stamp with it.
func TestCleanLayout(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, k := range []string{"kept", "gone"} {
		if _, _, err := s.Entry(ctx, k, buildSample); err != nil {
			t.Fatal(err)
		}
		if err := s.Check(k); err != nil { // writes checked/<k>
			t.Fatal(err)
		}
	}
	write := func(p string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"kept", "gone", "failed", "building"} {
		write(s.LogPath(k))
	}
	write(s.stampPath("failed"))
	if err := s.SetMemo("gcc-1", "12.2.0"); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.lock(ctx, "building")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := s.Remove(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Clean(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rel     string
		removed bool // absent after Remove and Clean
		listed  bool // in Clean's answer
	}{
		{"logs/kept.log", false, false},
		{"checked/kept", false, false},
		{"logs/gone.log", true, false},
		{"checked/gone", true, false},
		{"logs/failed.log", true, true},
		{"checked/failed", true, true},
		{"logs/building.log", false, false},
		{"memos/gcc-1", true, false},
		{"locks/failed.lock", true, false}, // absent: Clean makes no lock file for a key never built
	}
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(s.Root, tt.rel))
		if gone := os.IsNotExist(err); gone != tt.removed {
			t.Errorf("%s: removed = %v, want %v", tt.rel, gone, tt.removed)
		}
		if got := slices.Contains(removed, tt.rel); got != tt.listed {
			t.Errorf("%s: listed = %v, want %v (Clean said %q)", tt.rel, got, tt.listed, removed)
		}
	}
}

func TestMemo(t *testing.T) {
	s := open(t)
	if v, ok := s.Memo("gcc-1"); ok || v != "" {
		t.Fatalf("Memo of nothing = %q, %v", v, ok)
	}
	tests := []struct {
		name, value string
		wantErr     bool
	}{
		{"gcc-1", "12.2.0", false},
		{"gcc-1", "13.1.0", false}, // replaced
		{"../x", "v", true},
		{"", "v", true},
	}
	for _, tt := range tests {
		err := s.SetMemo(tt.name, tt.value)
		if (err != nil) != tt.wantErr {
			t.Fatalf("SetMemo(%q) err = %v", tt.name, err)
		}
		v, ok := s.Memo(tt.name)
		if want := !tt.wantErr; ok != want || (ok && v != tt.value) {
			t.Errorf("Memo(%q) = %q, %v after setting %q", tt.name, v, ok, tt.value)
		}
	}
}

// TestDownloadPath: each download gets its own path in tmp/, named so that
// Clean knows its process.
func TestDownloadPath(t *testing.T) {
	s := open(t)
	a, err := s.DownloadPath()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.DownloadPath()
	if a == b || filepath.Dir(a) != s.tmpDir() {
		t.Fatalf("DownloadPath: %s, %s", a, b)
	}
	if pid, ok := downloadPID(filepath.Base(a)); !ok || pid != os.Getpid() {
		t.Errorf("%s: pid %d, %v", a, pid, ok)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Error("DownloadPath created the file")
	}
	if !strings.HasPrefix(filepath.Base(a), downloadPrefix+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("name %s", a)
	}
}

// TestRemoveBlobsExcept: blobs (and their records) whose digest is not
// kept go; kept blobs and files that are not blobs stay.
func TestRemoveBlobsExcept(t *testing.T) {
	s := open(t)
	put := func(data string) string {
		sum := fmt.Sprintf("%x", sha256.Sum256([]byte(data)))
		if _, err := s.PutBlob(sum, strings.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetBlobInfo(sum, BlobInfo{Pin: data}); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	kept, stale := put("pinned"), put("old pin")
	notBlob := filepath.Join(s.blobDir(), "README")
	if err := os.WriteFile(notBlob, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err := s.RemoveBlobsExcept(func(sum string) bool { return sum == kept })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"blobs/sha256/" + stale, "blobs/sha256/" + stale + ".json"}
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	tests := []struct {
		path string
		kept bool
	}{
		{filepath.Join(s.blobDir(), kept), true},
		{filepath.Join(s.blobDir(), kept+".json"), true},
		{notBlob, true},
		{filepath.Join(s.blobDir(), stale), false},
		{filepath.Join(s.blobDir(), stale+".json"), false},
	}
	for _, tt := range tests {
		if _, err := os.Stat(tt.path); (err == nil) != tt.kept {
			t.Errorf("%s: present=%v, want %v", filepath.Base(tt.path), err == nil, tt.kept)
		}
	}
	if _, ok := s.Blob(stale); ok {
		t.Errorf("Blob(%s) still found after removal", stale)
	}
}
