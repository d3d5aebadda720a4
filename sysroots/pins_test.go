package sysroots

import (
	"strings"
	"testing"
)

func TestEmbeddedPinsLoad(t *testing.T) {
	p, err := Lookup("musl-source")
	if err != nil {
		t.Fatal(err)
	}
	if p.SHA256 != "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4" || p.Size != 1058642 {
		t.Fatalf("musl pin changed: %+v", p)
	}
	if k, err := p.Key(); err != nil || !strings.Contains(string(k), "BEGIN PGP PUBLIC KEY BLOCK") {
		t.Fatalf("musl key: %v", err)
	}
	if got, ok := BySHA256(p.SHA256); !ok || got.Name != p.Name {
		t.Fatal("BySHA256 did not find the musl pin")
	}
}

func TestParseRejects(t *testing.T) {
	sum := strings.Repeat("a", 64)
	pin := func(extra string) string {
		return `[{"name":"x","file":"x.tgz","sha256":"` + sum + `","size":1,"note":"lasts",` + extra + `}]`
	}
	good := pin(`"locations":["https://example.org/x.tgz"]`)[1:]
	good = good[:len(good)-1]
	tests := []struct {
		name, json, want string
	}{
		{"ok", "[" + good + "]", ""},
		{"no name", `[{"file":"x","sha256":"` + strings.Repeat("a", 64) + `","size":1}]`, "without a name"},
		{"path in file", `[{"name":"x","file":"../x","sha256":"` + strings.Repeat("a", 64) + `","size":1}]`, "plain file name"},
		{"short digest", `[{"name":"x","file":"x","sha256":"abc","size":1}]`, "64 lower-case hex"},
		{"upper digest", `[{"name":"x","file":"x","sha256":"` + strings.Repeat("A", 64) + `","size":1}]`, "64 lower-case hex"},
		{"no size", `[{"name":"x","file":"x","sha256":"` + strings.Repeat("a", 64) + `"}]`, "size must be positive"},
		{"unknown field", `[{"name":"x","bogus":1}]`, "unknown field"},
		{"no location", pin(`"locations":[]`), "at least one location"},
		{"unknown scheme", pin(`"locations":["ftp://x/y"]`), "want https://"},
		{"debian outside pool", pin(`"locations":["debian:dists/x"]`), "under pool/"},
		{"debian dotdot", pin(`"locations":["debian:pool/../x"]`), "clean path"},
		{"module without version", pin(`"locations":["gomod:golang.org/x/y"]`), "MODULE@VERSION"},
		{"module without h1", pin(`"locations":["gomod:golang.org/x/y@v1.0.0"]`), "h1: hash"},
		{"module", pin(`"locations":["gomod:golang.org/x/y@v1.0.0"],"h1":"h1:abc="`), ""},
		{"no note", `[{"name":"x","file":"x","sha256":"` + sum + `","size":1,"locations":["https://e/x"]}]`, "note"},
		{"bad signature", pin(`"locations":["https://e/x"],"signature":{"file":"x.asc","key":"k","fingerprint":"12"}`), "40-digit fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`[{"name":"x","file":"x.tgz","sha256":"` + strings.Repeat("a", 64) + `","size":1}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := Parse(b)
		if err != nil {
			return
		}
		for _, p := range list {
			if p.validate() != nil {
				t.Fatalf("Parse accepted an invalid pin %+v", p)
			}
		}
	})
}
