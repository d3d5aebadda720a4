package image

import (
	"strings"
	"testing"

	"github.com/mcc-build/mcc/toolchains"
)

// TestPlatformsFollowTargetTable: every row of the target table is an image
// platform with the row's ELF machine and class, named in the error for an
// unknown architecture.
func TestPlatformsFollowTargetTable(t *testing.T) {
	for _, tgt := range toolchains.Targets() {
		t.Run(tgt.Name, func(t *testing.T) {
			p, err := ParsePlatform(tgt.Name)
			if err != nil {
				t.Fatalf("ParsePlatform(%s): %v", tgt.Name, err)
			}
			m, c, err := wantFor(p)
			if err != nil || m != tgt.Machine || c != tgt.Class {
				t.Fatalf("wantFor(%s) = %v %v %v, want %v %v", tgt.Name, m, c, err, tgt.Machine, tgt.Class)
			}
			if got, ok := PlatformOf(tgt.Machine, tgt.Class); !ok || got.Architecture != tgt.GOARCH {
				t.Fatalf("PlatformOf(%v, %v) = %v %v, want %s", tgt.Machine, tgt.Class, got, ok, tgt.GOARCH)
			}
			if !strings.Contains(", "+knownArchs()+",", ", "+tgt.GOARCH+",") {
				t.Fatalf("knownArchs() = %q lacks %s", knownArchs(), tgt.GOARCH)
			}
		})
	}
	_, err := ParsePlatform("linux/sparc64")
	if err == nil || !strings.Contains(err.Error(), knownArchs()) {
		t.Fatalf("unknown arch error %v does not list %s", err, knownArchs())
	}
}
