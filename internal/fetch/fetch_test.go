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

func musl(t *testing.T) sysroots.Pin {
	p, err := sysroots.Lookup("musl-source")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mirrorDir lays out a mirror holding the real Debian musl files under the
// given names; tamper flips one byte of the tarball.
func mirrorDir(t *testing.T, name, sigName string, tamperData, tamperSig bool) string {
	dir := t.TempDir()
	data := filepath.Join(dir, name)
	testenv.CopyFile(t, testenv.PinFile(t, "musl-source"), data)
	if sigName != "" {
		testenv.CopyFile(t, testenv.PinFile(t, "musl-source")+".asc", filepath.Join(dir, sigName))
	}
	flip := func(p string, off int64) {
		b, _ := os.ReadFile(p)
		b[off] ^= 1
		os.WriteFile(p, b, 0o644)
	}
	if tamperData {
		flip(data, 1000)
	}
	if tamperSig {
		flip(filepath.Join(dir, sigName), 200)
	}
	return dir
}

func TestFetch(t *testing.T) {
	tests := []struct {
		name                  string
		file, sig             string
		tamperData, tamperSig bool
		http                  bool
		wantErr               string
		wantSig               string
	}{
		{name: "file mirror, upstream names, signed", file: "musl-1.2.3.tar.gz", sig: "musl-1.2.3.tar.gz.asc", wantSig: "verified: key 836489290BB6B70F99FFDA0556BCDB593020450F"},
		{name: "http mirror, Debian names", file: "musl_1.2.3.orig.tar.gz", sig: "musl_1.2.3.orig.tar.gz.asc", http: true, wantSig: "verified"},
		{name: "no signature in mirror", file: "musl-1.2.3.tar.gz", wantSig: "not verified"},
		{name: "tampered tarball", file: "musl-1.2.3.tar.gz", tamperData: true, wantErr: "checksum mismatch"},
		{name: "tampered signature", file: "musl-1.2.3.tar.gz", sig: "musl-1.2.3.tar.gz.asc", tamperSig: true, wantErr: "does not verify"},
		{name: "not in mirror", file: "other.tar.gz", wantErr: "not found; looked in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mirrorDir(t, tt.file, tt.sig, tt.tamperData, tt.tamperSig)
			mirror := dir
			if tt.http {
				srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
				defer srv.Close()
				mirror = srv.URL
			}
			s, err := store.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			f := &Fetcher{Store: s, Mirrors: []string{mirror}, Offline: true}
			res, err := f.Fetch(context.Background(), musl(t))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !badinput.Is(err) {
					t.Fatalf("err = %v, want bad input mentioning %q", err, tt.wantErr)
				}
				nothingKept(t, s, musl(t).SHA256)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.Fetched || !strings.HasPrefix(res.Info.Signature, tt.wantSig) {
				t.Fatalf("result %+v, want signature %q", res, tt.wantSig)
			}
			again, err := f.Fetch(context.Background(), musl(t))
			if err != nil || again.Fetched || again.Path != res.Path || again.Info != res.Info {
				t.Fatalf("second fetch should come from the store: %+v %v", again, err)
			}
		})
	}
}

// nothingKept fails the test if the store kept the refused artifact sum
// ("": none to look for) or a temp file.
func nothingKept(t *testing.T, s *store.Store, sum string) {
	t.Helper()
	if _, ok := s.Blob(sum); ok && sum != "" {
		t.Error("a refused artifact was kept in the store")
	}
	if left, _ := os.ReadDir(filepath.Join(s.Root, "tmp")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestNothingOfflineNamesEveryPlace(t *testing.T) {
	s, _ := store.Open(t.TempDir())
	f := &Fetcher{Store: s, Mirrors: []string{"/nonexistent/a", "http://127.0.0.1:1/b"}, Offline: true}
	_, err := f.Fetch(context.Background(), musl(t))
	if err == nil || !badinput.Is(err) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"musl-source", "mirror file:///nonexistent/a", "127.0.0.1:1/b", "drop --offline"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestDownloadNeedsTheStoresTmp: a download that has nowhere to go in the
// store fails and says where, instead of reporting the pin missing.
func TestDownloadNeedsTheStoresTmp(t *testing.T) {
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(s.Root, "tmp")
	os.RemoveAll(tmp)
	os.WriteFile(tmp, nil, 0o644) // a file where the dir should be
	mirror := t.TempDir()
	pin := pinFor("p", []byte("bytes"))
	os.WriteFile(filepath.Join(mirror, pin.File), []byte("bytes"), 0o644)
	f := &Fetcher{Store: s, Mirrors: []string{mirror}, Offline: true}
	_, err = f.Fetch(context.Background(), pin)
	if err == nil || !strings.Contains(err.Error(), tmp) {
		t.Fatalf("err = %v, want one naming %s", err, tmp)
	}
}
