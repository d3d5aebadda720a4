package toolchains

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
)

// Fakes for the recipes' unit tests: shell scripts that stand in for gcc,
// make, cmake and friends, logging each run, and small archives and ELF
// files made in Go. They let -short tests drive the recipes' real code
// paths (argument lists, file layout, error paths) in milliseconds.

// toolLog is the file every fake tool appends "NAME ARGS..." to.
type toolLog string

// lines are the logged runs, one per element.
func (l toolLog) lines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(string(l))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// fakeTool writes an executable script dir/name that logs its name and
// arguments to log (the recipes run tools in a fixed environment, so the
// log's path is written into the script) and then runs body.
func fakeTool(t *testing.T, dir string, log toolLog, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\necho \"%s $*\" >> %s\n%s\n", name, log, body)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeCompiler writes a fake gcc dir/name: it answers gcc's version
// questions and creates the -o file, a copy of output if that is set,
// else empty.
func fakeCompiler(t *testing.T, dir string, log toolLog, name, output string) string {
	t.Helper()
	return fakeTool(t, dir, log, name, `case "$1" in
-dumpfullversion) echo 12.2.0; exit 0;;
--version) echo "fake-gcc (Debian 12.2.0-14) 12.2.0"; exit 0;;
esac
while [ $# -gt 0 ]; do
	if [ "$1" = -o ]; then
		if [ -n "`+output+`" ]; then cp "`+output+`" "$2"; else : > "$2"; fi
	fi
	shift
done`)
}

// fakePath puts a new directory of fake tools first on PATH, the system's
// after it (the scripts need sh, cp, mkdir), and returns it.
func fakePath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	return dir
}

// fakeHostGCC puts a fake x86_64-linux-gnu-gcc (linux/amd64's cross gcc)
// first on PATH; it returns its path, its directory and its log.
func fakeHostGCC(t *testing.T) (gcc, dir string, log toolLog) {
	t.Helper()
	dir = fakePath(t)
	log = toolLog(filepath.Join(t.TempDir(), "log"))
	return fakeCompiler(t, dir, log, "x86_64-linux-gnu-gcc", ""), dir, log
}

// shortInstaller is an Installer over a fresh store that never fetches
// anything (offline, no mirrors).
func shortInstaller(t *testing.T) *Installer {
	t.Helper()
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Installer{Store: s, Fetcher: &fetch.Fetcher{Store: s, Offline: true}}
}

// tarGz makes a .tar.gz of files (name: content; names ending in .sh or
// named configure are executable).
func tarGz(t *testing.T, path string, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, content := range files {
		mode := int64(0o644)
		if strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, "/configure") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// arFile is a Unix ar archive of members in order (short names only).
func arFile(members ...[2]string) []byte {
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&b, "%-16s%-12s%-6s%-6s%-8s%-10d`\n", m[0], "0", "0", "0", "100644", len(m[1]))
		b.WriteString(m[1])
		if len(m[1])%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// tinyExecutable is the smallest static ELF64 executable debug/elf and
// elfcheck accept: a header and one PT_LOAD, for machine.
func tinyExecutable(machine elf.Machine) []byte {
	var b bytes.Buffer
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Entry: 0x400078, Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1, Shentsize: 64,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.Write(&b, binary.LittleEndian, h)
	binary.Write(&b, binary.LittleEndian, elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Vaddr: 0x400000, Paddr: 0x400000,
		Filesz: 120, Memsz: 120, Align: 0x1000,
	})
	return b.Bytes()
}
