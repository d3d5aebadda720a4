package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
)

// signedPin pins data and says k signs it, with the signature at sigLocs.
func signedPin(name string, data []byte, k testenv.Key, locs, sigLocs []string) sysroots.Pin {
	p := pinFor(name, data, locs...)
	k.Signs(&p, sigLocs...)
	return p
}

// TestFetchVerifiesSignatures: where a signature is looked for (mirror
// names, aliases, the signature's own locations) and every way one is
// refused, with a key the test makes. It is long because it is one table.
func TestFetchVerifiesSignatures(t *testing.T) {
	key, other := testenv.NewKey(t, "upstream"), testenv.NewKey(t, "intruder")
	data := []byte("a release tarball upstream signs")
	up := newUpstream(t)
	up.files["/rel/x.bin"] = data
	up.files["/rel/x.bin.asc"] = key.Sign(t, data, true)
	up.files["/bad/x.bin"] = data
	up.files["/bad/x.bin.asc"] = other.Sign(t, data, true)

	tests := []struct {
		name      string
		mirror    map[string][]byte // files in a mirror directory; nil: no mirror
		http      bool              // serve the mirror over HTTP
		aliases   []string
		locs      []string
		sigLocs   []string
		pinnedKey *testenv.Key // default key
		keyArmor  []byte       // replaces the pinned key's bytes
		wantSig   string
		wantErr   string
	}{
		{name: "file mirror, armored signature", mirror: map[string][]byte{"x.bin": data, "x.bin.asc": key.Sign(t, data, true)},
			wantSig: "verified: key " + key.Fingerprint},
		{name: "http mirror, binary signature", http: true, mirror: map[string][]byte{"x.bin": data, "x.bin.asc": key.Sign(t, data, false)},
			wantSig: "verified: key " + key.Fingerprint},
		{name: "mirror under an alias", aliases: []string{"x_1.orig.bin"},
			mirror:  map[string][]byte{"x_1.orig.bin": data, "x_1.orig.bin.asc": key.Sign(t, data, true)},
			wantSig: "verified: key " + key.Fingerprint},
		{name: "mirror by sha256 name", mirror: map[string][]byte{"sha256/" + pinFor("x", data).SHA256: data, "x.bin.asc": key.Sign(t, data, true)},
			wantSig: "verified: key " + key.Fingerprint},
		{name: "a mirror's artifact takes the mirror's signature only", mirror: map[string][]byte{"x.bin": data},
			sigLocs: []string{up.URL + "/rel/x.bin.asc"}, wantSig: "not verified: no signature found"},
		{name: "signature beside the pin's own location", locs: []string{up.URL + "/rel/x.bin"},
			sigLocs: []string{up.URL + "/missing.asc", up.URL + "/rel/x.bin.asc"}, wantSig: "verified: key " + key.Fingerprint},
		{name: "no signature anywhere", mirror: map[string][]byte{"x.bin": data}, sigLocs: []string{up.URL + "/missing.asc"},
			wantSig: "not verified: no signature found"},
		{name: "signed by another key", locs: []string{up.URL + "/bad/x.bin"}, sigLocs: []string{up.URL + "/bad/x.bin.asc"},
			wantErr: "does not verify with key " + key.Fingerprint},
		{name: "signature over other bytes", mirror: map[string][]byte{"x.bin": data, "x.bin.asc": key.Sign(t, []byte("other"), true)},
			wantErr: "the mirror holds a wrong or tampered signature"},
		{name: "key file holds another key", pinnedKey: &other, keyArmor: key.Armored,
			mirror: map[string][]byte{"x.bin": data, "x.bin.asc": key.Sign(t, data, true)}, wantErr: "key file keys/test.asc is not key " + other.Fingerprint},
		{name: "key file unreadable", keyArmor: []byte("not a key"),
			mirror: map[string][]byte{"x.bin": data, "x.bin.asc": key.Sign(t, data, true)}, wantErr: "reading signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := key
			if tt.pinnedKey != nil {
				k = *tt.pinnedKey
			}
			pin := signedPin("x", data, k, tt.locs, tt.sigLocs)
			pin.Aliases = tt.aliases
			if tt.keyArmor != nil {
				pin.Signature.ArmoredKey = tt.keyArmor
			}
			s, err := store.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			f := &Fetcher{Store: s, Resolver: &Resolver{DebianArchives: []string{}, GoProxies: []string{}}}
			if tt.mirror != nil {
				f.Mirrors = []string{mirrorOf(t, tt.mirror, tt.http)}
			}
			res, err := f.Fetch(context.Background(), pin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
				}
				nothingKept(t, s, pin.SHA256)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.Info.Signature, tt.wantSig) {
				t.Errorf("signature %q, want %q", res.Info.Signature, tt.wantSig)
			}
			if info, err := s.GetBlobInfo(pin.SHA256); err != nil || info != res.Info {
				t.Errorf("the store recorded %+v, %v; want %+v", info, err, res.Info)
			}
		})
	}
}

