package unpack

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"cmp"
	"compress/flate"
	"compress/gzip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/badinput"
)

// writeArchive generates an archive of the given format ("tar", "tar.gz"
// or "zip") in a fresh dir: tests build inputs rather than check in blobs.
func writeArchive(t testing.TB, format string, entries []entry) string {
	t.Helper()
	var buf bytes.Buffer
	switch format {
	case "tar":
		writeTar(t, &buf, entries)
	case "tar.gz":
		gz := gzip.NewWriter(&buf)
		writeTar(t, gz, entries)
		gz.Close()
	case "zip":
		writeZip(t, &buf, entries)
	default:
		t.Fatalf("unknown format %s", format)
	}
	p := filepath.Join(t.TempDir(), "a."+format)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeTar(t testing.TB, w io.Writer, entries []entry) {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ, Linkname: e.link}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeZip writes symlinks as zip does (mode bits, target as content);
// zip has no hard links, so tests with them are tar-only.
func writeZip(t testing.TB, w io.Writer, entries []entry) {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		body := e.body
		switch e.typ {
		case tar.TypeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
			body = e.link
		case tar.TypeDir:
			h.Name = strings.TrimSuffix(e.name, "/") + "/"
			h.SetMode(fs.ModeDir | 0o755)
		case 0, tar.TypeReg:
			h.SetMode(0o644)
		default:
			t.Fatalf("zip cannot hold entry type %c", e.typ)
		}
		f, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// sandbox is a dest dir next to an "outside" dir holding a file, the
// target hostile archives aim at.
func sandbox(t *testing.T) (parent, dest string) {
	parent = t.TempDir()
	dest = filepath.Join(parent, "dest")
	os.MkdirAll(filepath.Join(parent, "outside"), 0o755)
	os.WriteFile(filepath.Join(parent, "outside", "secret"), []byte("secret"), 0o600)
	os.Mkdir(dest, 0o755)
	return parent, dest
}

// outsideState is every path of parent outside dest, with modes and
// contents: unpacking must never change it.
func outsideState(t *testing.T, parent, dest string) string {
	var b strings.Builder
	filepath.Walk(parent, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == dest {
			return filepath.SkipDir
		}
		c := ""
		if info.Mode().IsRegular() {
			d, _ := os.ReadFile(p)
			c = string(d)
		}
		fmt.Fprintf(&b, "%s %v %q\n", p, info.Mode(), c)
		return nil
	})
	return b.String()
}

// linksInside proves with os.Root's own resolution (independent of
// resolve) that no symlink in dest reads outside it.
func linksInside(t *testing.T, dest string) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			if _, err := root.Stat(p); err != nil && strings.Contains(err.Error(), "escapes") {
				t.Errorf("symlink %s escapes: %v", p, err)
			}
		}
		return nil
	})
}

// TestHostileArchives extracts archives built to escape, plant links or
// exhaust the disk (refused) and look-alikes that stay inside (extracted);
// nothing may change outside dest. It is long because it is one table: a
// row per trick.
func TestHostileArchives(t *testing.T) {
	sym := func(name, target string) entry { return entry{name: name, link: target, typ: tar.TypeSymlink} }
	dir := func(name string) entry { return entry{name: name, typ: tar.TypeDir} }
	file := func(name, body string) entry { return entry{name: name, body: body} }
	tests := []struct {
		name    string
		formats []string
		entries []entry
		opts    Options
		wantErr string // "" means it must extract
	}{
		{"symlink chain up then out", []string{"tar", "tar.gz", "zip"},
			[]entry{dir("a"), sym("a/up", ".."), sym("a/up/esc", "../outside")}, Options{}, `"a/up/esc" -> "../outside" points outside`},
		{"chain up and back in", []string{"tar", "tar.gz", "zip"},
			[]entry{dir("a"), file("a/f", "F"), sym("a/up", ".."), sym("a/up/in", "a/f")}, Options{}, ""},
		{"deep chain", []string{"tar", "zip"},
			[]entry{dir("a/b/c"), sym("a/b/c/u1", ".."), sym("a/b/c/u1/u2", ".."), sym("a/b/c/u1/u2/u3", ".."), sym("a/b/c/u1/u2/u3/esc", "../x")}, Options{}, "points outside"},
		{"link made safe then broken by a later link", []string{"tar", "zip"},
			[]entry{dir("d"), sym("d/l", "x/../../y"), sym("d/x", ".")}, Options{}, `"d/l" -> "x/../../y" points outside the destination once the archive is unpacked`},
		{"hard link copies a symlink up", []string{"tar"},
			[]entry{dir("a/b"), sym("a/b/l", "../x"), {name: "l2", link: "a/b/l", typ: tar.TypeLink}}, Options{}, `"l2" -> "../x" points outside`},
		{"absolute symlink", []string{"tar", "zip"}, []entry{sym("l", "/etc/passwd")}, Options{}, "points outside"},
		{"symlink loop", []string{"tar"}, []entry{sym("a", "b"), sym("b", "a")}, Options{}, "symlinks loop"},
		{"write through dir symlink to root", []string{"tar", "zip"},
			[]entry{sym("d", "."), file("d/d/f", "ok")}, Options{}, ""},
		{"one entry over the byte limit", []string{"tar", "tar.gz", "zip"},
			[]entry{file("small", "12345"), file("big", strings.Repeat("x", 100))}, Options{MaxBytes: 64}, `entry "big" takes the unpacked size past the limit of 64 bytes`},
		{"many entries together over the byte limit", []string{"tar", "zip"},
			[]entry{file("a", strings.Repeat("x", 40)), file("b", strings.Repeat("x", 40))}, Options{MaxBytes: 64}, `entry "b" takes the unpacked size past the limit of 64 bytes`},
		{"skipped entries count", []string{"tar"},
			[]entry{file("skip/a", strings.Repeat("x", 100)), file("keep", "k")}, Options{MaxBytes: 64, Skip: func(n string) bool { return strings.HasPrefix(n, "skip/") }}, "limit of 64 bytes"},
		{"entry count", []string{"tar", "tar.gz", "zip"},
			[]entry{file("1", ""), file("2", ""), file("3", ""), file("4", "")}, Options{MaxEntries: 3}, `entry "4" is past the limit of 3 entries`},
		{"at the limits", []string{"tar", "zip"},
			[]entry{file("1", "1234"), file("2", "1234")}, Options{MaxEntries: 2, MaxBytes: 8}, ""},
	}
	for _, tt := range tests {
		for _, format := range tt.formats {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				parent, dest := sandbox(t)
				before := outsideState(t, parent, dest)
				src := writeArchive(t, format, tt.entries)
				err := Archive(context.Background(), src, dest, tt.opts)
				if tt.wantErr == "" && err != nil {
					t.Fatalf("err = %v", err)
				}
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), src) ||
						!badinput.Is(err) || strings.Contains(err.Error(), "\n") {
						t.Fatalf("err = %v, want one line naming %s and %q", err, src, tt.wantErr)
					}
				}
				if after := outsideState(t, parent, dest); after != before {
					t.Fatalf("outside the destination changed:\n%s\nwas\n%s", after, before)
				}
				if err == nil {
					linksInside(t, dest)
				}
			})
		}
	}
}

