package unpack

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

type entry struct {
	name, body, link string
	typ              byte
}

// tarGz writes a generated archive: tests build inputs, not check in blobs.
func tarGz(t *testing.T, entries []entry) string { return writeArchive(t, "tar.gz", entries) }

func TestArchive(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		strip   int
		want    map[string]string // path -> content ("->x" for a link)
		wantErr string
	}{
		{"plain with strip", []entry{{name: "musl-1.2.3/", typ: tar.TypeDir}, {name: "musl-1.2.3/src/a.c", body: "int a;"}}, 1,
			map[string]string{"src/a.c": "int a;"}, ""},
		{"inner symlink and hardlink", []entry{{name: "x/a", body: "A"}, {name: "x/l", link: "a", typ: tar.TypeSymlink}, {name: "x/h", link: "x/a", typ: tar.TypeLink}}, 1,
			map[string]string{"a": "A", "l": "->a", "h": "A"}, ""},
		{"dot dot", []entry{{name: "x/../../evil", body: "!"}}, 0, nil, "escapes"},
		{"absolute", []entry{{name: "/etc/evil", body: "!"}}, 0, nil, "absolute"},
		{"symlink out", []entry{{name: "x/l", link: "../../etc", typ: tar.TypeSymlink}}, 1, nil, "points outside"},
		{"absolute symlink", []entry{{name: "l", link: "/etc/passwd", typ: tar.TypeSymlink}}, 0, nil, "points outside"},
		{"write through planted symlink", []entry{{name: "d", link: ".", typ: tar.TypeSymlink}, {name: "d/../../x", body: "!"}}, 0, nil, "escapes"},
		{"device", []entry{{name: "dev", typ: tar.TypeChar}}, 0, nil, "not a file"},
		{"duplicate", []entry{{name: "a", body: "1"}, {name: "a", body: "2"}}, 0, nil, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := t.TempDir()
			err := Archive(context.Background(), tarGz(t, tt.entries), dest, Options{StripComponents: tt.strip})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !badinput.Is(err) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for p, want := range tt.want {
				full := filepath.Join(dest, p)
				if strings.HasPrefix(want, "->") {
					if got, err := os.Readlink(full); err != nil || got != want[2:] {
						t.Errorf("%s: link %q, %v", p, got, err)
					}
					continue
				}
				if got, err := os.ReadFile(full); err != nil || string(got) != want {
					t.Errorf("%s: %q, %v", p, got, err)
				}
			}
		})
	}
}

func TestSkip(t *testing.T) {
	dest := t.TempDir()
	a := tarGz(t, []entry{{name: "m/keep.c", body: "k"}, {name: "m/mcs/class/big.cs", body: "b"}})
	err := Archive(context.Background(), a, dest, Options{StripComponents: 1, Skip: func(n string) bool { return strings.HasPrefix(n, "mcs/") }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "mcs")); !os.IsNotExist(err) {
		t.Fatal("skipped entry was extracted")
	}
	if _, err := os.Stat(filepath.Join(dest, "keep.c")); err != nil {
		t.Fatal(err)
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/abs", "./a/../b", "a//b/"} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, name string, strip int) {
		if strip < 0 || strip > 8 {
			return
		}
		n, ok, err := Name(name, strip)
		if err != nil || !ok {
			return
		}
		if strings.HasPrefix(n, "/") || n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") {
			t.Fatalf("Name(%q) = %q escapes", name, n)
		}
	})
}
