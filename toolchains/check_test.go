package toolchains

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
)

// sharedToolchain installs (once, in the shared test store) the toolchain
// for linux/amd64.
func sharedToolchain(t testing.TB) (*Installer, Target, *Toolchain) {
	in := installerFor(t, testenv.Store(t))
	tgt, err := Lookup("linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := in.Install(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return in, tgt, tc
}

func installerFor(t testing.TB, dir string) *Installer {
	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &Installer{Store: s, Fetcher: &fetch.Fetcher{Store: s, Mirrors: []string{testenv.Sources(t)}, Offline: true}}
}

// privateToolchain copies the shared linux/amd64 toolchain into a fresh
// store, so a test can damage it without touching what other tests use.
func privateToolchain(t *testing.T) (*Installer, Target, string) {
	_, tgt, tc := sharedToolchain(t)
	in := installerFor(t, t.TempDir())
	if out, err := exec.Command("cp", "-a", tc.Dir, in.Store.Path(tc.Key)).CombinedOutput(); err != nil {
		t.Fatalf("copying the toolchain: %v\n%s", err, out)
	}
	if _, ok, err := in.Installed(tgt); !ok || err != nil {
		t.Fatalf("the copied toolchain is not usable: %v", err)
	}
	return in, tgt, in.Store.Path(tc.Key)
}

// TestDamagedToolchainRefusedOrRebuilt: a damaged toolchain is never used.
// Installed (toolchain list) refuses it with one line naming the entry,
// the damage and the fix; Install (every mcc go command) rebuilds it into
// an entry identical to the undamaged one.
func TestDamagedToolchainRefusedOrRebuilt(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(dir string) error
		problem string
		rebuild bool // rebuilding takes ~30 s: once is enough
	}{
		{"one byte of libc.a", func(d string) error {
			p := filepath.Join(d, "lib", "libc.a")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, "lib/libc.a: changed", true},
		{"chmod -x cc", func(d string) error { return os.Chmod(filepath.Join(d, "bin", "cc"), 0o644) }, "bin/cc: mode 0644, want 0755", false},
		{"manifest missing", func(d string) error { return os.Remove(filepath.Join(d, store.ManifestName)) }, "manifest: missing", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, tgt, dir := privateToolchain(t)
			manifest, err := os.ReadFile(filepath.Join(dir, store.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			_, ok, err := in.Installed(tgt)
			var de *store.DamagedError
			if ok || !errors.As(err, &de) || !strings.Contains(err.Error(), tt.problem) || !strings.Contains(err.Error(), filepath.Base(dir)) ||
				!strings.Contains(err.Error(), "mcc toolchain prune") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Installed: ok=%v err=%v, want a one-line refusal naming %q", ok, err, tt.problem)
			}
			if !tt.rebuild {
				return
			}
			tc, err := in.Install(context.Background(), tgt)
			if err != nil || !tc.Built {
				t.Fatalf("Install on a damaged entry: built=%v err=%v", tc != nil && tc.Built, err)
			}
			sameAsShared(t, manifest, dir)
			if left, _ := os.ReadDir(filepath.Join(in.Store.Root, "tmp")); len(left) != 0 {
				t.Fatalf("left in the store's tmp dir: %v", left)
			}
			if ps := store.ProcessesIn(in.Store.Root); len(ps) != 0 {
				t.Fatalf("processes left working in the store: %v", ps)
			}
		})
	}
}

// BenchmarkCheckToolchain is what every use of an installed toolchain now
// pays to check it (manifest, types, modes, sizes, full re-hash).
func BenchmarkCheckToolchain(b *testing.B) {
	in, _, tc := sharedToolchain(b)
	var size int64
	filepath.Walk(tc.Dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			size += info.Size()
		}
		return nil
	})
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := in.Store.Check(tc.Key); err != nil {
			b.Fatal(err)
		}
	}
}

// sameAsShared compares a rebuilt private toolchain with the shared one it
// was copied from (whose manifest is want): same paths, modes and bytes,
// except the two files that name the entry's own directory.
func sameAsShared(t *testing.T, want []byte, dir string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, store.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var w, g store.Manifest
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil || len(w.Files) != len(g.Files) {
		t.Fatalf("the rebuilt toolchain has %d paths, the undamaged one %d", len(g.Files), len(w.Files))
	}
	for p, wr := range w.Files {
		gr := g.Files[p]
		if p == "bin/cc" || p == "lib/musl-gcc.specs" {
			gr.SHA256, gr.Size, wr.SHA256, wr.Size = "", 0, "", 0
		}
		if gr != wr {
			t.Errorf("%s: rebuilt %+v, undamaged %+v", p, gr, wr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bin", "cc")); !strings.Contains(string(b), dir) {
		t.Errorf("the rebuilt cc does not name its own entry %s:\n%s", dir, b)
	}
}