// mirrorOf lays out files in a new directory and returns it as a mirror:
// the directory, or a loopback HTTP server over it.
func mirrorOf(t *testing.T, files map[string][]byte, overHTTP bool) string {
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !overHTTP {
		return dir
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckSignatures(t *testing.T) {
	key, other := testenv.NewKey(t, "upstream"), testenv.NewKey(t, "intruder")
	data := []byte("pinned release")
	up := newUpstream(t)
	up.files["/rel/x.bin"] = data
	up.files["/rel/x.bin.asc"] = key.Sign(t, data, false)
	up.files["/rel/bad.asc"] = other.Sign(t, data, true)
	sigLocs := []string{up.URL + "/rel/x.bin.asc", up.URL + "/rel/bad.asc", up.URL + "/rel/none.asc"}
	type check struct {
		pin, status string
		ok          bool
	}
	tests := []struct {
		name string
		locs []string
		want []check
	}{
		{"served and signed", []string{up.URL + "/rel/x.bin"}, []check{
			{"x", "serves the pinned bytes", true},
			{"x (signature)", "signed by " + key.Fingerprint, true},
			{"x (signature)", "pin x: signature", false},
			{"x (signature)", "not found (HTTP 404)", false}}},
		{"not served: signatures not checked", []string{up.URL + "/rel/gone.bin", "gomod:bad path@v1"}, []check{
			{"x", "not found (HTTP 404)", false},
			{"x", "module bad path: malformed module path", false},
			{"x (signature)", "not checked: no location served the artifact", false},
			{"x (signature)", "not checked", false},
			{"x (signature)", "not checked", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := store.Open(t.TempDir())
			f := &Fetcher{Store: s, Resolver: &Resolver{GoProxies: []string{up.URL}}}
			got, err := f.Check(context.Background(), signedPin("x", data, key, tt.locs, sigLocs))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("checks %+v, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].Pin != w.pin || got[i].OK != w.ok || !strings.HasPrefix(got[i].Status, w.status) {
					t.Errorf("check %d = %+v, want %+v", i, got[i], w)
				}
			}
			nothingKept(t, s, "")
		})
	}
}

func TestSignatureURLs(t *testing.T) {
	pin := signedPin("x", []byte("x"), testenv.Key{}, []string{"https://up.invalid/x.bin"}, []string{"https://up.invalid/x.bin.asc", "debian:pool/x.asc"})
	pin.Aliases = []string{"x_1.bin"}
	tests := []struct {
		offline bool
		want    []string
	}{
		{false, []string{"file:///m/x.bin.asc", "file:///m/x_1.bin.asc", "http://h.invalid/m/x.bin.asc", "http://h.invalid/m/x_1.bin.asc",
			"https://up.invalid/x.bin.asc", "http://deb.invalid/pool/x.asc"}},
		{true, []string{"file:///m/x.bin.asc", "file:///m/x_1.bin.asc", "http://h.invalid/m/x.bin.asc", "http://h.invalid/m/x_1.bin.asc"}},
	}
	for _, tt := range tests {
		f := &Fetcher{Mirrors: []string{"/m", "http://h.invalid/m/"}, Offline: tt.offline, Resolver: &Resolver{DebianArchives: []string{"http://deb.invalid/"}}}
		if got := f.SignatureURLs(pin); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("offline=%v: %q\nwant %q", tt.offline, got, tt.want)
		}
	}
}

func TestVerifyFileErrors(t *testing.T) {
	key := testenv.NewKey(t, "upstream")
	dir := t.TempDir()
	data := filepath.Join(dir, "x.bin")
	os.WriteFile(data, []byte("x"), 0o644)
	sig := filepath.Join(dir, "x.bin.asc")
	os.WriteFile(sig, key.Sign(t, []byte("x"), true), 0o644)
	pin := signedPin("x", []byte("x"), key, nil, nil)
	if err := VerifyFile(pin, data, sig); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for _, tt := range []struct {
		name       string
		pin        sysroots.Pin
		data, sig  string
		want       string
		wantBadArg bool
	}{
		{name: "no signature pinned", pin: pinFor("x", []byte("x")), data: data, sig: sig, want: "has no signing key"},
		{name: "signature missing", pin: pin, data: data, sig: filepath.Join(dir, "none"), want: "no such file"},
		{name: "data missing", pin: pin, data: filepath.Join(dir, "none"), sig: sig, want: "no such file"},
		{name: "signature is junk", pin: pin, data: data, sig: data, want: "does not verify", wantBadArg: true},
	} {
		err := VerifyFile(tt.pin, tt.data, tt.sig)
		if err == nil || !strings.Contains(err.Error(), tt.want) || badinput.Is(err) != tt.wantBadArg {
			t.Errorf("%s: err = %v, want %q (bad input %v)", tt.name, err, tt.want, tt.wantBadArg)
		}
	}
}
