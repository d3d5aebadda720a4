package store

import (
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// mcc's one way to write a file atomically (readers see the old file or the
// new one, never a part of it): github.com/google/renameio/v2, with the temp
// file beside the destination. renameio's default instead probes whether
// os.TempDir() shares the destination's file system, creating two files per
// write. Only built trees (store entries, image layouts) are renamed by
// hand: renameio writes files, not directories.

// WriteFile writes data to path atomically; an existing file keeps its
// permissions, a new one gets perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return renameio.WriteFile(path, data, perm, renameio.WithTempDir(filepath.Dir(path)))
}

// NewPendingFile is a file to stream into that replaces path only on
// CloseAtomicallyReplace (Cleanup, deferred, removes it otherwise). Its
// permissions are perm regardless of the umask.
func NewPendingFile(path string, perm os.FileMode) (*renameio.PendingFile, error) {
	return renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(perm))
}
