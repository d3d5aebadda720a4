// Package doctor checks that this machine has what mcc needs and says how
// to fix what is missing: the go command, a store, each target's Debian
// cross compiler and qemu-user emulator, and the pinned musl source within
// reach (the store or a mirror) without downloading it.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/sysroots"
	"github.com/mcc-build/mcc/toolchains"
)

// Check is one thing looked at: OK, or the Detail says how to fix it.
type Check struct {
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func (c Check) String() string {
	mark := "ok  "
	if !c.OK {
		mark = "MISS"
	}
	return fmt.Sprintf("%s %-24s %s", mark, c.What, c.Detail)
}

// Machine is what the checks look at. The zero LookPath and Compiler are
// exec.LookPath and toolchains.Compiler; tests give others.
type Machine struct {
	Fetcher  *fetch.Fetcher // nil when the store could not be opened
	StoreErr error          // why it could not
	LookPath func(file string) (string, error)
	Compiler func(toolchains.Target) (path, version string, err error)
}

// Run makes every check, in the order they are printed.
func Run(ctx context.Context, m Machine) []Check {
	if m.LookPath == nil {
		m.LookPath = exec.LookPath
	}
	if m.Compiler == nil {
		m.Compiler = toolchains.Compiler
	}
	var checks []Check
	add := func(what string, err error, ok string) {
		c := Check{What: what, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail = err.Error()
		}
		checks = append(checks, c)
	}
	gobin, err := m.LookPath("go")
	add("go", err, gobin)
	if m.Fetcher == nil {
		add("store", m.StoreErr, "")
	} else {
		add("store", nil, m.Fetcher.Store.Root)
		add("musl source", findMusl(ctx, m.Fetcher), "found")
	}
	for _, t := range toolchains.Targets() {
		_, ver, err := m.Compiler(t)
		add(t.Name+" cross gcc", err, ver)
		if !t.Native() {
			q, err := m.LookPath(t.QEMU)
			if err != nil {
				err = fmt.Errorf("%s not found: apt-get install qemu-user-static (needed for go test/run)", t.QEMU)
			}
			add(t.Name+" qemu-user", err, q)
		}
	}
	return checks
}

// essential are the checks without which mcc builds nothing, even for
// the host; a missing cross compiler only rules out its target.
var essential = map[string]bool{"go": true, "store": true, "musl source": true}

// Failed is the job failure of checks an essential one of which missed.
func Failed(checks []Check) error {
	for _, c := range checks {
		if !c.OK && essential[c.What] {
			return errors.New("cannot build here yet: fix the MISS lines above")
		}
	}
	return nil
}

// findMusl reports whether the pinned musl source is in reach without
// downloading it: the store, else a mirror.
func findMusl(ctx context.Context, f *fetch.Fetcher) error {
	pin, err := sysroots.Lookup(toolchains.MuslPin)
	if err != nil {
		return err
	}
	if _, ok := f.Store.Blob(pin.SHA256); ok {
		return nil
	}
	offline := *f
	offline.Offline = true
	_, err = offline.Fetch(ctx, pin)
	return err
}
