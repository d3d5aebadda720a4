package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildSample fills an entry like a toolchain: an executable, a library, a
// symlink and a subdirectory.
func buildSample(ctx context.Context, dir string) error {
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	os.Symlink("libc.a", filepath.Join(dir, "lib", "libc.so"))
	if err := os.WriteFile(filepath.Join(dir, "bin", "cc"), []byte("#!/bin/sh\nexec gcc \"$@\"\n"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "lib", "libc.a"), []byte("!<arch>\nlibc bytes\n"), 0o644)
}

// snapshot maps every path under dir to its mode and content, to prove
// that a run changed nothing it did not create.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if info.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		m[p] = v
		return nil
	})
	return m
}

func assertTmpEmpty(t *testing.T, s *Store) {
	t.Helper()
	if left, _ := os.ReadDir(s.tmpDir()); len(left) != 0 {
		t.Fatalf("left in the store's tmp dir: %v", left)
	}
}

// TestEntryRebuildsDamaged damages an entry as a user or a failing disk
// would; the next Entry must notice before use and rebuild it, leaving a
// good entry, an untouched neighbour and an empty tmp dir. It is long
// because it is one table: a row per kind of damage.
func TestEntryRebuildsDamaged(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(dir string) error
		problem string // what Check reports
	}{
		{"one byte changed", func(d string) error {
			p := filepath.Join(d, "lib", "libc.a")
			os.Chmod(p, 0o644)
			b, _ := os.ReadFile(p)
			b[len(b)-2] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, "lib/libc.a: changed"},
		{"truncated", func(d string) error { return os.Truncate(filepath.Join(d, "lib", "libc.a"), 3) }, "lib/libc.a: size 3, want 19"},
		{"chmod -x cc", func(d string) error { return os.Chmod(filepath.Join(d, "bin", "cc"), 0o644) }, "bin/cc: mode 0644, want 0755"},
		{"manifest missing", func(d string) error { return os.Remove(filepath.Join(d, ManifestName)) }, "manifest: missing"},
		{"manifest of format 1", func(d string) error {
			os.Remove(filepath.Join(d, ManifestName))
			return os.WriteFile(filepath.Join(d, ManifestName), []byte(`{"bin/cc":"sha256:00"}`), 0o444)
		}, "manifest: not in format 2"},
		{"file removed", func(d string) error { return os.Remove(filepath.Join(d, "bin", "cc")) }, "bin/cc: missing"},
		{"file added", func(d string) error { return os.WriteFile(filepath.Join(d, "lib", "evil.o"), nil, 0o644) }, "lib/evil.o: not in manifest"},
		{"symlink retargeted", func(d string) error {
			os.Remove(filepath.Join(d, "lib", "libc.so"))
			return os.Symlink("/etc/passwd", filepath.Join(d, "lib", "libc.so"))
		}, "lib/libc.so: changed"},
		{"file replaced by dir", func(d string) error {
			os.Remove(filepath.Join(d, "bin", "cc"))
			return os.Mkdir(filepath.Join(d, "bin", "cc"), 0o755)
		}, "bin/cc: a dir, want a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			good, _, err := s.Entry(ctx, "k-good", buildSample)
			if err != nil {
				t.Fatal(err)
			}
			p, _, err := s.Entry(ctx, "k-1", buildSample)
			if err != nil {
				t.Fatal(err)
			}
			want, neighbour := snapshot(t, p), snapshot(t, good)
			if err := tt.damage(p); err != nil {
				t.Fatal(err)
			}
			var de *DamagedError
			err = s.Check("k-1")
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.problem) ||
				!strings.Contains(err.Error(), "k-1") || !strings.Contains(err.Error(), "mcc toolchain prune") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Check = %v, want a one-line damage report with %q, the key and the fix", err, tt.problem)
			}
			_, built, err := s.Entry(ctx, "k-1", buildSample)
			if err != nil || !built {
				t.Fatalf("Entry on a damaged entry: built=%v err=%v, want a rebuild", built, err)
			}
			if err := s.Check("k-1"); err != nil {
				t.Fatalf("rebuilt entry: %v", err)
			}
			if got := snapshot(t, p); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("rebuilt entry differs from the original:\n%v\n%v", got, want)
			}
			if got := snapshot(t, good); fmt.Sprint(got) != fmt.Sprint(neighbour) {
				t.Fatal("rebuilding one entry changed another")
			}
			assertTmpEmpty(t, s)
		})
	}
}

// TestEntryDamagedRebuildFails: when the rebuild fails, the error names the
// entry, what is wrong and the fix, and the store's tmp dir is empty.
func TestEntryDamagedRebuildFails(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, _, err := s.Entry(ctx, "k-1", buildSample)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(p, "bin", "cc"), 0o600)
	_, _, err = s.Entry(ctx, "k-1", func(context.Context, string) error { return errors.New("no compiler") })
	if err == nil || !strings.Contains(err.Error(), "store entry k-1 is damaged (bin/cc: mode 0600, want 0755)") ||
		!strings.Contains(err.Error(), "rebuilding it failed: no compiler") {
		t.Fatalf("err = %v", err)
	}
	assertTmpEmpty(t, s)
}

// TestVerifyReportsModes: verify (the full re-hash) sees a chmod -x.
func TestVerifyReportsModes(t *testing.T) {
	s := open(t)
	p, _, err := s.Entry(context.Background(), "k-1", buildSample)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(p, "bin", "cc"), 0o644)
	if bad, err := s.Verify("k-1"); err != nil || strings.Join(bad, ",") != "bin/cc: mode 0644, want 0755" {
		t.Fatalf("bad=%v err=%v", bad, err)
	}
}

