package image

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/image/imagetest"
)

func put(t *testing.T, dir, rel, content string) {
	imagetest.WriteFile(t, filepath.Join(dir, rel), content)
}

func TestCheckLayoutDir(t *testing.T) {
	blob := "blobs/sha256/" + strings.Repeat("ab", 32)
	layout := func(d string) {
		put(t, d, "lay/oci-layout", "{}")
		put(t, d, "lay/index.json", "{}")
		put(t, d, "lay/"+blob, "x")
	}
	cases := []struct {
		name  string
		setup func(d string)
		err   string // "" means accepted
	}{
		{"missing", func(string) {}, ""},
		{"empty", func(d string) { os.Mkdir(filepath.Join(d, "lay"), 0o755) }, ""},
		{"layout", layout, ""},
		{"user files", func(d string) { put(t, d, "lay/notes.txt", "mine") }, "no oci-layout file"},
		{"layout and a note", func(d string) { layout(d); put(t, d, "lay/notes.txt", "mine") }, "holds notes.txt"},
		{"odd blob name", func(d string) { layout(d); put(t, d, "lay/blobs/sha256/notes", "mine") }, "holds blobs/sha256/notes"},
		{"directory in blobs", func(d string) { layout(d); put(t, d, "lay/"+blob+"x/y", "mine") }, "not part of an OCI layout"},
		{"oci-layout a directory", func(d string) { put(t, d, "lay/oci-layout/x", "mine") }, "no oci-layout file"},
		{"a file", func(d string) { put(t, d, "lay", "mine") }, "is a file"},
		{"a symlink", func(d string) { os.Mkdir(filepath.Join(d, "real"), 0o755); os.Symlink("real", filepath.Join(d, "lay")) }, "symbolic link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			c.setup(d)
			err := CheckLayoutDir(filepath.Join(d, "lay"))
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("err %v, want bad input %q", err, c.err)
			}
		})
	}
}

// TestWriteAllOrNothing: when one output is refused, none changes.
func TestWriteAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	bin := imagetest.BuildHello(t, dir, "amd64")
	b, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}})
	if err != nil {
		t.Fatal(err)
	}
	out, lay := filepath.Join(dir, "img.tar"), filepath.Join(dir, "lay")
	if _, err := Write(b, Outputs{Archive: out, Layout: lay, Tag: "hello:1"}); err != nil {
		t.Fatal(err)
	}
	oldTar, _ := os.ReadFile(out)
	oldIndex, _ := os.ReadFile(filepath.Join(lay, "index.json"))
	sbom := filepath.Join(dir, "img.spdx.json")

	other, err := Build(context.Background(), Options{Binaries: []Binary{{Path: bin}}, Labels: map[string]string{"x": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	// The SBOM beside img.tar is named as an input: nothing may be written.
	_, err = Write(other, Outputs{Archive: out, Layout: lay, Tag: "hello:1", Inputs: []string{sbom}})
	if err == nil || !strings.Contains(err.Error(), "also the input") {
		t.Fatalf("err %v, want the SBOM refused as an input", err)
	}
	if got, _ := os.ReadFile(out); string(got) != string(oldTar) {
		t.Error("the archive changed although the run failed")
	}
	if got, _ := os.ReadFile(filepath.Join(lay, "index.json")); string(got) != string(oldIndex) {
		t.Error("the layout changed although the run failed")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind %s", e.Name())
		}
	}

	// Without the conflict, every output is replaced.
	if _, err := Write(other, Outputs{Archive: out, Layout: lay, Tag: "hello:1"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(lay, "index.json")); string(got) == string(oldIndex) {
		t.Error("the layout was not replaced")
	}
	if got, _ := os.ReadFile(out); string(got) == string(oldTar) {
		t.Error("the archive was not replaced")
	}
}

// writeLayout writes only an OCI layout of b to dir, as Write does it.
func writeLayout(dir string, b *Built, tag string) error {
	_, err := Write(b, Outputs{Layout: dir, Tag: tag, NoSBOM: true})
	return err
}
