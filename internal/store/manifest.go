package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mcc-build/mcc/internal/atomicfile"
)

// ManifestName is the file in every entry that lists its files, modes,
// sizes and digests, so an entry can be checked before every use and
// re-hashed by `mcc toolchain verify` long after it was built.
const ManifestName = ".mcc-manifest.json"

// manifestFormat changes whenever Manifest's meaning changes. It is part of
// every store key (see Key), so entries of an older format are never looked
// up again: they are rebuilt under the new key, and pruned as stale.
// Format 1 was a bare map of digests without modes or sizes.
const manifestFormat = 2

// Manifest lists every file, directory and symlink of an entry.
type Manifest struct {
	Format int               `json:"format"`
	Files  map[string]Record `json:"files"` // slash paths relative to the entry
}

// Record is what an entry's path must be.
type Record struct {
	Type   string `json:"type"`             // "file", "dir" or "link"
	Mode   string `json:"mode,omitempty"`   // permission bits in octal (files, dirs)
	Size   int64  `json:"size,omitempty"`   // files
	SHA256 string `json:"sha256,omitempty"` // files
	Link   string `json:"link,omitempty"`   // symlink target
}

// checkHashLimit is the largest entry Check re-hashes in full before use;
// larger entries get types, modes and sizes only. Measured on 2 shared
// cores at load ~13 (BenchmarkCheckRealEntry): the amd64 musl toolchain
// (3.0 MB, 246 paths) takes 3.0 ms for sizes and modes, 23 ms with the
// re-hash; the Mono runtime (6.0 MB, 3 paths) 0.07 ms and 9.5 ms. Only the
// re-hash sees a changed byte, and both entries are far below the limit.
const checkHashLimit = 64 << 20

// DamagedError says that a store entry differs from its manifest.
type DamagedError struct {
	Key      string
	Problems []string // "lib/libc.a: changed", "manifest: missing", ...
}

func (e *DamagedError) Error() string {
	shown := e.Problems
	more := ""
	if len(shown) > 3 {
		shown, more = shown[:3], fmt.Sprintf(" and %d more", len(e.Problems)-3)
	}
	return fmt.Sprintf("store entry %s is damaged (%s%s): run 'mcc toolchain prune --all' and install it again",
		e.Key, strings.Join(shown, "; "), more)
}

// scanTree records every path under dir; hash says whether files are
// hashed (else their Record has no SHA256).
func scanTree(dir string, hash bool) (map[string]Record, error) {
	files, _, err := scanTreeStamped(dir, hash)
	return files, err
}

// scanTreeStamped also returns the tree's change stamp: a digest of every
// path's inode, size and ctime ("" where the platform has none).
func scanTreeStamped(dir string, hash bool) (map[string]Record, string, error) {
	files := map[string]Record{}
	h := sha256.New()
	stamped := true
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." || rel == ManifestName {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		cs := changeStamp(info)
		stamped = stamped && cs != ""
		fmt.Fprintf(h, "%s\x00%s\n", rel, cs)
		r, err := record(p, d, info, hash)
		files[rel] = r
		return err
	})
	if !stamped {
		return files, "", err
	}
	return files, hex.EncodeToString(h.Sum(nil)), err
}

func record(p string, d fs.DirEntry, info fs.FileInfo, hash bool) (Record, error) {
	var err error
	mode := "0" + strconv.FormatUint(uint64(info.Mode().Perm()), 8)
	switch {
	case d.IsDir():
		return Record{Type: "dir", Mode: mode}, nil
	case d.Type()&fs.ModeSymlink != 0:
		t, err := os.Readlink(p)
		return Record{Type: "link", Link: t}, err
	case !d.Type().IsRegular():
		return Record{Type: info.Mode().Type().String()}, nil
	}
	r := Record{Type: "file", Mode: mode, Size: info.Size()}
	if hash {
		r.SHA256, err = FileSHA256(p)
	}
	return r, err
}

// FileSHA256 is the hex sha256 of the file at p.
func FileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeManifest(dir string) error {
	files, err := scanTree(dir, true)
	if err != nil {
		return err
	}
	for p, r := range files {
		if r.Type != "file" && r.Type != "dir" && r.Type != "link" {
			return fmt.Errorf("%s: a %s, not a regular file", p, r.Type)
		}
	}
	b, err := json.MarshalIndent(Manifest{Format: manifestFormat, Files: files}, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o444)
}

