package main

import (
	"context"
	"fmt"

	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/toolchains"
)

func init() {
	register("verify", "check that files are static executables of the target", runVerify)
}

const verifyUsage = `Usage: mcc verify [--target T] FILE...

Reads each file's ELF headers and reports: machine, interpreter (PT_INTERP),
needed shared libraries (DT_NEEDED). Exits 1 if any file is not static, or,
with --target, not built for that target.

Examples:
  mcc verify ./app
  mcc verify --target linux/arm64 out/*
`

func runVerify(ctx context.Context, a *app, args []string) error {
	fs := newFlags("verify")
	a.targetFlag(fs)
	if err := a.parse(fs, verifyUsage, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("verify needs at least one FILE (see mcc verify --help)")
	}
	// Refuse directories and special files before any report is printed.
	if err := userfile.CheckInputs(fs.Args()...); err != nil {
		return err
	}
	var want elfcheck.Want
	if a.target != "" {
		t, err := toolchains.Lookup(a.target)
		if err != nil {
			return err
		}
		want = elfcheck.Want{Machine: t.Machine, Class: t.Class}
	}
	reports, err := elfcheck.CheckAll(fs.Args(), want, func(r *elfcheck.Report) { a.line(r.Summary()) })
	if err = a.result(err, map[string]any{"files": reports}); err != nil {
		return err
	}
	if bad := elfcheck.Failing(reports); len(bad) > 0 {
		return fmt.Errorf("%d of %d files are not static executables of the target", len(bad), len(reports))
	}
	return nil
}
