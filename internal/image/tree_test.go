package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func readTar(t *testing.T, b []byte) []*tar.Header {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var hs []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}

// TestTreeTar is long for its table: each row is a tree and the tar
// listing, or the error, it must give.
func TestTreeTar(t *testing.T) {
	mtime := time.Unix(1700000000, 0)
	cases := []struct {
		name    string
		entries []Node
		want    []string // "name mode uid:gid type"
		wantErr string
	}{
		{
			name: "parents added, sorted, fixed owners",
			entries: []Node{
				{Path: "/usr/share/x", Mode: 0o644, Data: []byte("x")},
				{Path: "/etc/passwd", Mode: 0o644, Data: []byte("p")},
				{Path: "/tmp", Dir: true, Mode: 0o1777},
				{Path: "/home/nonroot", Dir: true, Mode: 0o700, UID: 65532, GID: 65532},
				{Path: "/etc-x", Mode: 0o600, Data: nil},
			},
			want: []string{
				"etc/ 755 0:0 dir", "etc/passwd 644 0:0 reg",
				"etc-x 600 0:0 reg",
				"home/ 755 0:0 dir", "home/nonroot/ 700 65532:65532 dir",
				"tmp/ 1777 0:0 dir",
				"usr/ 755 0:0 dir", "usr/share/ 755 0:0 dir", "usr/share/x 644 0:0 reg",
			},
		},
		{
			name:    "symlink kept",
			entries: []Node{{Path: "/usr/share/zoneinfo/UTC", Mode: 0o777, Linkname: "Etc/UTC"}},
			want:    []string{"usr/ 755 0:0 dir", "usr/share/ 755 0:0 dir", "usr/share/zoneinfo/ 755 0:0 dir", "usr/share/zoneinfo/UTC 777 0:0 link->Etc/UTC"},
		},
		{
			name:    "file used as a directory",
			entries: []Node{{Path: "/etc", Mode: 0o644}, {Path: "/etc/passwd", Mode: 0o644}},
			wantErr: "needs /etc to be a directory",
		},
		{
			name:    "same file twice",
			entries: []Node{{Path: "/a", Mode: 0o644}, {Path: "/a/../a", Mode: 0o644}},
			wantErr: "given twice",
		},
		{
			name:    "root",
			entries: []Node{{Path: "/", Dir: true}},
			wantErr: "root directory",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := tree{}
			var err error
			for _, e := range c.entries {
				if err = tr.add(e); err != nil {
					break
				}
			}
			var buf bytes.Buffer
			if err == nil {
				err = tr.writeTar(&buf, mtime)
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range readTar(t, buf.Bytes()) {
				kind := map[byte]string{tar.TypeDir: "dir", tar.TypeReg: "reg", tar.TypeSymlink: "link->" + h.Linkname}[h.Typeflag]
				got = append(got, fmt.Sprintf("%s %o %d:%d %s", h.Name, h.Mode, h.Uid, h.Gid, kind))
				if !h.ModTime.Equal(mtime) || h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() {
					t.Errorf("%s: mtime %v uname %q gname %q atime %v: want fixed values", h.Name, h.ModTime, h.Uname, h.Gname, h.AccessTime)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestLayerIsDeterministicAndSelfConsistent(t *testing.T) {
	mk := func() *layer {
		tr := tree{}
		for i := 0; i < 50; i++ { // map order varies between runs; output must not
			tr.add(Node{Path: fmt.Sprintf("/d%d/f", i), Mode: 0o644, Data: []byte(strings.Repeat("x", i))})
		}
		l, err := newLayer(tr, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := mk(), mk()
	if a.digest != b.digest || a.diffID != b.diffID {
		t.Fatalf("two layers from the same tree differ: %s/%s vs %s/%s", a.digest, a.diffID, b.digest, b.diffID)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(a.gz)); got != a.digest.Hex {
		t.Fatalf("digest %s does not hash the compressed bytes (%s)", a.digest.Hex, got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	if !bytes.Equal(raw, a.tar) || fmt.Sprintf("%x", sha256.Sum256(raw)) != a.diffID.Hex {
		t.Fatal("diffID does not hash the uncompressed tar")
	}
}
