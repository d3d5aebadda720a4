package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"

	"github.com/mcc-build/mcc/internal/atomicfile"
)

// The store's layout under Root is known to this package only; other
// packages ask for paths by what they hold:
//
//	blobs/sha256/<digest>[.json]  fetched artifacts and how they arrived
//	entries/<key>/                built entries (toolchains, runtimes)
//	locks/<key>.lock              one builder per key
//	tmp/                          build dirs, downloads, pending files
//	logs/<key>.log                build log of the entry <key>
//	checked/<key>                 change stamp of the entry's last full check
//	memos/<name>                  small remembered answers (a gcc's version)
func (s *Store) blobDir() string  { return filepath.Join(s.Root, "blobs", "sha256") }
func (s *Store) entryDir() string { return filepath.Join(s.Root, "entries") }
func (s *Store) lockDir() string  { return filepath.Join(s.Root, "locks") }
func (s *Store) tmpDir() string   { return filepath.Join(s.Root, "tmp") }
func (s *Store) logDir() string   { return filepath.Join(s.Root, "logs") }
func (s *Store) memoDir() string  { return filepath.Join(s.Root, "memos") }
func (s *Store) stampDir() string { return filepath.Join(s.Root, "checked") }

// layoutDirs are created by Open.
func (s *Store) layoutDirs() []string {
	return []string{s.blobDir(), s.entryDir(), s.lockDir(), s.tmpDir(), s.logDir(), s.memoDir()}
}

func (s *Store) stampPath(key string) string { return filepath.Join(s.stampDir(), key) }

// LogPath is where the build of the entry key writes its log. The log
// stays while the entry does (Remove deletes it), so a failed or slow
// build can be read afterwards; Clean removes logs of keys with no entry.
func (s *Store) LogPath(key string) string { return filepath.Join(s.logDir(), key+".log") }

// downloadPrefix starts the name of every download's temp file; the pid
// after it lets Clean and the next builder tell a killed run's download.
const downloadPrefix = "blob-dl-"

// DownloadPath is a new path in the store's tmp/ for a download to write
// (it does not exist yet; the downloader creates it). Clean removes it
// once its process is gone, so a killed fetch leaves nothing behind.
func (s *Store) DownloadPath() (string, error) {
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", s.tmpDir(), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := fmt.Sprintf("%s%d-%s", downloadPrefix, os.Getpid(), hex.EncodeToString(b))
	return filepath.Join(s.tmpDir(), name), nil
}

// Memo returns the answer remembered under name ("" and false if none).
// Memos spare work whose answer only changes with its inputs, which name
// must hash (see Key): a stale memo is never asked for again.
func (s *Store) Memo(name string) (string, bool) {
	if !validKey(name) {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(s.memoDir(), name))
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// SetMemo remembers value under name, atomically.
func (s *Store) SetMemo(name, value string) error {
	if !validKey(name) {
		return fmt.Errorf("invalid memo name %q", name)
	}
	if err := os.MkdirAll(s.memoDir(), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.memoDir(), name), []byte(value), 0o644)
}

// cleanLayout removes what no entry owns any more: logs and check stamps
// of keys that have no entry and no builder, and every memo (a memo of a
// gcc that was upgraded is never asked for again; the others cost one gcc
// run to answer again). It returns the removed logs and stamps relative to
// Root; memos are not listed, since the next use answers them again (prune
// itself does, computing the current toolchain keys).
func (s *Store) cleanLayout() []string {
	var removed []string
	orphan := func(dir, suffix string) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			key, ok := strings.CutSuffix(e.Name(), suffix)
			if !ok || e.IsDir() || s.Has(key) || s.building(key) {
				continue
			}
			removed = s.removeRel(removed, filepath.Join(dir, e.Name()))
		}
	}
	orphan(s.logDir(), ".log")
	orphan(s.stampDir(), "")
	memos, _ := os.ReadDir(s.memoDir())
	for _, m := range memos {
		os.Remove(filepath.Join(s.memoDir(), m.Name()))
	}
	return removed
}

// removeRel removes the file p and appends its name relative to Root.
func (s *Store) removeRel(removed []string, p string) []string {
	if os.Remove(p) != nil {
		return removed
	}
	rel, _ := filepath.Rel(s.Root, p)
	return append(removed, filepath.ToSlash(rel))
}

// building says whether a live builder holds key's lock.
func (s *Store) building(key string) bool {
	if !validKey(key) {
		return true // not a key: leave it alone
	}
	p := filepath.Join(s.lockDir(), key+".lock")
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return false // never locked; TryLock would leave a lock file behind
	}
	l := flock.New(p)
	ok, err := l.TryLock()
	if err != nil || !ok {
		return true
	}
	l.Unlock()
	return false
}
