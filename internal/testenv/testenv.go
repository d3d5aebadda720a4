// Package testenv finds what mcc's integration tests need on this machine
// (Debian source files, cross compilers, qemu) and fails, rather than skips,
// when CI runs without them: a skipped integration test proves nothing.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mcc-build/mcc/sysroots"
)

// Sources is the directory of Debian source files that `make mirror` fills
// ($MCC_TEST_SOURCES).
func Sources(t testing.TB) string {
	t.Helper()
	Integration(t)
	d := os.Getenv("MCC_TEST_SOURCES")
	Require(t, "MCC_TEST_SOURCES is not set: run the tests with 'make test'", d != "")
	Require(t, "no musl source in MCC_TEST_SOURCES="+d+": run 'make mirror'", exists(filepath.Join(d, pinFile("musl-source"))))
	return d
}

// PinFile is the path of the pinned artifact called role (sysroots) in the
// test sources, where 'make mirror' (mcc mirror fill) puts it.
func PinFile(t testing.TB, role string) string {
	t.Helper()
	p := filepath.Join(Sources(t), pinFile(role))
	Require(t, "pin "+role+" is not in MCC_TEST_SOURCES: run 'make mirror'", exists(p))
	return p
}

func pinFile(role string) string {
	p, err := sysroots.Lookup(role)
	if err != nil {
		panic(err) // a test names a pin that does not exist: a test bug
	}
	return p.File
}

// Integration skips in -short mode.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: runs real tools (drop -short)")
	}
}

// Tool returns the path of a program the test needs.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Require(t, name+" is not installed: run 'make setup'", err == nil)
	return p
}

// Require stops the test when ok is false: it fails in CI (CI set and not
// empty), where a skipped test would hide a machine that lacks what the
// tests need, and skips elsewhere, saying what is missing (what names it
// and the fix, e.g. "qemu-aarch64 is not installed: run 'make setup'").
func Require(t testing.TB, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(what)
	} else {
		t.Skip(what)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// CopyFile copies src to dst (mode 0644), failing the test on error.
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Store is the store directory integration tests share ($MCC_TEST_STORE,
// which 'make test' sets so toolchains are built once per run), else a
// fresh temp dir.
func Store(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("MCC_TEST_STORE"); d != "" {
		return d
	}
	return t.TempDir()
}
