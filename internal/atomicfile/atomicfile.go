// Package atomicfile is mcc's one way to write a file atomically: readers
// see the old file or the new one, never a part of it, and a crash leaves
// no half-written file under the name. It is github.com/google/renameio/v2
// with two choices made once for every caller:
//
//   - the temp file is made beside the destination (renameio's default
//     first probes whether os.TempDir() shares the destination's file
//     system, creating and renaming two files on every write);
//   - the file gets exactly the permissions asked for, whatever the umask
//     or the mode of the file it replaces (a bundle must stay executable).
//
// Only files go through here: built trees (store entries, OCI layouts) are
// directories, which renameio does not write; they are built in a temp dir
// and renamed into place by their owners.
package atomicfile

import (
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// WriteFile writes data to path atomically with mode perm.
// (renameio.WriteFile would keep an existing file's mode.)
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := New(path, "", perm)
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}

// New is a file to stream into that replaces path, with mode perm, only on
// CloseAtomicallyReplace; a deferred Cleanup removes it otherwise. tmpDir
// is where it lives meanwhile ("": beside path); it must be on path's file
// system.
func New(path, tmpDir string, perm os.FileMode) (*renameio.PendingFile, error) {
	return renameio.NewPendingFile(path, options(path, tmpDir, perm)...)
}

// NewOutput is New for a file the user named (-o, --sbom): temp beside
// it, a new file gets perm less the umask, an existing one keeps its mode
// (a user who made it private keeps it private).
func NewOutput(path string, perm os.FileMode) (*renameio.PendingFile, error) {
	return renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)),
		renameio.WithPermissions(perm), renameio.WithExistingPermissions())
}

func options(path, tmpDir string, perm os.FileMode) []renameio.Option {
	if tmpDir == "" {
		tmpDir = filepath.Dir(path)
	}
	return []renameio.Option{renameio.WithTempDir(tmpDir), renameio.WithStaticPermissions(perm)}
}
