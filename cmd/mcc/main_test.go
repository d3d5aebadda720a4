package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mcc-build/mcc/internal/testenv"
)

// TestMain lets test scripts run "mcc" as this test binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mcc": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
		// exits CODE mcc ARGS...: runs mcc and succeeds only if it exits CODE,
		// so scripts pin exit codes, not just failure.
		"exits": func() {
			want, args := os.Args[1], os.Args[3:]
			got := run(context.Background(), args, os.Stdout, os.Stderr)
			if strconv.Itoa(got) != want {
				fmt.Fprintf(os.Stderr, "exits: mcc exited %d, want %s\n", got, want)
				os.Exit(100)
			}
			os.Exit(0)
		},
	})
}

// TestScripts runs testdata/script/*.txtar: CLI help, errors, exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("MCC_TEST_STORE", testenv.Store(t))
			for _, k := range []string{"PATH", "MCC_TEST_SOURCES", "GOFLAGS", "GOPROXY"} {
				e.Setenv(k, os.Getenv(k))
			}
			for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
				out, _ := exec.Command("go", "env", k).Output()
				e.Setenv(k, strings.TrimSpace(string(out)))
			}
			e.Setenv("MCC_MIRROR_DIR", filepath.Join(e.WorkDir, "no-local-mirror"))
			e.Setenv("MCC_CACHE", filepath.Join(e.WorkDir, "cache"))
			return nil
		},
	})
}

// mccBinary builds mcc once per test run, for tests that need real
// processes (concurrency, SIGKILL).
func mccBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "mcc")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building mcc: %v\n%s", err, out)
	}
	return bin
}

var binDir = func() string {
	d, err := os.MkdirTemp("", "mcc-test-bin-")
	if err != nil {
		panic(err)
	}
	return d
}()

// sharedArgs point mcc at the test store and the Debian source mirror, offline.
func sharedArgs(t *testing.T) []string {
	return []string{"--cache", testenv.Store(t), "--mirror", testenv.Sources(t), "--offline"}
}

// TestMessage pins the one prefix: a message that names its command keeps
// the command but not a second "mcc".
func TestMessage(t *testing.T) {
	tests := []struct{ err, want string }{
		{"no pin named \"x\"", "no pin named \"x\""},
		{"mcc image: no output: give -o OUT.tar", "image: no output: give -o OUT.tar"},
		{"mcc env takes no arguments, got \"a\"", "env takes no arguments, got \"a\""},
		{"mcc: already prefixed", "already prefixed"},
		{"mccx is not a prefix", "mccx is not a prefix"},
		{"mcc toolchain prune --all removes it", "toolchain prune --all removes it"},
		{"mcc 0.3 made this store: run mcc toolchain prune", "mcc 0.3 made this store: run mcc toolchain prune"},
		{"two\nlines", "two lines"},
	}
	for _, tt := range tests {
		if got := message(errors.New(tt.err)); got != tt.want {
			t.Errorf("message(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestOnePrefix runs commands whose errors name themselves and checks that
// stderr says "mcc" once.
func TestOnePrefix(t *testing.T) {
	for _, args := range [][]string{{"env", "extra"}, {"version", "--frob"}, {"image"}} {
		var out, errb strings.Builder
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("mcc %v: exit %d, want %d", args, code, exitUsage)
		}
		if s := errb.String(); !strings.HasPrefix(s, "mcc: ") || strings.Contains(s, "mcc: mcc") {
			t.Errorf("mcc %v: stderr %q has not one prefix", args, s)
		}
	}
}
