package fetch

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/sysroots"
)

// TestCheckPins checks a served pin and one no archive serves: each pin's
// results come through each in order, and Unserved names only the second.
func TestCheckPins(t *testing.T) {
	up := newUpstream(t)
	good, gone := []byte("pinned bytes"), []byte("gone bytes")
	up.files["/a/pool/good.deb"] = good
	s, _ := store.Open(t.TempDir())
	f := &Fetcher{Store: s, Resolver: &Resolver{DebianArchives: []string{up.URL + "/a"}}}
	pins := []sysroots.Pin{pinFor("good", good, "debian:pool/good.deb"), pinFor("gone", gone, "debian:pool/gone.deb")}
	var seen []string
	all, err := f.CheckPins(context.Background(), pins, func(c []URLCheck) { seen = append(seen, c[0].Pin) })
	if err != nil || len(all) != 2 || !slices.Equal(seen, []string{"good", "gone"}) {
		t.Fatalf("CheckPins = %+v, %v; each saw %v", all, err, seen)
	}
	err = Unserved(all, pins)
	if err == nil || !strings.HasPrefix(err.Error(), "no location serves pin(s) gone:") {
		t.Errorf("Unserved = %v, want pin gone named", err)
	}
	if err := Unserved(all, pins[:1]); err != nil {
		t.Errorf("Unserved of the served pin = %v", err)
	}
}

func TestCheckLines(t *testing.T) {
	checks := []URLCheck{
		{Pin: "x", Location: "debian:pool/x.deb", URL: "http://a/pool/x.deb", OK: true, Status: "serves the pinned bytes"},
		{Pin: "x", Location: "debian:pool/x.deb", URL: "http://b/pool/x.deb", Status: "not found (HTTP 404)"},
		{Pin: "y", Location: "debian:pool/y.deb", URL: "http://a/pool/y.deb", Status: "not found (HTTP 404)"},
		{Pin: "y", Location: "debian:pool/y.deb", Status: "no Debian archive configured"},
	}
	want := []string{
		"ok   x                      http://a/pool/x.deb: serves the pinned bytes",
		"--   x                      http://b/pool/x.deb: not found (HTTP 404)",
		"FAIL y                      http://a/pool/y.deb: not found (HTTP 404)",
		"FAIL y                      debian:pool/y.deb: no Debian archive configured",
	}
	if got := CheckLines(checks); !slices.Equal(got, want) {
		t.Errorf("CheckLines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
