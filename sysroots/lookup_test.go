package sysroots

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

func TestNamesAndAll(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) || len(names) != len(pins) {
		t.Fatalf("Names() = %q: want every pin, sorted", names)
	}
	all := All()
	if len(all) != len(names) {
		t.Fatalf("All() has %d pins, Names() %d", len(all), len(names))
	}
	for i, p := range all {
		if p.Name != names[i] {
			t.Errorf("All()[%d] is %s, want %s (sorted by name)", i, p.Name, names[i])
		}
		if got, ok := BySHA256(p.SHA256); !ok || got.Name != p.Name {
			t.Errorf("BySHA256(%s) = %s, %v", p.SHA256, got.Name, ok)
		}
	}
	if _, ok := BySHA256(strings.Repeat("0", 64)); ok {
		t.Error("BySHA256 found a pin for a digest no pin has")
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("no-such-pin")
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), "musl-source") {
		t.Fatalf("err = %v, want bad input listing the known pins", err)
	}
}

func TestKey(t *testing.T) {
	musl, _ := Lookup("musl-source")
	inMemory := musl
	sig := *musl.Signature
	sig.ArmoredKey = []byte("a test key")
	inMemory.Signature = &sig
	missing := musl
	sig2 := *musl.Signature
	sig2.Key = "keys/none.asc"
	missing.Signature = &sig2
	tests := []struct {
		name, want, wantErr string
		pin                 Pin
	}{
		{name: "embedded key file", pin: musl, want: "BEGIN PGP PUBLIC KEY BLOCK"},
		{name: "key given in memory wins", pin: inMemory, want: "a test key"},
		{name: "no signature", pin: Pin{Name: "x"}, wantErr: "pin x has no signing key"},
		{name: "key file missing", pin: missing, wantErr: "keys/none.asc"},
	}
	for _, tt := range tests {
		k, err := tt.pin.Key()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(string(k), tt.want) {
			t.Errorf("%s: %.40q, %v; want %q", tt.name, k, err, tt.want)
		}
	}
	if musl.Signature.ArmoredKey != nil {
		t.Error("the embedded pin was changed")
	}
	if _, err := Parse([]byte(`[{"name":"x","file":"x","sha256":"` + strings.Repeat("a", 64) + `","size":1,"locations":["https://e/x"],"note":"n",
		"signature":{"file":"x.asc","key":"k","fingerprint":"` + strings.Repeat("A", 40) + `","ArmoredKey":"eA=="}}]`)); err == nil {
		t.Error("a pin file set the in-memory key")
	}
}

func TestSelect(t *testing.T) {
	all, err := Select(nil)
	if err != nil || len(all) != len(Names()) {
		t.Errorf("Select() = %d pins, %v; want all %d", len(all), err, len(Names()))
	}
	two, err := Select([]string{"musl-source", "ca-roots"})
	if err != nil || len(two) != 2 || two[0].Name != "musl-source" || two[1].Name != "ca-roots" {
		t.Errorf("Select(musl-source, ca-roots) = %v, %v", two, err)
	}
	if _, err := Select([]string{"musl-source", "nope"}); err == nil || !strings.Contains(err.Error(), `no pin named "nope"`) {
		t.Errorf("Select(nope) = %v", err)
	}
}

func TestDescribe(t *testing.T) {
	p := Pin{Name: "x", File: "x.tar", Size: 3, SHA256: "ab", Locations: []string{"https://h/x.tar", "debian:pool/x.tar"}}
	want := "x                      x.tar  3 bytes  sha256 ab\n" +
		"                         https://h/x.tar\n" +
		"                         debian:pool/x.tar"
	if got := p.Describe(); got != want {
		t.Errorf("Describe =\n%s\nwant\n%s", got, want)
	}
}

func TestMirrorNames(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		pin       Pin
		names     []string
		sigNames  []string
		mod, ver  string
		hasModule bool
	}{
		{Pin{File: "a.tar", SHA256: sum, Locations: []string{"https://h/a.tar"}},
			[]string{"a.tar", "sha256/" + sum}, nil, "", "", false},
		{Pin{File: "a.tar", SHA256: sum, Aliases: []string{"old.tar"}, Signature: &Signature{File: "a.tar.asc"}, Locations: []string{"https://h/a.tar"}},
			[]string{"a.tar", "sha256/" + sum, "old.tar"}, []string{"a.tar.asc", "old.tar.asc"}, "", "", false},
		{Pin{File: "m.zip", SHA256: sum, Locations: []string{"debian:pool/m.zip", "gomod:example.com/m@v1.2.3"}},
			[]string{"m.zip", "sha256/" + sum}, nil, "example.com/m", "v1.2.3", true},
	}
	for _, tt := range tests {
		mod, ver, ok := tt.pin.Module()
		if !slices.Equal(tt.pin.MirrorNames(), tt.names) || !slices.Equal(tt.pin.SignatureMirrorNames(), tt.sigNames) || mod != tt.mod || ver != tt.ver || ok != tt.hasModule {
			t.Errorf("%s: names %q, signature names %q, module %q %q %v", tt.pin.File, tt.pin.MirrorNames(), tt.pin.SignatureMirrorNames(), mod, ver, ok)
		}
	}
}

func TestSplitModule(t *testing.T) {
	tests := []struct {
		in, mod, ver string
		ok           bool
	}{
		{"golang.org/x/crypto@v0.1.0", "golang.org/x/crypto", "v0.1.0", true},
		{"a@b@v1", "a@b", "v1", true},
		{"@v1", "", "", false},
		{"mod@", "", "", false},
		{"mod", "", "", false},
	}
	for _, tt := range tests {
		mod, ver, ok := SplitModule(tt.in)
		if mod != tt.mod || ver != tt.ver || ok != tt.ok {
			t.Errorf("SplitModule(%q) = %q, %q, %v", tt.in, mod, ver, ok)
		}
	}
}