// sleeper starts a process working in dir, as a compiler left by a
// SIGKILLed builder would be.
func sleeper(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// waitKilled says whether cmd ended by SIGKILL within 5 s.
func waitKilled(cmd *exec.Cmd) bool {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	case <-time.After(5 * time.Second):
		return false
	}
}

func TestNextBuilderKillsLeftovers(t *testing.T) {
	s := open(t)
	stale := filepath.Join(s.tmpDir(), "k-3.12345")
	os.MkdirAll(filepath.Join(stale, "src"), 0o755)
	left := sleeper(t, filepath.Join(stale, "src"))
	elsewhere := sleeper(t, t.TempDir()) // not in the store: must survive
	if _, built, err := s.Entry(context.Background(), "k-3", buildSample); err != nil || !built {
		t.Fatalf("built=%v err=%v", built, err)
	}
	if !waitKilled(left) {
		t.Fatal("a process working in a stale build dir survived the next build")
	}
	if elsewhere.ProcessState != nil || syscall.Kill(elsewhere.Process.Pid, 0) != nil {
		t.Fatal("a process outside the store was killed")
	}
	assertTmpEmpty(t, s)
}

func TestClean(t *testing.T) {
	s := open(t)
	tmp := s.tmpDir()
	dead := exec.Command("true")
	dead.Run()
	write := func(name string, age time.Duration) string {
		p := filepath.Join(tmp, name)
		os.WriteFile(p, []byte("partial"), 0o644)
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	deadDL := write("blob-dl-"+strconv.Itoa(dead.Process.Pid)+"-abc", 0)
	liveDL := write("blob-dl-"+strconv.Itoa(os.Getpid())+"-abc", time.Hour)
	held, _ := os.Open(liveDL) // a download in progress holds its file
	defer held.Close()
	oldBlob := write("blob-123", time.Hour)
	youngBlob := write("blob-456", 0)
	staleDir := filepath.Join(tmp, "k-1.999")
	os.MkdirAll(staleDir, 0o755)
	left := sleeper(t, staleDir)
	lockedDir := filepath.Join(tmp, "k-2.999")
	os.MkdirAll(lockedDir, 0o755)
	unlock, err := s.lock(context.Background(), "k-2")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	removed, err := s.Clean(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(removed, ",")
	for _, p := range []string{deadDL, oldBlob, staleDir} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) || !strings.Contains(got, filepath.Base(p)) {
			t.Errorf("%s not removed (removed: %s)", filepath.Base(p), got)
		}
	}
	for _, p := range []string{liveDL, youngBlob, lockedDir} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s of a live process was removed", filepath.Base(p))
		}
	}
	if !waitKilled(left) {
		t.Error("a process working in a stale build dir survived Clean")
	}
}

// BenchmarkCheckRealEntry measures Check's two depths on the real entries
// of $MCC_TEST_STORE (a musl toolchain, a Mono runtime), to choose
// checkHashLimit:
//
//	MCC_TEST_STORE=$PWD/.cache/test-store go test -run XXX -bench CheckRealEntry ./internal/store
func BenchmarkCheckRealEntry(b *testing.B) {
	dir := os.Getenv("MCC_TEST_STORE")
	if dir == "" {
		b.Skip("MCC_TEST_STORE is not set")
	}
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := s.Keys()
	for _, prefix := range []string{"musl-linux-amd64-", "mono-runtime-linux-amd64-"} {
		for _, k := range keys {
			if !strings.HasPrefix(k, prefix) || s.Check(k) != nil {
				continue
			}
			m, _ := readManifest(s.Path(k))
			var size int64
			for _, r := range m.Files {
				size += r.Size
			}
			for _, depth := range []struct {
				name string
				hash bool
			}{{"sizes-modes", false}, {"full-rehash", true}} {
				b.Run(prefix+depth.name, func(b *testing.B) {
					b.SetBytes(size)
					b.ReportMetric(float64(len(m.Files)), "paths")
					for i := 0; i < b.N; i++ {
						if bad, err := s.compare(k, func(int64) bool { return depth.hash }); err != nil || len(bad) > 0 {
							b.Fatal(bad, err)
						}
					}
				})
			}
			break
		}
	}
}

// TestCheckStampSkipsRehashUntilAFileChanges: after a full check passes the
// next one only stats, but a changed byte (same size, so only a re-hash
// sees it) moves the file's ctime and is caught.
func TestCheckStampSkipsRehashUntilAFileChanges(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir, _, err := s.Entry(context.Background(), "stamp-test", func(ctx context.Context, d string) error {
		return os.WriteFile(filepath.Join(d, "libc.a"), []byte("0123456789"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check("stamp-test"); err != nil {
		t.Fatal(err)
	}
	if s.checkedStamp("stamp-test") == "" {
		t.Fatal("a passed full check left no stamp")
	}
	if err := s.Check("stamp-test"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "libc.a"), []byte("0123456789"[:9]+"X"), 0o644); err != nil {
		t.Fatal(err)
	}
	var de *DamagedError
	if err := s.Check("stamp-test"); !errors.As(err, &de) || !strings.Contains(err.Error(), "libc.a: changed") {
		t.Fatalf("changed byte after a stamped check: %v", err)
	}
}
