package toolchains

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

func TestPickMono(t *testing.T) {
	amd64, _ := Lookup("linux/amd64")
	arm, _ := Lookup("linux/arm/v7")
	tests := []struct {
		name    string
		targets []Target
		all     bool
		keep    int
		skipped string
		err     string
	}{
		{"all, one without a recipe", []Target{amd64, arm}, true, 1, "no static Mono runtime recipe for linux/arm/v7: skipped", ""},
		{"all, none with a recipe", []Target{arm}, true, 0, "", "no static Mono runtime recipe for linux/arm/v7"},
		{"one target without a recipe", []Target{arm}, false, 0, "", "use --target with one of linux/amd64"},
		{"one target with a recipe", []Target{amd64}, false, 1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep, skipped, err := PickMono(tt.targets, tt.all)
			if len(keep) != tt.keep || !strings.Contains(skipped, tt.skipped) || (tt.skipped == "" && skipped != "") {
				t.Errorf("kept %d (want %d), skipped %q (want %q)", len(keep), tt.keep, skipped, tt.skipped)
			}
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		flag      string
		all, mono bool
		want      []string // target names; nil with err
		err       string
	}{
		{"linux/arm64", false, false, []string{"linux/arm64"}, ""},
		{"linux/mips", false, false, nil, "unknown target"},
		{"linux/arm/v7", false, true, nil, "no static Mono runtime recipe"},
		{"linux/amd64", false, true, []string{"linux/amd64"}, ""},
	}
	for _, tt := range tests {
		ts, _, err := Select(tt.flag, tt.all, tt.mono)
		var got []string
		for _, x := range ts {
			got = append(got, x.Name)
		}
		if !slices.Equal(got, tt.want) || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Select(%q, %v, %v) = %v, %v; want %v, %q", tt.flag, tt.all, tt.mono, got, err, tt.want, tt.err)
		}
	}
	// --all is every target whose cross compiler is here.
	all, _, err := Select("", true, false)
	if err != nil || len(all) != len(Buildable()) {
		t.Errorf("Select all = %d targets, %v; Buildable has %d", len(all), err, len(Buildable()))
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		v    interface{ String() string }
		want string
	}{
		{Installed{Target: "linux/arm64", Path: "/s/cc", Built: true}, "linux/arm64: /s/cc (built)"},
		{Installed{Target: "linux/arm64", Path: "/s/cc"}, "linux/arm64: /s/cc (cached)"},
		{Status{Target: "linux/amd64", Status: "available"}, "linux/amd64    available"},
		{EntryCheck{Key: "k", OK: true}, "k: ok"},
		{EntryCheck{Key: "k", Problems: []string{"a missing", "b changed"}}, "k: DAMAGED: a missing; b changed"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
	// The JSON keys are what 'mcc toolchain --json' printed as maps.
	b, _ := json.Marshal(Installed{Target: "t", Path: "p", Key: "k", Built: true})
	if string(b) != `{"built":true,"key":"k","path":"p","target":"t"}` {
		t.Errorf("Installed JSON %s", b)
	}
}

func TestDamaged(t *testing.T) {
	if err := Damaged([]EntryCheck{{Key: "a", OK: true}}); err != nil {
		t.Errorf("no damage: %v", err)
	}
	err := Damaged([]EntryCheck{{Key: "a", OK: true}, {Key: "b"}, {Key: "c"}})
	if err == nil || !strings.HasPrefix(err.Error(), "2 of 3 store entries are damaged") {
		t.Errorf("Damaged = %v", err)
	}
}

// TestVerifyAndPrune runs verify and prune on a store holding a stale C
// toolchain, a Mono runtime, a damaged entry, a blob no pin names and one
// at a pinned digest.
func TestVerifyAndPrune(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	in := &Installer{Store: s}
	for _, k := range []string{"musl-old-recipe", "mono-runtime", "musl-damaged"} {
		_, _, err := s.Entry(ctx, k, func(ctx context.Context, tmp string) error {
			return os.WriteFile(filepath.Join(tmp, "f"), []byte(k), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(s.Path("musl-damaged"), "f"), 0o644)
	if err := os.WriteFile(filepath.Join(s.Path("musl-damaged"), "f"), []byte("changed"), 0o644); err != nil {
		t.Skipf("entries are read-only here: %v", err)
	}
	unpinned := fmt.Sprintf("%x", sha256.Sum256([]byte("an old pin's bytes")))
	if _, err := s.PutBlob(unpinned, strings.NewReader("an old pin's bytes")); err != nil {
		t.Fatal(err)
	}
	// The pinned blob's real bytes are not needed: prune goes by name, so
	// the test writes a stand-in where the store keeps that digest.
	pin, _ := sysroots.Lookup(MuslPin)
	pinnedPath := filepath.Join(s.Root, "blobs", "sha256", pin.SHA256)
	if err := os.WriteFile(pinnedPath, []byte("stands in"), 0o444); err != nil {
		t.Fatal(err)
	}
	checks, err := in.VerifyStore()
	if err != nil || len(checks) != 3 {
		t.Fatalf("VerifyStore = %v, %v", checks, err)
	}
	for _, c := range checks {
		if c.OK != (c.Key != "musl-damaged") {
			t.Errorf("%s: ok=%v problems %v", c.Key, c.OK, c.Problems)
		}
	}
	removed, err := in.Prune(ctx, false)
	if err != nil || !slices.Contains(removed, "musl-old-recipe") || slices.Contains(removed, "mono-runtime") {
		t.Errorf("Prune = %v, %v; want the stale musl entries, not the Mono runtime", removed, err)
	}
	if !slices.Contains(removed, "blobs/sha256/"+unpinned) {
		t.Errorf("Prune = %v; want the blob no pin names removed", removed)
	}
	removed, err = in.Prune(ctx, true)
	if keys, _ := s.Keys(); err != nil || !slices.Contains(removed, "mono-runtime") || len(keys) != 0 {
		t.Errorf("Prune all = %v, %v, left %v; want every entry gone", removed, err, keys)
	}
	if _, err := os.Stat(pinnedPath); err != nil {
		t.Errorf("prune --all removed the blob of pin %s: %v", pin.Name, err)
	}
}
