package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFile: each write replaces the file whole with exactly the mode
// asked for, whatever the umask or the old mode, and leaves no temp file.
func TestWriteFile(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	tests := []struct {
		data string
		perm os.FileMode
	}{
		{"one", 0o644},
		{"two", 0o755}, // an existing 0644 file becomes executable
		{"", 0o600},
	}
	for _, tt := range tests {
		if err := WriteFile(p, []byte(tt.data), tt.perm); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		st, _ := os.Stat(p)
		if string(b) != tt.data || st.Mode().Perm() != tt.perm {
			t.Errorf("after writing %q with %v: %q, mode %v", tt.data, tt.perm, b, st.Mode())
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temp files left: %v", ents)
	}
	if err := WriteFile(filepath.Join(dir, "no", "dir"), nil, 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestNew: a pending file is invisible until replaced, lives in tmpDir
// meanwhile, and Cleanup without replace leaves nothing.
func TestNew(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	p := filepath.Join(dir, "blob")
	for _, replace := range []bool{false, true} {
		f, err := New(p, tmp, 0o444)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("data"))
		if filepath.Dir(f.Name()) != tmp {
			t.Errorf("pending file %s not in %s", f.Name(), tmp)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatal("destination visible before replace")
		}
		if replace {
			if err := f.CloseAtomicallyReplace(); err != nil {
				t.Fatal(err)
			}
		}
		f.Cleanup()
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("replace=%v: left %v", replace, left)
		}
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o444 {
		t.Errorf("replaced file: %v, %v", st, err)
	}
}

// TestNewOutput: a new output gets perm less the umask, a replaced one
// keeps the mode its owner gave it.
func TestNewOutput(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "out.tar")
	tests := []struct {
		chmod    os.FileMode // applied after the write; 0: none
		wantMode os.FileMode
	}{
		{0o600, 0o644}, // new: 0666 less the umask
		{0, 0o600},     // replaced: keeps the 0600 set above
	}
	for _, tt := range tests {
		f, err := NewOutput(p, 0o666)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("x"))
		if err := f.CloseAtomicallyReplace(); err != nil {
			t.Fatal(err)
		}
		f.Cleanup()
		if st, _ := os.Stat(p); st.Mode().Perm() != tt.wantMode {
			t.Errorf("mode %v, want %v", st.Mode().Perm(), tt.wantMode)
		}
		if tt.chmod != 0 {
			os.Chmod(p, tt.chmod)
		}
	}
}
