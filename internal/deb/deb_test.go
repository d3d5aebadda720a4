package deb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/internal/unpack"
)

// arOf builds an ar archive of raw (name field, data) members, as GNU ar
// writes them: 60-byte headers, odd-sized members padded with "\n".
func arOf(members ...[2]string) []byte {
	var b bytes.Buffer
	b.WriteString(Magic)
	for _, m := range members {
		fmt.Fprintf(&b, "%-16s%-12s%-6s%-6s%-8s%-10d`\n", m[0], "0", "0", "0", "644", len(m[1]))
		b.WriteString(m[1])
		if len(m[1])%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func TestRead(t *testing.T) {
	long := "a_very_long_object_file_name.o"
	valid := arOf([2]string{"/", "symtab"}, [2]string{"//", long + "/\n"}, [2]string{"/0", "odd"}, [2]string{"b.o/", "even"}, [2]string{"/SYM64/", ""})
	tests := []struct {
		name    string
		in      []byte
		want    string // "name=data" pairs
		wantErr string
	}{
		{"gnu archive", valid, "/=symtab //=" + long + "/\n " + long + "=odd b.o=even /SYM64/=", ""},
		{"deb names", arOf([2]string{"debian-binary", "2.0\n"}, [2]string{"data.tar.xz", "x"}), "debian-binary=2.0\n data.tar.xz=x", ""},
		{"empty archive", []byte(Magic), "", ""},
		{"not ar", []byte("ELF"), "", "not an ar archive"},
		{"truncated header", []byte(Magic + "short"), "", "truncated ar header at 8"},
		{"truncated member", arOf([2]string{"a", "0123456789"})[:75], "", "bad ar member size at 8"},
		{"bad terminator", bytes.Replace(arOf([2]string{"a", "x"}), []byte("`\n"), []byte("xx"), 1), "", "bad ar header at 8"},
		{"bad size", bytes.Replace(arOf([2]string{"a", "x"}), []byte("1         `"), []byte("-1        `"), 1), "", "bad ar member size at 8"},
		{"long name without table", arOf([2]string{"/5", "x"}), "", `bad ar long name "/5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := Read(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr && !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name+"="+string(m.Data))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("members %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.a")
	os.WriteFile(p, []byte("not ar"), 0o644)
	if _, err := ReadFile(p); err == nil || err.Error() != p+": not an ar archive" {
		t.Errorf("err = %v", err)
	}
	if _, err := ReadFile(p + ".missing"); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v", err)
	}
}

// debOf builds a .deb whose data.tar.gz holds files (name -> content).
func debOf(t *testing.T, files map[string]string) []byte {
	var tb bytes.Buffer
	zw := gzip.NewWriter(&tb)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return arOf([2]string{"debian-binary", "2.0\n"}, [2]string{"control.tar.gz", ""}, [2]string{"data.tar.gz", tb.String()})
}

func TestExtractData(t *testing.T) {
	good := debOf(t, map[string]string{"./usr/include/a.h": "a", "./usr/share/doc/x": "doc"})
	tests := []struct {
		name    string
		deb     []byte
		want    []string // files under dest
		wantErr string
	}{
		{"data.tar.gz", good, []string{"usr/include/a.h"}, ""},
		{"no data member", arOf([2]string{"debian-binary", "2.0\n"}), nil, "no data.tar member"},
		{"escaping entry", debOf(t, map[string]string{"../evil": "x"}), nil, "evil"},
		{"not a deb", []byte("text"), nil, "not an ar archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p, dest := filepath.Join(dir, "x.deb"), filepath.Join(dir, "out")
			os.WriteFile(p, tt.deb, 0o644)
			os.Mkdir(dest, 0o755)
			err := ExtractData(context.Background(), p, dest, unpack.Options{Skip: func(n string) bool {
				return !strings.HasPrefix(n, "usr/include/") && n != "../evil"
			}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.want {
				if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
					t.Errorf("%s not extracted: %v", f, err)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".deb-*")); len(left) != 0 {
				t.Errorf("staging left: %v", left)
			}
		})
	}
}

// TestExtractRealDeb unpacks the pinned kernel-headers package (data.tar.xz).
func TestExtractRealDeb(t *testing.T) {
	testenv.Integration(t)
	dest := t.TempDir()
	err := ExtractData(context.Background(), testenv.PinFile(t, "kernel-headers-amd64"), dest, unpack.Options{Skip: func(n string) bool {
		return !strings.HasPrefix(n, "usr/x86_64-linux-gnu/include/")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "usr/x86_64-linux-gnu/include/linux/types.h")); err != nil {
		t.Error(err)
	}
}
