package toolchains

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The pure parts of mono_natives.go: which names can be table entries,
// and the generated table.

func TestCIdent(t *testing.T) {
	for s, want := range map[string]bool{
		"sqlite3_open": true, "_x": true, "A9": true,
		"": false, "9lives": false, "a.b": false, "a-b": false, "café": false, "a b": false,
	} {
		if got := cIdent(s); got != want {
			t.Errorf("cIdent(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestNativeTableCEmpty: a table with no symbols is still valid C: an
// empty array, a zero count and a NULL-terminated library list.
func TestNativeTableCEmpty(t *testing.T) {
	c := string(NativeTableC(nil, nil))
	for _, want := range []string{"mcc_native_symbols[] = {\n};", "mcc_native_symbols_count = 0;", "mcc_linked_libraries[] = {\n\tNULL\n};"} {
		if !strings.Contains(c, want) {
			t.Errorf("table lacks %q:\n%s", want, c)
		}
	}
	if strings.Contains(c, "extern") {
		t.Errorf("empty table declares symbols:\n%s", c)
	}
	// Library names are C strings: quotes and backslashes escaped.
	if c := string(NativeTableC(nil, []string{`a"b\c`})); !strings.Contains(c, `"a\"b\\c",`) {
		t.Errorf("library name not escaped:\n%s", c)
	}
}

// TestNativeSymbolsErrors: a missing file or one that is not an archive
// is an error naming it; archives of no objects define nothing.
func TestNativeSymbolsErrors(t *testing.T) {
	dir := t.TempDir()
	text, empty := filepath.Join(dir, "text.a"), filepath.Join(dir, "empty.a")
	os.WriteFile(text, []byte("INPUT(-lc)\n"), 0o644)
	os.WriteFile(empty, arFile([2]string{"README", "not an object\n"}), 0o644)
	if _, err := NativeSymbols(filepath.Join(dir, "missing.a")); err == nil || !strings.Contains(err.Error(), "missing.a") {
		t.Errorf("missing archive: %v", err)
	}
	if _, err := NativeSymbols(text); err == nil || !strings.Contains(err.Error(), "text.a") {
		t.Errorf("not an archive: %v", err)
	}
	if syms, err := NativeSymbols(empty, empty); err != nil || len(syms) != 0 {
		t.Errorf("archive without objects: %v, %v", syms, err)
	}
}
