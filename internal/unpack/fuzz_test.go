package unpack

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzArchive feeds arbitrary bytes (seeds: testdata/fuzz/FuzzArchive, tar,
// tar.gz and zip archives with hostile layouts) to Archive. Whatever the
// input, nothing outside the destination changes, no more than the budget
// is written, and an archive that is accepted has no symlink that reads
// outside the destination.
//
//	go test -run XXX -fuzz FuzzArchive -fuzztime 10s ./internal/unpack
func FuzzArchive(f *testing.F) {
	const budget = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte, strip uint8) {
		parent, dest := sandbox(t)
		src := filepath.Join(parent, "outside", "input")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := outsideState(t, parent, dest)
		err := Archive(context.Background(), src, dest, Options{StripComponents: int(strip % 3), MaxBytes: budget, MaxEntries: 200})
		if after := outsideState(t, parent, dest); after != before {
			t.Fatalf("outside the destination changed (err %v):\n%s\nwas\n%s", err, after, before)
		}
		var written int64
		filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if info, ierr := os.Lstat(p); err == nil && ierr == nil && info.Mode().IsRegular() {
				written += info.Size()
			}
			return nil
		})
		if written > budget {
			t.Fatalf("wrote %d bytes, budget %d (err %v)", written, budget, err)
		}
		if err == nil {
			linksInside(t, dest)
		}
	})
}
