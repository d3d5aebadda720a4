// Package store is mcc's content-addressed cache. Fetched artifacts live
// under blobs/sha256/<digest>; built entries (toolchains, runtimes) under
// entries/<key>, where the key hashes every input that changes their bytes.
//
// An entry is built in a temp dir inside the store, fsynced, and renamed into
// place, so an entry that exists is complete. A lock file per key makes
// concurrent builders build once; the kernel drops the lock of a killed
// builder, and whoever takes the lock next removes the temp dirs it left.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/mcc-build/mcc/internal/badinput"
)

// Store is an opened cache directory.
type Store struct {
	Root string
}

// DefaultDir is $MCC_CACHE, else the user cache dir plus "mcc".
func DefaultDir() (string, error) {
	if d := os.Getenv("MCC_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", badinput.Errorf("no cache directory: set MCC_CACHE or pass --cache DIR (%v)", err)
	}
	return filepath.Join(d, "mcc"), nil
}

// Open creates the store's layout if needed and checks it is writable.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{Root: abs}
	for _, d := range s.layoutDirs() {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, unwritable(abs, err)
		}
	}
	f, err := os.CreateTemp(s.tmpDir(), "probe-")
	if err != nil {
		return nil, unwritable(abs, err)
	}
	f.Close()
	os.Remove(f.Name())
	return s, nil
}

func unwritable(dir string, err error) error {
	return badinput.Errorf("cache directory %s is not writable (%v): pass --cache DIR or set MCC_CACHE to a writable directory", dir, errors.Unwrap(err))
}

// Key names an entry: a readable prefix and a digest of everything that
// changes the entry's bytes (pins, target, patches, compiler version, recipe).
func Key(name string, inputs any) string {
	// The manifest format is an input of every key: an mcc that checks
	// entries differently must not share them with one that does not.
	b, err := json.Marshal([]any{manifestFormat, inputs})
	if err != nil {
		panic(fmt.Sprintf("store.Key: inputs must marshal: %v", err))
	}
	sum := sha256.Sum256(b)
	clean := strings.NewReplacer("/", "-", " ", "-").Replace(name)
	return clean + "-" + hex.EncodeToString(sum[:10])
}

// Path is where the entry for key lives once complete.
func (s *Store) Path(key string) string { return filepath.Join(s.entryDir(), key) }

// Has reports whether a complete entry exists for key.
func (s *Store) Has(key string) bool {
	_, err := os.Stat(s.Path(key))
	return err == nil
}

// BuildFunc fills dir with an entry's files.
type BuildFunc func(ctx context.Context, dir string) error

// Entry returns the entry for key, building it once if it is missing.
// An existing entry is checked first (see Check); a damaged one is rebuilt
// and replaces it. built says whether this call built it.
func (s *Store) Entry(ctx context.Context, key string, build BuildFunc) (path string, built bool, err error) {
	if !validKey(key) {
		return "", false, fmt.Errorf("invalid store key %q", key)
	}
	path = s.Path(key)
	if s.Has(key) && s.Check(key) == nil {
		return path, false, nil
	}
	unlock, err := s.lock(ctx, key)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	var damaged error
	if s.Has(key) { // built or repaired by another process while we waited?
		if damaged = s.Check(key); damaged == nil {
			return path, false, nil
		}
	}
	s.removeTemps(key)
	s.removeDeadDownloads()
	tmp, err := os.MkdirTemp(s.tmpDir(), key+".")
	if err != nil {
		return "", false, fmt.Errorf("creating build dir in %s: %w", s.tmpDir(), err)
	}
	if err := s.finish(ctx, tmp, path, build, damaged != nil); err != nil {
		os.RemoveAll(tmp)
		if damaged != nil && ctx.Err() == nil {
			err = fmt.Errorf("%v; rebuilding it failed: %w", damaged, err)
		}
		return "", false, err
	}
	return path, true, nil
}

func (s *Store) finish(ctx context.Context, tmp, path string, build BuildFunc, replace bool) error {
	if err := build(ctx, tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := writeManifest(tmp); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if replace {
		return s.replace(tmp, path)
	}
	// A directory: renamed by hand, as atomicfile (renameio) writes files only.
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("moving entry into place: %w", err)
	}
	return syncDir(s.entryDir())
}

