package main

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/sysroots"
	"github.com/mcc-build/mcc/toolchains"
)

func init() {
	register("doctor", "check this machine: go, cross compilers, qemu-user, store, mirrors", runDoctor)
}

const doctorUsage = `Usage: mcc doctor

Checks what mcc needs and says how to fix what is missing: the go command,
the store, each target's Debian cross compiler and qemu-user emulator, and
whether the pinned musl source is in the store or a mirror. Exits 1 if
something the host target needs is missing.
`

type check struct {
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func runDoctor(ctx context.Context, a *app, args []string) error {
	fs := newFlags("doctor")
	if err := a.parse(fs, doctorUsage, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var checks []check
	add := func(what string, err error, ok string) {
		c := check{What: what, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail = err.Error()
		}
		checks = append(checks, c)
	}
	gobin, err := exec.LookPath("go")
	add("go", err, gobin)
	in, err := a.installer()
	if err != nil {
		add("store", err, "")
	} else {
		add("store", nil, in.Store.Root)
		add("musl source", a.findMusl(ctx, in.Fetcher), "found")
	}
	for _, t := range toolchains.Targets() {
		_, ver, err := toolchains.Compiler(t)
		add(t.Name+" cross gcc", err, ver)
		if !t.Native() {
			q, err := exec.LookPath(t.QEMU)
			if err != nil {
				err = fmt.Errorf("%s not found: apt-get install qemu-user-static (needed for go test/run)", t.QEMU)
			}
			add(t.Name+" qemu-user", err, q)
		}
	}
	if a.json {
		return a.printJSON(checks)
	}
	failed := false
	for _, c := range checks {
		mark := "ok  "
		if !c.OK {
			mark = "MISS"
			failed = failed || c.What == "go" || c.What == "store" || c.What == "musl source"
		}
		fmt.Fprintf(a.stdout, "%s %-24s %s\n", mark, c.What, c.Detail)
	}
	if failed {
		return &exitError{code: exitFailed, err: fmt.Errorf("mcc cannot build here yet: fix the MISS lines above")}
	}
	return nil
}

// findMusl reports whether the pinned musl source is in reach without
// downloading it: the store, else a mirror.
func (a *app) findMusl(ctx context.Context, f *fetch.Fetcher) error {
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
