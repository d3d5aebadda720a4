package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/toolchains"
)

// testedTargets is every row of the target table: a row is tested as soon
// as it is added.
var testedTargets = toolchains.Names()

// reproducibleTargets are built twice from scratch (fresh Go build caches)
// to compare bytes: four architectures prove the recipe; all nine would add
// a cold standard-library build per target to CI.
var reproducibleTargets = []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/riscv64"}

// mccCmd is a real mcc process that sees no local mirror but the ones the
// test names.
func mccCmd(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(mccBinary(t), args...)
	cmd.Env = append(os.Environ(), "MCC_MIRROR_DIR="+filepath.Join(binDir, "no-local-mirror"))
	return cmd
}

// copyTree copies a testdata program to a fresh directory.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
}

// goBuild runs `mcc --target T go build -o BIN .` in dir as a real process.
func goBuild(t *testing.T, target, dir, bin string, env ...string) {
	t.Helper()
	args := append(sharedArgs(t), "--target", target, "go", "build", "-o", bin, ".")
	cmd := mccCmd(t, args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mcc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestGoBuildStaticAndRuns is the proof per target: a cgo program
// and a go-sqlite3 program, built with mcc go build, checked static with
// debug/elf, run natively or under qemu-user, output checked.
func TestGoBuildStaticAndRuns(t *testing.T) {
	testenv.Sources(t)
	programs := []struct {
		dir  string
		want []string
	}{
		{"cgoapp", []string{"c=42", "user=root", "localhost=true err=<nil>"}},
		{"sqliteapp", []string{"sqlite sum=42"}},
	}
	built := t.TempDir() // the cgo program per target, for one image index of all
	for _, name := range testedTargets {
		tgt, _ := toolchains.Lookup(name)
		for _, p := range programs {
			t.Run(strings.ReplaceAll(name, "/", "_")+"/"+p.dir, func(t *testing.T) {
				dir := t.TempDir()
				copyTree(t, filepath.Join("testdata", p.dir), dir)
				bin := filepath.Join(dir, "prog")
				goBuild(t, name, dir, bin)
				if p.dir == "cgoapp" {
					testenv.CopyFile(t, bin, filepath.Join(built, strings.ReplaceAll(name, "/", "_")))
				}
				r, err := elfcheck.Check(bin, elfcheck.Want{Machine: tgt.Machine, Class: tgt.Class})
				if err != nil || len(r.Problems) > 0 || r.Interp != "" || len(r.Needed) > 0 {
					t.Fatalf("%s is not a static %s binary: %v %+v", bin, name, err, r)
				}
				checkABI(t, tgt, bin)
				run := exec.Command(bin) // under the row's qemu-user unless native
				if !tgt.Native() {
					run = exec.Command(tgt.QEMU, bin)
					run.Env = tgt.EmulatorEnv(os.Environ())
				}
				out, err := run.CombinedOutput()
				if err != nil {
					t.Fatalf("running: %v\n%s", err, out)
				}
				for _, w := range append(p.want, "") {
					if !strings.Contains(string(out), w) {
						t.Errorf("output %q lacks %q", out, w)
					}
				}
			})
		}
	}
	t.Run("one_image_index", func(t *testing.T) { imageIndexOfAll(t, built) })
}

// imageIndexOfAll packs every target's cgo program into one multi-platform
// image and reads the layout back: one manifest per target of the table,
// each with the table's platform.
func imageIndexOfAll(t *testing.T, built string) {
	args := append(sharedArgs(t), "image", "-o", filepath.Join(t.TempDir(), "all.tar"), "--layout", filepath.Join(built, "oci"))
	want := map[string]bool{}
	for _, name := range testedTargets {
		f := filepath.Join(built, strings.ReplaceAll(name, "/", "_"))
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s was not built: %v", name, err)
		}
		args = append(args, "--platform", name+"="+f)
		want[name] = true
	}
	if out, err := mccCmd(t, args...).CombinedOutput(); err != nil {
		t.Fatalf("mcc image: %v\n%s", err, out)
	}
	idx, err := layout.ImageIndexFromPath(filepath.Join(built, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	collectPlatforms(t, idx, got)
	if len(got) != len(want) {
		t.Fatalf("index platforms %v, want %v", got, want)
	}
	for p := range want {
		if !got[p] {
			t.Errorf("index lacks %s (has %v)", p, got)
		}
	}
}

func collectPlatforms(t *testing.T, idx v1.ImageIndex, got map[string]bool) {
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			collectPlatforms(t, child, got)
			continue
		}
		if d.Platform != nil {
			p := d.Platform.OS + "/" + d.Platform.Architecture
			if d.Platform.Variant != "" {
				p += "/" + d.Platform.Variant
			}
			got[p] = true
		}
	}
}

// TestReproducibleAcrossDirectories builds the cgo program from two
// directories with two fresh Go build caches: the bytes must be identical.
func TestReproducibleAcrossDirectories(t *testing.T) {
	testenv.Sources(t)
	for _, name := range reproducibleTargets {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			var sums []string
			for i := 0; i < 2; i++ {
				dir := filepath.Join(t.TempDir(), "src", strings.Repeat("x", i+1))
				os.MkdirAll(dir, 0o755)
				copyTree(t, "testdata/cgoapp", dir)
				bin := filepath.Join(dir, "prog")
				goBuild(t, name, dir, bin, "GOCACHE="+t.TempDir())
				b, err := os.ReadFile(bin)
				if err != nil {
					t.Fatal(err)
				}
				s := sha256.Sum256(b)
				sums = append(sums, hex.EncodeToString(s[:]))
			}
			if sums[0] != sums[1] {
				t.Fatalf("builds differ: %s vs %s", sums[0], sums[1])
			}
		})
	}
}

