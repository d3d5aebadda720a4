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
	"strings"

	"github.com/mcc-build/mcc/internal/atomicfile"
	"github.com/mcc-build/mcc/internal/badinput"
)

// DigestMismatch is returned when bytes offered for a digest hash to another.
type DigestMismatch struct {
	Want, Got string
}

func (e *DigestMismatch) Error() string {
	return fmt.Sprintf("sha256 mismatch: expected %s, got %s", e.Want, e.Got)
}

// Blob returns the path of the stored artifact with this sha256, if present.
func (s *Store) Blob(sum string) (string, bool) {
	if !isDigest(sum) {
		return "", false
	}
	p := filepath.Join(s.blobDir(), sum)
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// isDigest says whether sum is a sha256 in hex, the only blob names.
func isDigest(sum string) bool {
	_, err := hex.DecodeString(sum)
	return len(sum) == 64 && err == nil
}

// RemoveBlobsExcept removes every blob whose digest keep refuses, with what
// was recorded about it, and returns the removed files relative to Root.
// Prune keeps the digests of this mcc's pins: no other bytes are ever read
// again, and without this each pin bump would leave its old sources in the
// store for ever. Names that are not digests (or their records) are not
// blobs and stay. A blob another mcc is reading stays readable to it.
func (s *Store) RemoveBlobsExcept(keep func(sum string) bool) ([]string, error) {
	ents, err := os.ReadDir(s.blobDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing blobs: %w", err)
	}
	var removed []string
	for _, e := range ents {
		sum := strings.TrimSuffix(e.Name(), ".json")
		if e.IsDir() || !isDigest(sum) || keep(sum) {
			continue
		}
		removed = s.removeRel(removed, filepath.Join(s.blobDir(), e.Name()))
	}
	return removed, nil
}

// PutBlob stores what r yields under sum, but only if it hashes to sum:
// otherwise nothing is kept and the error is a *DigestMismatch (bad input).
// The pending file is in tmp/, where Clean finds it if this run is killed.
func (s *Store) PutBlob(sum string, r io.Reader) (string, error) {
	dst := filepath.Join(s.blobDir(), sum)
	f, err := atomicfile.New(dst, s.tmpDir(), 0o444)
	if err != nil {
		return "", fmt.Errorf("storing blob: %w", err)
	}
	defer f.Cleanup() // a no-op once renamed
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		return "", fmt.Errorf("storing blob: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return "", badinput.Wrap(&DigestMismatch{Want: sum, Got: got})
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return "", fmt.Errorf("storing blob: %w", err)
	}
	return dst, syncDir(s.blobDir())
}

// BlobInfo is what mcc recorded about how a blob arrived.
type BlobInfo struct {
	Pin       string `json:"pin"`
	Source    string `json:"source"`
	Signature string `json:"signature"` // "verified: key <fingerprint>" or why not
}

// SetBlobInfo records how the blob arrived, atomically.
func (s *Store) SetBlobInfo(sum string, info BlobInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.blobDir(), sum+".json"), append(b, '\n'), 0o644)
}

// GetBlobInfo reads what SetBlobInfo recorded.
func (s *Store) GetBlobInfo(sum string) (BlobInfo, error) {
	var info BlobInfo
	b, err := os.ReadFile(filepath.Join(s.blobDir(), sum+".json"))
	if err != nil {
		return info, err
	}
	return info, json.Unmarshal(b, &info)
}
