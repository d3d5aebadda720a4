package toolchains

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/testenv"
)

// TestExtractKernelHeaders unpacks each pinned headers .deb (data.tar.xz)
// as the Mono build does: the arch's asm/ at the top, linux/ beside it, no
// multiarch dir, and no staging left next to dest. A package without the
// arch's asm/ is refused naming the .deb.
func TestExtractKernelHeaders(t *testing.T) {
	testenv.Integration(t)
	for _, target := range MonoTargets() {
		arch, err := lookupMonoArch(target)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.ReplaceAll(target, "/", "-"), func(t *testing.T) {
			deb := testenv.PinFile(t, arch.headersPin)
			dest := filepath.Join(t.TempDir(), "kh")
			os.Mkdir(dest, 0o755)
			if err := extractKernelHeaders(context.Background(), deb, dest, arch.includeDir, arch.asmDir); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"asm/unistd.h", "linux/types.h"} {
				if _, err := os.Stat(filepath.Join(dest, want)); err != nil {
					t.Errorf("%s: %v", want, err)
				}
			}
			if ents, _ := os.ReadDir(filepath.Dir(dest)); len(ents) != 1 {
				t.Errorf("beside dest: %v, want only kh", ents)
			}
			other := filepath.Join(t.TempDir(), "kh")
			os.Mkdir(other, 0o755)
			err := extractKernelHeaders(context.Background(), deb, other, arch.includeDir, "no-such-asm")
			if err == nil || !strings.Contains(err.Error(), deb) || !strings.Contains(err.Error(), "not the headers package") {
				t.Errorf("wrong asm dir: %v", err)
			}
		})
	}
}
