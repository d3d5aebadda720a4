package toolchains

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
)

// twoSleeps is a build step with a grandchild, as make has cc1.
var twoSleeps = []string{"sh", "-c", "sleep 300 & sleep 300"}

// waitFor polls until cond holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func TestRunnerStatusStdinAndMissingProgram(t *testing.T) {
	var log bytes.Buffer
	r := &runner{ctx: context.Background(), dir: t.TempDir(), env: buildEnv(), log: &log}
	if err := r.run("sh", "-c", "exit 3"); err == nil || err.Error() != "sh: exit status 3" {
		t.Errorf("exit 3: err = %v", err)
	}
	if out, err := r.output("sh", "-c", "echo out; echo err >&2"); err != nil || string(out) != "out\n" || !strings.Contains(log.String(), "err\n") {
		t.Errorf("output = %q, %v; log %q", out, err, log.String())
	}
	cmd := r.command("cat")
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout = strings.NewReader("patch text"), &out
	if err := runGuarded(cmd); err != nil || out.String() != "patch text" {
		t.Errorf("stdin not passed on: %q, %v", out.String(), err)
	}
	if err := r.run("mcc-no-such-tool", "x"); err == nil || !strings.Contains(err.Error(), `mcc-no-such-tool: exec: "mcc-no-such-tool": executable file not found`) {
		t.Errorf("missing program: err = %v", err)
	}
}

// TestRunnerCancelKillsGroup: Ctrl-C (ctx ends) kills the command and its
// children, and run returns ctx's error.
func TestRunnerCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{ctx: ctx, dir: dir, env: buildEnv(), log: &bytes.Buffer{}}
	go func() {
		waitFor(5*time.Second, func() bool { return len(store.ProcessesIn(dir)) >= 4 })
		cancel()
	}()
	start := time.Now()
	if err := r.run(twoSleeps...); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("cancel did not stop the command")
	}
	if !waitFor(2*time.Second, func() bool { return len(store.ProcessesIn(dir)) == 0 }) {
		t.Fatalf("processes survived the cancel: %v", store.ProcessesIn(dir))
	}
}

// TestRunnerChildrenDieWithMCC SIGKILLs a process that runs a build step
// (this test binary, as a helper) and expects the step's whole process
// group, grandchildren included, to die with it.
func TestRunnerChildrenDieWithMCC(t *testing.T) {
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestRunnerHelper$")
	helper.Env = append(os.Environ(), "MCC_RUNNER_HELPER_DIR="+dir)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Wait()
	// sh and two sleeps (and the guard sh)
	if !waitFor(10*time.Second, func() bool { return len(store.ProcessesIn(dir)) >= 3 }) {
		helper.Process.Kill()
		t.Fatalf("the helper's build step never started: %v", store.ProcessesIn(dir))
	}
	helper.Process.Kill() // mcc alone, as the OOM killer or kill -9 would
	if !waitFor(3*time.Second, func() bool { return len(store.ProcessesIn(dir)) == 0 }) {
		left := store.ProcessesIn(dir)
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("processes survived their SIGKILLed parent: %v", left)
	}
}

// TestRunnerHelper is the process TestRunnerChildrenDieWithMCC kills.
func TestRunnerHelper(t *testing.T) {
	dir := os.Getenv("MCC_RUNNER_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process of TestRunnerChildrenDieWithMCC")
	}
	r := &runner{ctx: context.Background(), dir: dir, env: buildEnv(), log: os.Stderr}
	r.run(twoSleeps...)
}

// mccBinary builds the mcc CLI for tests that need a real process to kill.
func mccBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcc")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/mcc").CombinedOutput(); err != nil {
		t.Fatalf("building mcc: %v\n%s", err, out)
	}
	return bin
}

// compiling says whether a cc1 runs with its cwd in dir.
func compiling(dir string) bool {
	for _, pid := range store.ProcessesIn(dir) {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(b)) == "cc1" {
			return true
		}
	}
	return false
}

// TestKilledInstallLeavesNoProcess SIGKILLs `mcc toolchain install` (mcc
// alone) while musl compiles: within 3 s no process works in the store,
// `mcc toolchain prune` removes the killed build's temp dir and leaves an
// empty store, and the mirror it read is unchanged. (That the next install
// recovers and builds once is TestKilledInstallRecoversOnce in cmd/mcc: a
// second full build here would only repeat it.)
func TestKilledInstallLeavesNoProcess(t *testing.T) {
	src := testenv.Sources(t)
	musl := testenv.PinFile(t, MuslPin)
	before, err := os.Stat(musl)
	if err != nil {
		t.Fatal(err)
	}
	bin, cache := mccBinary(t), t.TempDir()
	args := []string{"--cache", cache, "--mirror", src, "--offline", "--target", "linux/amd64", "toolchain", "install"}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(3*time.Minute, func() bool { return compiling(cache) }) {
		cmd.Process.Kill()
		t.Fatal("the build never started compiling")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !waitFor(3*time.Second, func() bool { return len(store.ProcessesIn(cache)) == 0 }) {
		left := store.ProcessesIn(cache)
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("processes of the killed install still work in the store: %v", left)
	}
	if left, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(left) == 0 {
		t.Fatal("the killed install left no temp dir: was it killed before it began?")
	}
	out, err := exec.Command(bin, "--cache", cache, "toolchain", "prune").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "removed ") {
		t.Fatalf("prune after the kill: %v\n%s", err, out)
	}
	for _, d := range []string{"tmp", "entries"} {
		if left, _ := os.ReadDir(filepath.Join(cache, d)); len(left) != 0 {
			t.Errorf("left in the store's %s dir after prune: %v", d, left)
		}
	}
	if ps := store.ProcessesIn(cache); len(ps) != 0 {
		t.Fatalf("processes in the store: %v", ps)
	}
	if after, err := os.Stat(musl); err != nil || after.ModTime() != before.ModTime() || after.Size() != before.Size() {
		t.Fatal("the install changed the mirror's musl source")
	}
}
