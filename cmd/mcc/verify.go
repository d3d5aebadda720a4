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
	var reports []*elfcheck.Report
	failed := 0
	for _, f := range fs.Args() {
		r, err := elfcheck.Check(f, want)
		if err != nil {
			return err
		}
		reports = append(reports, r)
		if len(r.Problems) > 0 {
			failed++
		}
		if !a.json {
			fmt.Fprintln(a.stdout, r.Summary())
		}
	}
	if a.json {
		if err := a.printJSON(map[string]any{"files": reports}); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d of %d files are not static executables of the target", failed, len(reports))}
	}
	return nil
}