// bombTarGz is a ~1 MB tar.gz whose one file unpacks to 1 GiB of zeros:
// concatenated gzip members (which gzip readers join), the 1 MiB-of-zeros
// member repeated 1024 times, so generating it costs no 1 GiB of work.
func bombTarGz(t testing.TB, name string, size int64) string {
	var hdr, tail bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	tw.Flush()
	tail.Write(make([]byte, 1024)) // end of archive: two zero blocks
	member := func(b []byte) []byte {
		var out bytes.Buffer
		gz, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
		gz.Write(b)
		gz.Close()
		return out.Bytes()
	}
	mib := member(make([]byte, 1<<20))
	var out bytes.Buffer
	out.Write(member(hdr.Bytes()))
	for i := int64(0); i < size>>20; i++ {
		out.Write(mib)
	}
	out.Write(member(tail.Bytes()))
	p := filepath.Join(t.TempDir(), "bomb.tar.gz")
	os.WriteFile(p, out.Bytes(), 0o644)
	return p
}

// bombZip is a zip whose deflated entry claims (honestly or not) a size
// and holds 1 GiB of zeros: the 1 MiB-of-zeros deflate block, sync-flushed
// so it can be repeated, 1024 times.
func bombZip(t testing.TB, claim uint64) string {
	var chunk bytes.Buffer
	fw, _ := newFlate(&chunk)
	fw.Write(make([]byte, 1<<20))
	fw.Flush()
	one := append([]byte(nil), chunk.Bytes()...)
	var data bytes.Buffer
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for i := 0; i < 1024; i++ {
		data.Write(one)
		crc.Write(zeros)
	}
	data.Write([]byte{3, 0}) // an empty final block
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "zeros", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(data.Len()), UncompressedSize64: claim})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data.Bytes())
	zw.Close()
	p := filepath.Join(t.TempDir(), "bomb.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

// TestBombsStopEarly: archives of ~1 MB that unpack to 1 GiB stop at the
// budget, quickly, without writing more than the budget.
func TestBombsStopEarly(t *testing.T) {
	tests := []struct {
		name, src string
		budget    int64
		wantErr   string
	}{
		{"tar.gz, 1 GiB file", bombTarGz(t, "zeros", 1<<30), 16 << 20, `entry "zeros" takes the unpacked size past the limit of 16777216 bytes`},
		{"tar.gz, 1 GiB file, default budget", bombTarGz(t, "zeros", 1<<30), 0, `entry "zeros" takes the unpacked size past the limit of 268435456 bytes`},
		{"zip, 1 GiB file", bombZip(t, 1<<30), 16 << 20, `entry "zeros" takes the unpacked size past the limit of 16777216 bytes`},
		{"zip, 1 GiB file claiming 1 MiB", bombZip(t, 1<<20), 16 << 20, "zeros"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st, _ := os.Stat(tt.src); st.Size() > 2<<20 {
				t.Fatalf("bomb is %d bytes, want about 1 MB", st.Size())
			}
			parent, dest := sandbox(t)
			before := outsideState(t, parent, dest)
			start := time.Now()
			err := Archive(context.Background(), tt.src, dest, Options{MaxBytes: tt.budget})
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.src) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			var written int64
			filepath.Walk(dest, func(p string, info os.FileInfo, err error) error {
				if err == nil && info.Mode().IsRegular() {
					written += info.Size()
				}
				return nil
			})
			if written > cmp.Or(tt.budget, DefaultMaxBytes) {
				t.Fatalf("wrote %d bytes, budget %d", written, tt.budget)
			}
			if took > 10*time.Second {
				t.Fatalf("took %v to refuse", took)
			}
			if after := outsideState(t, parent, dest); after != before {
				t.Fatal("outside the destination changed")
			}
			t.Logf("refused after %v, %d bytes written: %v", took, written, err)
		})
	}
}

func newFlate(w io.Writer) (*flate.Writer, error) { return flate.NewWriter(w, flate.BestCompression) }