// replace puts the complete tree tmp where the damaged entry path is. The
// damaged entry is renamed into tmp/ first, so for a moment there is no
// entry (readers then wait on the key's lock, which the caller holds), but
// never a half-replaced one.
func (s *Store) replace(tmp, path string) error {
	trash := tmp + ".damaged"
	if err := os.Rename(path, trash); err != nil {
		return fmt.Errorf("moving the damaged entry aside: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Rename(trash, path)
		return fmt.Errorf("moving entry into place: %w", err)
	}
	os.RemoveAll(trash)
	return syncDir(s.entryDir())
}

func validKey(key string) bool {
	return key != "" && key != "." && key != ".." && !strings.ContainsAny(key, `/\`)
}

// lock takes the per-key lock, waiting for other builders until ctx ends.
func (s *Store) lock(ctx context.Context, key string) (func(), error) {
	l := flock.New(filepath.Join(s.lockDir(), key+".lock"))
	ok, err := l.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", key, err)
	}
	if !ok {
		return nil, fmt.Errorf("locking %s: not acquired", key)
	}
	return func() { l.Unlock() }, nil
}

// removeTemps deletes build dirs of key left by a killed builder; the caller
// holds key's lock, so no live builder owns them. Processes still working
// in them (a compiler that outlived a SIGKILLed mcc) are killed first, so
// nothing writes into the store after the dir is gone.
func (s *Store) removeTemps(key string) {
	old, _ := filepath.Glob(filepath.Join(s.tmpDir(), key+".*"))
	for _, d := range old {
		killProcessesIn(d)
		os.RemoveAll(d)
	}
}

// tmpGrace is how long a temp file that no process holds open is left
// alone: a live mcc may be between closing and renaming it.
const tmpGrace = 10 * time.Minute

// Clean removes what killed runs left in tmp/: build dirs whose key no
// live builder locks (after killing processes still working in them), and
// temp files (downloads, blobs, probes) of processes that are gone. It
// returns the names it removed. It then removes what belongs to no entry
// (see cleanLayout), naming those relative to Root ("logs/k.log").
func (s *Store) Clean(ctx context.Context) (removed []string, err error) {
	removed, err = s.cleanTmp(ctx)
	if err != nil {
		return removed, err
	}
	return append(removed, s.cleanLayout()...), nil
}

func (s *Store) cleanTmp(ctx context.Context) (removed []string, err error) {
	dirs, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return nil, err
	}
	held := openFiles()
	for _, d := range dirs {
		name := d.Name()
		if ctx.Err() != nil {
			return removed, ctx.Err()
		}
		if d.IsDir() {
			if s.removeUnlocked(name) {
				removed = append(removed, name)
			}
			continue
		}
		if s.orphanFile(name, held) && os.Remove(filepath.Join(s.tmpDir(), name)) == nil {
			removed = append(removed, name)
		}
	}
	return removed, nil
}

// removeUnlocked removes the build dir name (key.random) if no live builder
// holds its key's lock.
func (s *Store) removeUnlocked(name string) bool {
	base := strings.TrimSuffix(name, ".damaged") // see replace
	i := strings.LastIndex(base, ".")
	if i <= 0 {
		return false
	}
	key := base[:i]
	l := flock.New(filepath.Join(s.lockDir(), key+".lock"))
	ok, err := l.TryLock()
	if err != nil || !ok {
		return false
	}
	defer l.Unlock()
	dir := filepath.Join(s.tmpDir(), name)
	killProcessesIn(dir)
	return os.RemoveAll(dir) == nil
}

// orphanFile says whether the temp file name belongs to no live process:
// a download of a process that is gone (blob-dl-<pid>-...), or a file no
// process holds open that is older than tmpGrace.
func (s *Store) orphanFile(name string, held map[fileID]bool) bool {
	info, err := os.Lstat(filepath.Join(s.tmpDir(), name))
	if err != nil || held[idOf(info)] {
		return false
	}
	if pid, ok := downloadPID(name); ok && !processAlive(pid) {
		return true
	}
	return time.Since(info.ModTime()) > tmpGrace
}

// downloadPID reads the pid in a download's temp name, blob-dl-<pid>-<rand>.
func downloadPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, downloadPrefix)
	if !ok {
		return 0, false
	}
	p, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}

// removeDeadDownloads removes downloads of processes that are gone; the
// next builder calls it so a killed fetch leaves nothing behind.
func (s *Store) removeDeadDownloads() {
	files, _ := filepath.Glob(filepath.Join(s.tmpDir(), downloadPrefix+"*"))
	for _, f := range files {
		if pid, ok := downloadPID(filepath.Base(f)); ok && !processAlive(pid) {
			os.Remove(f)
		}
	}
}

// Remove deletes the entry for key, under its lock, without ever leaving a
// half-deleted entry in place: it is renamed away first.
func (s *Store) Remove(ctx context.Context, key string) error {
	if !validKey(key) {
		return fmt.Errorf("invalid store key %q", key)
	}
	unlock, err := s.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	os.Remove(s.stampPath(key))
	os.Remove(s.LogPath(key))
	trash := filepath.Join(s.tmpDir(), key+".removing")
	if err := os.Rename(s.Path(key), trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return os.RemoveAll(trash)
}

// Keys lists complete entries.
func (s *Store) Keys() ([]string, error) {
	ents, err := os.ReadDir(s.entryDir())
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, e := range ents {
		if e.IsDir() {
			keys = append(keys, e.Name())
		}
	}
	return keys, nil
}
