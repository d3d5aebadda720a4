package toolchains

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/sysroots"
)

// TestIdentRoundTrip: the line identC puts in an object's .comment is what
// ReadIdent reads back; an object without one, and a file that is not
// ELF, say so.
func TestIdentRoundTrip(t *testing.T) {
	gcc := testenv.Tool(t, "gcc")
	dir := t.TempDir()
	compile := func(name, src string) string {
		c, o := filepath.Join(dir, name+".c"), filepath.Join(dir, name+".o")
		os.WriteFile(c, []byte(src), 0o644)
		if out, err := exec.Command(gcc, "-c", "-o", o, c).CombinedOutput(); err != nil {
			t.Fatalf("gcc: %v\n%s", err, out)
		}
		return o
	}
	text := identPrefix + " target=linux/arm64 key=musl-linux-arm64-0123 musl=1.2.3 musl-sha256=abcd gcc=12.2.0"
	id, ok, err := ReadIdent(compile("ident", identC(text)))
	want := Ident{Target: "linux/arm64", Key: "musl-linux-arm64-0123", Musl: "1.2.3", MuslSHA256: "abcd", GCC: "12.2.0"}
	if err != nil || !ok || id != want {
		t.Fatalf("ReadIdent = %+v, %v, %v; want %+v", id, ok, err, want)
	}
	if id, ok, err := ReadIdent(compile("plain", "int x;\n")); err != nil || ok || id != (Ident{}) {
		t.Errorf("object without an ident: %+v, %v, %v", id, ok, err)
	}
	notELF := filepath.Join(dir, "text")
	os.WriteFile(notELF, []byte("hello"), 0o644)
	if _, ok, err := ReadIdent(notELF); err == nil || ok {
		t.Errorf("non-ELF file: ok=%v err=%v", ok, err)
	}
}

func TestParseIdent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Ident
	}{
		{" target=linux/amd64 key=k", Ident{Target: "linux/amd64", Key: "k"}},
		{" gcc=12 unknown=x musl=1.2.3 musl-sha256=ff", Ident{GCC: "12", Musl: "1.2.3", MuslSHA256: "ff"}},
		{"", Ident{}},
		{" target", Ident{}},
	} {
		if got := parseIdent(tc.in); got != tc.want {
			t.Errorf("parseIdent(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// TestIdentText: the line names the target, the entry, the musl pin and
// what gcc says its version is.
func TestIdentText(t *testing.T) {
	gcc, _, _ := fakeHostGCC(t)
	pin, _ := sysroots.Lookup(MuslPin)
	got := identText(amd64(t), "musl-linux-amd64-k", gcc)
	want := "mcc-toolchain: target=linux/amd64 key=musl-linux-amd64-k musl=" + strings.TrimPrefix(pin.Name, "musl-") + " musl-sha256=" + pin.SHA256 + " gcc=12.2.0"
	if got != want {
		t.Errorf("identText = %q, want %q", got, want)
	}
	if !strings.Contains(identC(got), `.asciz \"`+got+`\"`) {
		t.Errorf("identC does not quote the line for the assembler: %s", identC(got))
	}
}

func TestDigest(t *testing.T) {
	if got := digest([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("digest(abc) = %s", got)
	}
}
