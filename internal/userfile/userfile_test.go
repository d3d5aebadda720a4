package userfile

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mcc-build/mcc/internal/badinput"
)

// hostileDir lays out one of each kind of file an input can be.
func hostileDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "file"), "data")
	os.Mkdir(filepath.Join(dir, "dir"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	os.Symlink("file", filepath.Join(dir, "link-to-file"))
	os.Symlink("fifo", filepath.Join(dir, "link-to-fifo"))
	os.Symlink("/dev/null", filepath.Join(dir, "link-to-device"))
	return dir
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantRefusal: err is nil if want is "", else one line of bad input
// saying want.
func wantRefusal(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if err == nil || !badinput.Is(err) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line of bad input with %q", err, want)
	}
}

func TestCheckInput(t *testing.T) {
	dir := hostileDir(t)
	for _, tc := range []struct{ name, want string }{
		{"file", ""},
		{"link-to-file", ""},
		{"dir", "is a directory, not a file: give the files in it"},
		{"fifo", "is a named pipe (FIFO), not a regular file"},
		{"link-to-fifo", "is a named pipe (FIFO)"},
		{"sock", "is a socket"},
		{"link-to-device", "is a character device"},
		{"missing", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefusal(t, CheckInput(filepath.Join(dir, tc.name)), tc.want)
		})
	}
	if err := CheckInputs(filepath.Join(dir, "file"), filepath.Join(dir, "fifo")); err == nil || !strings.Contains(err.Error(), "fifo") {
		t.Errorf("CheckInputs let a FIFO through: %v", err)
	}
	paths, err := CheckNamed(Named{"--a", filepath.Join(dir, "file")}, Named{"--b", ""})
	if err != nil || len(paths) != 1 {
		t.Errorf("CheckNamed: %v, %v", paths, err)
	}
	if _, err := CheckNamed(Named{"--runtime", filepath.Join(dir, "sock")}); err == nil || !strings.HasPrefix(err.Error(), "--runtime: ") || !badinput.Is(err) {
		t.Errorf("CheckNamed let a socket through or did not name the flag: %v", err)
	}
}

func TestCheckOutput(t *testing.T) {
	dir := hostileDir(t)
	in := filepath.Join(dir, "file")
	os.Link(in, filepath.Join(dir, "hardlink"))
	write(t, filepath.Join(dir, "old-output"), "old")
	for _, tc := range []struct{ out, want string }{
		{"new-output", ""},
		{"old-output", ""},
		{"file", "is also the input"},
		{"./dir/../file", "is also the input"},
		{"hardlink", "is also the input"},
		{"link-to-file", "is also the input"},
		{"dir", "is a directory: give a file name with -o"},
		{"fifo", "is a named pipe (FIFO): give a regular file name with -o"},
		{"file/out", "cannot write"},
		{"missing-dir/out", "cannot write"},
	} {
		t.Run(tc.out, func(t *testing.T) {
			wantRefusal(t, CheckOutput(filepath.Join(dir, tc.out), "-o", in), tc.want)
		})
	}
	if b, _ := os.ReadFile(in); string(b) != "data" {
		t.Errorf("input changed to %q", b)
	}
	probes, _ := filepath.Glob(filepath.Join(dir, ".mcc-probe-*"))
	if len(probes) > 0 {
		t.Errorf("probes left behind: %v", probes)
	}
}

func TestPending(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "app")
	write(t, dest, "good old output")

	// A failed run discards: the old output stays, nothing is left.
	p, err := NewPending(dest)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p.Path) != "app" || filepath.Dir(filepath.Dir(p.Path)) != dir {
		t.Errorf("pending path %s: want .../app beside %s", p.Path, dest)
	}
	write(t, p.Path, "bad new output")
	p.Discard()
	if b, _ := os.ReadFile(dest); string(b) != "good old output" {
		t.Errorf("discard changed the output to %q", b)
	}
	assertOnly(t, dir, "app")

	// A good run commits in one rename.
	p, err = NewPending(dest)
	if err != nil {
		t.Fatal(err)
	}
	write(t, p.Path, "new output")
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Discard()
	if b, _ := os.ReadFile(dest); string(b) != "new output" {
		t.Errorf("commit left %q", b)
	}
	assertOnly(t, dir, "app")

	if _, err := NewPending(filepath.Join(dest, "x")); err == nil || !badinput.Is(err) {
		t.Errorf("pending output under a file: err = %v", err)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}
