package image

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/image/imagetest"
)

func TestZoneinfoFromPin(t *testing.T) {
	_, tz := imagetest.PinnedInputs(t)
	es, err := readZoneinfo(tz)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range es {
		if e.Linkname != "" || e.Dir || e.Mode != 0o644 {
			t.Errorf("%s is not a 0644 regular file", e.Path)
		}
		if strings.HasPrefix(e.Path, ZoneinfoDir+"/right/") {
			t.Errorf("%s: no right/ copies wanted", e.Path)
		}
		files[e.Path] = e.Data
	}
	if len(files) < 300 {
		t.Fatalf("%d files, want the whole zone database", len(files))
	}
	if !bytes.Contains(files[ZoneinfoLicense], []byte("Redistribution")) {
		t.Fatalf("no Go LICENSE at %s", ZoneinfoLicense)
	}
	for _, c := range []struct {
		zone   string
		when   time.Time
		abbrev string
		offset int
	}{
		{"America/New_York", time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC), "EDT", -4 * 3600},
		{"America/New_York", time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), "EST", -5 * 3600},
		{"Europe/Berlin", time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC), "CEST", 2 * 3600},
		{"Asia/Kolkata", time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), "IST", 5*3600 + 1800},
	} {
		data, ok := files[ZoneinfoDir+"/"+c.zone]
		if !ok {
			t.Errorf("no %s", c.zone)
			continue
		}
		loc, err := time.LoadLocationFromTZData(c.zone, data)
		if err != nil {
			t.Errorf("%s: %v", c.zone, err)
			continue
		}
		if name, off := c.when.In(loc).Zone(); name != c.abbrev || off != c.offset {
			t.Errorf("%s at %v is %s %d, want %s %d", c.zone, c.when, name, off, c.abbrev, c.offset)
		}
	}
}

// zoneZip is a zoneinfo.zip with the given entries.
func zoneZip(t *testing.T, names []string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("TZif2 " + n))
	}
	zw.Close()
	return b.Bytes()
}

func manyZones(n int) []string {
	var z []string
	for i := 0; i < n; i++ {
		z = append(z, "Etc/Zone"+string(rune('A'+i%26))+string(rune('a'+i/26)))
	}
	return z
}

func TestZoneEntries(t *testing.T) {
	cases := []struct {
		name  string
		zones []string
		want  int
		err   string
	}{
		{"zones", manyZones(120), 120, ""},
		{"directories skipped", append(manyZones(120), "Etc/"), 120, ""},
		{"climbs out", append(manyZones(120), "../etc/passwd"), 0, "unexpected entry"},
		{"absolute", append(manyZones(120), "/etc/passwd"), 0, "unexpected entry"},
		{"leap-second copies", append(manyZones(120), "right/UTC"), 0, "unexpected entry"},
		{"too few", manyZones(3), 0, "holds 3 zones"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := zoneZip(t, c.zones)
			zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				t.Fatal(err)
			}
			es, err := zoneEntries(zr)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || len(es) != c.want || es[0].Path != ZoneinfoDir+"/"+c.zones[0] {
				t.Fatalf("%d entries (%v), want %d under %s", len(es), err, c.want, ZoneinfoDir)
			}
		})
	}
}

// TestInnerZip reads a zip inside a module zip both ways: from the file
// when stored, from memory when deflated.
func TestInnerZip(t *testing.T) {
	inner := zoneZip(t, manyZones(120))
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		t.Run(map[uint16]string{zip.Store: "stored", zip.Deflate: "deflated"}[method], func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "mod.zip")
			f, _ := os.Create(p)
			zw := zip.NewWriter(f)
			zw.Create("m@v1/README")
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "m@v1/" + zoneinfoPath, Method: method})
			w.Write(inner)
			zw.Close()
			f.Close()
			f, _ = os.Open(p)
			defer f.Close()
			fi, _ := f.Stat()
			zr, err := zip.NewReader(f, fi.Size())
			if err != nil {
				t.Fatal(err)
			}
			z := &pinnedZip{Reader: zr, f: f, prefix: "m@v1/"}
			got, err := z.innerZip(zoneinfoPath, maxZoneinfoZip)
			if err != nil {
				t.Fatal(err)
			}
			if es, err := zoneEntries(got); err != nil || len(es) != 120 {
				t.Fatalf("%d zones, %v", len(es), err)
			}
			if _, err := z.innerZip("lib/none.zip", maxZoneinfoZip); err == nil {
				t.Fatal("a missing entry was found")
			}
		})
	}
}
