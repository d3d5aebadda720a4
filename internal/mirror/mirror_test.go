package mirror

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/testenv"
)

func TestAdd(t *testing.T) {
	in := t.TempDir()
	data := filepath.Join(in, "musl_1.2.3.orig.tar.gz")
	testenv.CopyFile(t, testenv.PinFile(t, "musl-source"), data)
	testenv.CopyFile(t, testenv.PinFile(t, "musl-source")+".asc", data+".asc")
	junk := filepath.Join(in, "junk.txt")
	os.WriteFile(junk, []byte("junk"), 0o644)
	badSig := filepath.Join(t.TempDir(), "musl_1.2.3.orig.tar.gz")
	testenv.CopyFile(t, data, badSig)
	b, _ := os.ReadFile(data + ".asc")
	b[200] ^= 1
	os.WriteFile(badSig+".asc", b, 0o644)
	lonely := filepath.Join(t.TempDir(), "x.tar.gz.asc")
	os.WriteFile(lonely, b, 0o644)

	tests := []struct {
		name    string
		files   []string
		skip    bool
		want    []string // files expected in the mirror
		wantErr string
	}{
		{"artifact and signature", []string{data, data + ".asc"}, false,
			[]string{"musl-1.2.3.tar.gz", "musl-1.2.3.tar.gz.asc", "sha256/7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"}, ""},
		{"unpinned refused, nothing copied", []string{data, junk}, false, nil, "matches no pin"},
		{"unpinned skipped when asked", []string{data, junk}, true, []string{"musl-1.2.3.tar.gz"}, ""},
		{"tampered signature", []string{badSig + ".asc"}, false, nil, "does not verify"},
		{"signature without its file", []string{lonely}, false, nil, "is not beside it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mirror")
			_, err := Add(dir, tt.files, tt.skip)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !badinput.Is(err) {
					t.Fatalf("err = %v, want bad input mentioning %q", err, tt.wantErr)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Fatal("a refused add touched the mirror")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if _, err := os.Stat(filepath.Join(dir, w)); err != nil {
					t.Errorf("mirror lacks %s", w)
				}
			}
		})
	}
}
