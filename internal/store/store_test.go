package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKey(t *testing.T) {
	tests := []struct {
		name   string
		a, b   any
		wantEq bool
	}{
		{"same inputs", map[string]string{"pin": "x"}, map[string]string{"pin": "x"}, true},
		{"other pin", map[string]string{"pin": "x"}, map[string]string{"pin": "y"}, false},
		{"other recipe", []int{1}, []int{2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := Key("musl linux/arm64", tt.a), Key("musl linux/arm64", tt.b)
			if (ka == kb) != tt.wantEq {
				t.Fatalf("Key(%v)=%s, Key(%v)=%s", tt.a, ka, tt.b, kb)
			}
			if !strings.HasPrefix(ka, "musl-linux-arm64-") || !validKey(ka) {
				t.Fatalf("key %q not readable or not valid", ka)
			}
		})
	}
}

func TestEntryBuildsOnceConcurrently(t *testing.T) {
	s := open(t)
	var builds atomic.Int32
	var wg sync.WaitGroup
	paths := make([]string, 8)
	for i := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _, err := s.Entry(context.Background(), "k-1", func(ctx context.Context, dir string) error {
				builds.Add(1)
				return os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
			})
			if err != nil {
				t.Error(err)
			}
			paths[i] = p
		}()
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times, want 1", n)
	}
	for _, p := range paths {
		if b, err := os.ReadFile(filepath.Join(p, "f")); err != nil || string(b) != "x" {
			t.Fatalf("entry at %s incomplete: %v", p, err)
		}
	}
}

func TestFailedBuildLeavesNothing(t *testing.T) {
	s := open(t)
	boom := errors.New("boom")
	_, _, err := s.Entry(context.Background(), "k-2", func(ctx context.Context, dir string) error {
		os.WriteFile(filepath.Join(dir, "half"), []byte("x"), 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if s.Has("k-2") {
		t.Fatal("a failed build left an entry")
	}
	if left, _ := os.ReadDir(s.tmpDir()); len(left) != 0 {
		t.Fatalf("a failed build left temp files: %v", left)
	}
}

func TestStaleTempRemovedByNextBuilder(t *testing.T) {
	s := open(t)
	stale := filepath.Join(s.tmpDir(), "k-3.12345")
	os.MkdirAll(stale, 0o755) // what a SIGKILLed builder leaves
	if _, built, err := s.Entry(context.Background(), "k-3", func(ctx context.Context, dir string) error { return nil }); err != nil || !built {
		t.Fatalf("built=%v err=%v", built, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("stale temp dir of a killed builder survived")
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	s := open(t)
	p, _, err := s.Entry(context.Background(), "k-4", func(ctx context.Context, dir string) error {
		os.Symlink("f", filepath.Join(dir, "l"))
		return os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := s.Verify("k-4"); err != nil || len(bad) != 0 {
		t.Fatalf("fresh entry: bad=%v err=%v", bad, err)
	}
	os.Chmod(filepath.Join(p, "f"), 0o644)
	os.WriteFile(filepath.Join(p, "f"), []byte("y"), 0o644)
	os.WriteFile(filepath.Join(p, "extra"), nil, 0o644)
	bad, err := s.Verify("k-4")
	if err != nil || strings.Join(bad, ",") != "extra: not in manifest,f: changed" {
		t.Fatalf("bad=%v err=%v", bad, err)
	}
	if err := s.Remove(context.Background(), "k-4"); err != nil || s.Has("k-4") {
		t.Fatalf("remove: %v", err)
	}
}

func TestPutBlob(t *testing.T) {
	s := open(t)
	const helloSum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if _, err := s.PutBlob(helloSum, strings.NewReader("hellx")); !badinput.Is(err) {
		t.Fatalf("mismatch: err = %v, want bad input", err)
	}
	if _, ok := s.Blob(helloSum); ok {
		t.Fatal("a mismatching blob was kept")
	}
	p, err := s.PutBlob(helloSum, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Blob(helloSum); !ok || got != p {
		t.Fatalf("Blob = %q, %v", got, ok)
	}
	if _, ok := s.Blob("../../etc/passwd"); ok {
		t.Fatal("Blob accepted a path")
	}
}

func TestOpenUnwritable(t *testing.T) {
	if os.Getuid() == 0 {
		// root writes anywhere; a file where the store's dir should be still fails
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o644)
		if _, err := Open(f); !badinput.Is(err) || !strings.Contains(err.Error(), "--cache") {
			t.Fatalf("err = %v", err)
		}
		return
	}
	d := t.TempDir()
	os.Chmod(d, 0o555)
	if _, err := Open(filepath.Join(d, "c")); !badinput.Is(err) {
		t.Fatalf("err = %v", err)
	}
}