func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("manifest: missing")
	}
	if err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format != manifestFormat || m.Files == nil {
		return nil, fmt.Errorf("manifest: not in format %d", manifestFormat)
	}
	return &m, nil
}

// Verify re-hashes the entry for key and lists every path that differs from
// its manifest (changed, missing, added, other mode or size). A missing or
// unreadable manifest is one problem, not an error.
func (s *Store) Verify(key string) ([]string, error) {
	return s.compare(key, func(int64) bool { return true })
}

// Check is the test an entry passes before every use: a manifest is there,
// every path has its type, mode and size, no path was added, and, for
// entries up to checkHashLimit bytes, every file its sha256. It returns a
// *DamagedError, or an error if the entry could not be read at all.
//
// A full re-hash costs ~20 ms on a toolchain, too much for every `mcc go
// build`: after one passes, the tree's change stamp (inodes, sizes, ctimes;
// the idea of git's index) is remembered beside the entry, and while the
// stamp holds, types, modes and sizes are all that is compared. Any write
// or chmod of a file moves its ctime and brings the full re-hash back.
func (s *Store) Check(key string) error {
	dir := s.Path(key)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("store entry %s: %w", key, err)
	}
	want, err := readManifest(dir)
	if err != nil {
		return &DamagedError{Key: key, Problems: []string{err.Error()}}
	}
	got, stamp, err := scanTreeStamped(dir, false)
	if err != nil {
		return fmt.Errorf("reading store entry %s: %w", key, err)
	}
	if bad := differences(want.Files, got, false); len(bad) > 0 {
		return &DamagedError{Key: key, Problems: bad}
	}
	if stamp != "" && s.checkedStamp(key) == stamp {
		return nil
	}
	bad, err := s.compare(key, func(total int64) bool { return total <= checkHashLimit })
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return &DamagedError{Key: key, Problems: bad}
	}
	if stamp != "" {
		s.rememberStamp(key, stamp) // best effort: without it the next check re-hashes
	}
	return nil
}

func (s *Store) checkedStamp(key string) string {
	b, err := os.ReadFile(s.stampPath(key))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (s *Store) rememberStamp(key, stamp string) {
	p := s.stampPath(key)
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	atomicfile.WriteFile(p, []byte(stamp+"\n"), 0o644)
}

// compare lists the differences between the entry and its manifest;
// hashIf decides from the manifest's total file size whether to hash.
func (s *Store) compare(key string, hashIf func(total int64) bool) ([]string, error) {
	dir := s.Path(key)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store entry %s: %w", key, err)
	}
	want, err := readManifest(dir)
	if err != nil {
		return []string{err.Error()}, nil
	}
	var total int64
	for _, r := range want.Files {
		total += r.Size
	}
	hash := hashIf(total)
	got, err := scanTree(dir, hash)
	if err != nil {
		return nil, fmt.Errorf("reading store entry %s: %w", key, err)
	}
	return differences(want.Files, got, hash), nil
}

func differences(want, got map[string]Record, hashed bool) []string {
	var bad []string
	for p, w := range want {
		g, ok := got[p]
		if !hashed {
			w.SHA256 = ""
		}
		switch {
		case !ok:
			bad = append(bad, p+": missing")
		case g.Type != w.Type:
			bad = append(bad, fmt.Sprintf("%s: a %s, want a %s", p, g.Type, w.Type))
		case g.Mode != w.Mode:
			bad = append(bad, fmt.Sprintf("%s: mode %s, want %s", p, g.Mode, w.Mode))
		case g.Size != w.Size:
			bad = append(bad, fmt.Sprintf("%s: size %d, want %d", p, g.Size, w.Size))
		case g != w:
			bad = append(bad, p+": changed")
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			bad = append(bad, p+": not in manifest")
		}
	}
	sort.Strings(bad)
	return bad
}

// syncTree fsyncs every file and directory under dir, so a rename that
// publishes the tree cannot survive a crash that loses its contents.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return syncPath(p)
	})
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error { return syncPath(dir) }
