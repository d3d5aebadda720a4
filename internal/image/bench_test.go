package image

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcc-build/mcc/internal/image/imagetest"
)

// BenchmarkImage times what `mcc image -o OUT.tar` does for a ~6 MB static
// binary (a net/http server built with -s -w): build the image (read and
// check the ELF, read the pinned module zips, tar, gzip, hash) and write the
// docker-archive atomically. It reports the compressed layer and the
// archive's size.
//
//	go test -run '^$' -bench BenchmarkImage -benchtime 20x ./internal/image/
func BenchmarkImage(b *testing.B) {
	ca, tz := imagetest.PinnedInputs(b)
	dir := b.TempDir()
	bin := imagetest.BuildGo(b, dir, "amd64", "server", imagetest.ServerSource, "-ldflags=-s -w")
	fi, _ := os.Stat(bin)
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"ca-certs", Options{CARoots: ca}},
		{"ca-certs+tzdata", Options{CARoots: ca, Zoneinfo: tz}},
		{"bare", Options{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := c.o
			o.Binaries = []Binary{{Path: bin}}
			out := filepath.Join(dir, c.name+".tar")
			var layerSize int64
			for i := 0; i < b.N; i++ {
				built, err := Build(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				if err := WriteArchive(out, built, "server:1"); err != nil {
					b.Fatal(err)
				}
				ls, _ := built.Platforms[0].Image.Layers()
				layerSize, _ = ls[0].Size()
			}
			tarInfo, _ := os.Stat(out)
			b.ReportMetric(float64(fi.Size()), "binary-bytes")
			b.ReportMetric(float64(layerSize), "layer-gz-bytes")
			b.ReportMetric(float64(tarInfo.Size()), "archive-bytes")
		})
	}
}
