package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/internal/testenv"
	"github.com/mcc-build/mcc/toolchains"
)

// machine is a host whose tools are in have (name -> path), with every
// cross compiler but the one for s390x.
func machine(t *testing.T, mirrors []string, have map[string]string) Machine {
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return Machine{
		Fetcher: &fetch.Fetcher{Store: s, Mirrors: mirrors, Offline: true},
		LookPath: func(name string) (string, error) {
			if p, ok := have[name]; ok {
				return p, nil
			}
			return "", errors.New(name + " not in PATH")
		},
		Compiler: func(tg toolchains.Target) (string, string, error) {
			if tg.Name == "linux/s390x" {
				return "", "", errors.New("install gcc-s390x-linux-gnu")
			}
			return "/usr/bin/" + tg.GNU + "-gcc", "12.2.0", nil
		},
	}
}

func find(checks []Check, what string) Check {
	for _, c := range checks {
		if c.What == what {
			return c
		}
	}
	return Check{What: what, Detail: "not checked"}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		m       Machine
		want    map[string]string // What -> "ok "+Detail or "MISS "+part of Detail
		failure bool
	}{
		{"all there but the musl source", machine(t, nil, map[string]string{"go": "/usr/bin/go", "qemu-aarch64-static": "/usr/bin/qemu-aarch64-static"}),
			map[string]string{"go": "ok /usr/bin/go", "linux/arm64 qemu-user": "ok /usr/bin/qemu-aarch64-static",
				"linux/s390x cross gcc": "MISS install gcc-s390x", "linux/riscv64 qemu-user": "MISS apt-get install qemu-user-static", "linux/amd64 cross gcc": "ok 12.2.0",
				"musl source": "MISS pin musl-source"}, true},
		{"no go", machine(t, nil, nil), map[string]string{"go": "MISS go not in PATH"}, true},
		{"no store", Machine{StoreErr: errors.New("cache directory x is not writable")}, map[string]string{"store": "MISS cache directory x", "musl source": "MISS not checked"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := Run(context.Background(), tt.m)
			for what, want := range tt.want {
				c := find(checks, what)
				mark, detail, _ := strings.Cut(want, " ")
				if (mark == "ok") != c.OK || !strings.Contains(c.Detail, detail) {
					t.Errorf("%s: %+v, want %s", what, c, want)
				}
			}
			if err := Failed(checks); (err != nil) != tt.failure {
				t.Errorf("Failed = %v, want failure %v", err, tt.failure)
			}
		})
	}
}

func TestCheckString(t *testing.T) {
	for c, want := range map[Check]string{
		{What: "go", OK: true, Detail: "/usr/bin/go"}: "ok   go                       /usr/bin/go",
		{What: "store", Detail: "not writable"}:       "MISS store                    not writable",
	} {
		if got := c.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", c, got, want)
		}
	}
}

// TestMuslInMirror: the pinned musl source in a mirror is found without
// a download, and then nothing essential misses.
func TestMuslInMirror(t *testing.T) {
	m := machine(t, []string{testenv.Sources(t)}, map[string]string{"go": "/usr/bin/go"})
	checks := Run(context.Background(), m)
	if c := find(checks, "musl source"); !c.OK {
		t.Errorf("musl source: %+v", c)
	}
	if err := Failed(checks); err != nil {
		t.Errorf("Failed = %v", err)
	}
}