// TestNotAGoPackage: exit 2 with go's reason, nothing built.
func TestNotAGoPackage(t *testing.T) {
	testenv.Sources(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	cmd := mccCmd(t, append(sharedArgs(t), "go", "build", "./empty")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2: %s", err, out)
	}
	if !strings.Contains(string(out), "no Go files") || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
		t.Fatalf("want one line naming the problem, got %q", out)
	}
}

// startInstallAndWait starts an amd64 install into cache and returns once
// musl's objects are being compiled.
func startInstallAndWait(t *testing.T, cache string, args []string) *exec.Cmd {
	t.Helper()
	cmd := mccCmd(t, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for countObjects(filepath.Join(cache, "tmp")) <= 20 {
		if time.Now().After(deadline) {
			t.Fatal("the build never started compiling")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cmd
}

// TestInterruptedInstallLeavesNothing: Ctrl-C (SIGINT to mcc alone) stops
// the build and its compilers, exits 1, and leaves neither an entry nor a
// temp dir.
func TestInterruptedInstallLeavesNothing(t *testing.T) {
	src := testenv.Sources(t)
	cache := t.TempDir()
	cmd := startInstallAndWait(t, cache, []string{"--cache", cache, "--mirror", src, "--offline", "--target", "linux/amd64", "toolchain", "install"})
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1", err)
	}
	for _, d := range []string{"entries", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(cache, d)); len(ents) != 0 {
			t.Errorf("%s not empty after Ctrl-C: %v", d, ents)
		}
	}
}

// TestKilledInstallRecoversOnce SIGKILLs an install mid-build (the whole
// process group: configure and make too), then starts four installs at
// once on that store: all succeed, exactly one builds (the others wait for
// it), the killed build's temp dir is gone and the entry verifies. One
// test, so CI builds this private toolchain once, not once per property.
func TestKilledInstallRecoversOnce(t *testing.T) {
	src := testenv.Sources(t)
	cache := t.TempDir()
	args := []string{"--cache", cache, "--mirror", src, "--offline", "--target", "linux/amd64", "toolchain", "install"}
	cmd := startInstallAndWait(t, cache, args)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	if ents, _ := os.ReadDir(filepath.Join(cache, "entries")); len(ents) != 0 {
		t.Fatalf("a killed build left an entry: %v", ents)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	errs := make([]error, 4)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := mccCmd(t, append([]string{"--json"}, args...)...)
			cmd.Stderr = os.Stderr
			outs[i], errs[i] = cmd.Output()
		}()
	}
	wg.Wait()
	built := 0
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("install %d after the kill: %v", i, errs[i])
		}
		var res []struct{ Built bool }
		if err := json.Unmarshal(outs[i], &res); err != nil || len(res) != 1 {
			t.Fatalf("install %d: %v %s", i, err, outs[i])
		}
		if res[0].Built {
			built++
		}
	}
	if built != 1 {
		t.Fatalf("%d processes built the toolchain, want exactly 1", built)
	}
	if left, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(left) != 0 {
		t.Fatalf("the killed build's temp dir survived: %v", left)
	}
	verifyStore(t, cache)
}

// TestTamperedMirrorRefused: a tarball that fails its pin is refused with
// exit 2 naming both digests, and nothing lands in the store.
func TestTamperedMirrorRefused(t *testing.T) {
	mirror, cache := t.TempDir(), t.TempDir()
	b, err := os.ReadFile(testenv.PinFile(t, "musl-source"))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	os.WriteFile(filepath.Join(mirror, "musl-1.2.3.tar.gz"), b, 0o644)
	var stderr bytes.Buffer
	cmd := mccCmd(t, "--cache", cache, "--mirror", mirror, "--offline", "--target", "linux/amd64", "toolchain", "install")
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2: %s", err, stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{"pin musl-source", "checksum mismatch", "expected sha256 7d5b0b60", "got "} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	for _, d := range []string{"blobs/sha256", "entries", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(cache, d)); len(ents) != 0 {
			t.Errorf("%s not empty after a refused fetch: %v", d, ents)
		}
	}
}

func verifyStore(t *testing.T, cache string) {
	t.Helper()
	out, err := mccCmd(t, "--cache", cache, "toolchain", "verify").CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": ok") {
		t.Fatalf("toolchain verify: %v\n%s", err, out)
	}
}

func countObjects(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".o") || strings.HasSuffix(p, ".lo")) {
			n++
		}
		return nil
	})
	return n
}
