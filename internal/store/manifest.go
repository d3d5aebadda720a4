package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ManifestName is the file in every entry that lists its files and digests,
// so `mcc toolchain verify` can re-hash an entry long after it was built.
const ManifestName = ".mcc-manifest.json"

// Manifest maps slash paths to "sha256:<hex>" for files and "link:<target>"
// for symlinks.
type Manifest map[string]string

func hashTree(dir string) (Manifest, error) {
	m := Manifest{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ManifestName || d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			m[rel] = "link:" + t
			return err
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file", rel)
		}
		sum, err := FileSHA256(p)
		m[rel] = "sha256:" + sum
		return err
	})
	return m, err
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
	m, err := hashTree(dir)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o444)
}

// Verify re-hashes the entry for key and lists every file that differs from
// its manifest (changed, missing, or added).
func (s *Store) Verify(key string) ([]string, error) {
	dir := s.Path(key)
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("entry %s has no readable manifest: %w", key, err)
	}
	var want Manifest
	if err := json.Unmarshal(b, &want); err != nil {
		return nil, fmt.Errorf("entry %s: manifest: %w", key, err)
	}
	got, err := hashTree(dir)
	if err != nil {
		return nil, fmt.Errorf("hashing entry %s: %w", key, err)
	}
	var bad []string
	for p, w := range want {
		switch g, ok := got[p]; {
		case !ok:
			bad = append(bad, p+": missing")
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
	return bad, nil
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
