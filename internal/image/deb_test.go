package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/mcc-build/mcc/internal/image/imagetest"
)

// makeDeb builds a Debian package in memory: an ar archive with
// debian-binary, control.tar.gz and data.tar.<comp>.
func makeDeb(t *testing.T, comp string, files map[string]string, links map[string]string) []byte {
	t.Helper()
	var data bytes.Buffer
	tw := tar.NewWriter(&data)
	tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, name := range sortedKeys(files) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[name]))})
		tw.Write([]byte(files[name]))
	}
	for _, name := range sortedKeys(links) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: links[name], Mode: 0o777})
	}
	tw.Close()
	var body bytes.Buffer
	switch comp {
	case "gz":
		zw := gzip.NewWriter(&body)
		zw.Write(data.Bytes())
		zw.Close()
	case "xz":
		zw, _ := xz.NewWriter(&body)
		zw.Write(data.Bytes())
		zw.Close()
	}
	var deb bytes.Buffer
	deb.WriteString("!<arch>\n")
	member := func(name string, b []byte) {
		fmt.Fprintf(&deb, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", len(b))
		deb.Write(b)
		if len(b)%2 == 1 {
			deb.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.gz", []byte("odd")) // odd length: padding must be skipped
	member("data.tar."+comp, body.Bytes())
	return deb.Bytes()
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestReadDeb(t *testing.T) {
	files := map[string]string{
		"./usr/share/ca-certificates/mozilla/B.crt": "B\n",
		"./usr/share/ca-certificates/mozilla/A.crt": "A\n",
		"./usr/sbin/update-ca-certificates":         "#!/bin/sh\n",
		"./../../etc/evil":                          "x",
	}
	links := map[string]string{"./usr/share/zoneinfo/UTC": "Etc/UTC"}
	keepUsr := func(p string) bool { return strings.HasPrefix(p, "/usr/share/") }
	cases := []struct {
		name    string
		deb     []byte
		keep    func(string) bool
		want    []string
		wantErr string
	}{
		{name: "xz", deb: makeDeb(t, "xz", files, links), keep: keepUsr,
			want: []string{"/usr/share/ca-certificates/mozilla/A.crt", "/usr/share/ca-certificates/mozilla/B.crt", "/usr/share/zoneinfo/UTC->Etc/UTC"}},
		{name: "gz", deb: makeDeb(t, "gz", files, nil), keep: keepUsr,
			want: []string{"/usr/share/ca-certificates/mozilla/A.crt", "/usr/share/ca-certificates/mozilla/B.crt"}},
		{name: "escape lands inside the root", deb: makeDeb(t, "gz", files, nil), keep: func(p string) bool { return strings.HasPrefix(p, "/etc/") },
			want: []string{"/etc/evil"}},
		{name: "symlink out of the tree", deb: makeDeb(t, "gz", nil, map[string]string{"./usr/share/zoneinfo/x": "../../../../../root/secret"}), keep: keepUsr,
			wantErr: "points outside"},
		{name: "not ar", deb: []byte("hello"), keep: keepUsr, wantErr: "not a Debian package"},
		{name: "no data", deb: []byte("!<arch>\n"), keep: keepUsr, wantErr: "no data.tar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readDeb(c.deb, c.keep)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range got {
				n := f.Path
				if f.Linkname != "" {
					n += "->" + f.Linkname
				}
				names = append(names, n)
			}
			if strings.Join(names, " ") != strings.Join(c.want, " ") {
				t.Fatalf("got %v, want %v", names, c.want)
			}
		})
	}
}

func TestPinnedDebsGiveBundleAndZoneinfo(t *testing.T) {
	ca, tz := imagetest.PinnedDebs(t)
	es, err := caCertEntries(ca)
	if err != nil {
		t.Fatal(err)
	}
	var bundle []byte
	for _, e := range es {
		if e.Path == CACertsFile {
			bundle = e.Data
		}
	}
	if n := bytes.Count(bundle, []byte("-----BEGIN CERTIFICATE-----")); n < 100 {
		t.Fatalf("bundle has %d certificates, want the Mozilla set (>100)", n)
	}
	zs, err := tzdataEntries(tz)
	if err != nil {
		t.Fatal(err)
	}
	var berlin bool
	for _, e := range zs {
		if strings.Contains(e.Path, "/right/") {
			t.Fatalf("%s: right/ zones should be left out", e.Path)
		}
		berlin = berlin || (e.Path == "/usr/share/zoneinfo/Europe/Berlin" && bytes.HasPrefix(e.Data, []byte("TZif")))
	}
	if !berlin {
		t.Fatal("no Europe/Berlin TZif file")
	}
	// A file that is not the pinned one is refused, naming the fix.
	if _, err := caCertEntries(tz); err == nil || !strings.Contains(err.Error(), "apt-get download ca-certificates=") {
		t.Fatalf("wrong .deb: %v, want a pin mismatch naming apt-get download", err)
	}
}

// FuzzReadDeb: a .deb is untrusted input; reading one must fail cleanly,
// never panic, and never yield a path outside the root.
func FuzzReadDeb(f *testing.F) {
	f.Add([]byte("!<arch>\n"))
	f.Add([]byte("!<arch>\ndata.tar.gz     0           0     0     100644  99999999  `\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := readDeb(b, func(string) bool { return true })
		if err != nil {
			return
		}
		for _, fl := range files {
			if !strings.HasPrefix(fl.Path, "/") || strings.Contains(fl.Path, "..") {
				t.Fatalf("path %q escapes", fl.Path)
			}
		}
	})
}
