package toolchains

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/internal/store"
)

// compiler is Compiler with its answer remembered in the store, keyed by the
// gcc binary's path, size, mtime and inode: asking gcc its version costs two
// processes, which every `mcc go` would otherwise pay before running go.
func (in *Installer) compiler(t Target) (path, version string, err error) {
	name := t.GNU + "-gcc"
	path, err = exec.LookPath(name)
	if err != nil {
		return "", "", badinput.Errorf("cross compiler %s for %s not found: install it with 'apt-get install %s'", name, t.Name, t.Package)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", "", err
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", "", err
	}
	memo := store.Key(t.GNU, []any{real, st.Size(), st.ModTime().UnixNano(), inode(st)})
	if v, ok := in.Store.Memo(memo); ok {
		return path, v, nil
	}
	path, version, err = Compiler(t)
	if err != nil {
		return "", "", err
	}
	if err := in.Store.SetMemo(memo, version); err != nil {
		return "", "", fmt.Errorf("remembering %s's version: %w", name, err)
	}
	return path, version, nil
}
