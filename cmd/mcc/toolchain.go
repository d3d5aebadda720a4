package main

import (
	"cmp"
	"context"
	"fmt"

	"github.com/mcc-build/mcc/toolchains"
)

func init() {
	register("toolchain", "install, list, verify, locate and prune musl toolchains", runToolchain)
}

const toolchainUsage = `Usage: mcc toolchain install|list|verify|path|prune [--target T | --all] [flags]

  install [--all] [--mono]  build the target's musl toolchain (or the static musl
                            Mono runtime) from pinned sources into the store, once
  list                      every target: installed?, cross compiler present?
  verify                    re-hash every store entry against its manifest
  path                      print the target's cc (installing it if needed)
  prune [--all]             remove stale entries, leftovers of killed builds and
                            fetched sources no pin names (--all: every entry;
                            the pinned sources stay, so rebuilds work offline)

The store is --cache, else $MCC_CACHE, else ~/.cache/mcc. Sources come from
the store, the local mirror (mcc mirror add), --mirror/$MCC_MIRROR, then
upstream (not with --offline), always checked against their sha256 pins.

Examples:
  mcc toolchain install --target linux/arm64
  mcc toolchain install --all
  CC=$(mcc toolchain path --target linux/riscv64)
`

func runToolchain(ctx context.Context, a *app, args []string) error {
	fs := newFlags("toolchain")
	a.targetFlag(fs)
	all := fs.Bool("all", false, "every target (install) or every entry (prune)")
	mono := fs.Bool("mono", false, "install: the static musl Mono runtime instead of the C toolchain")
	if err := a.parse(fs, toolchainUsage, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("toolchain needs one of install, list, verify, path, prune (see mcc toolchain --help)")
	}
	in, err := a.installer()
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "install":
		var done []toolchains.Installed
		err := in.InstallFor(ctx, a.target, *all, *mono, a.warn, func(r toolchains.Installed) { done = append(done, r); a.line(r) })
		return a.result(err, done)
	case "list":
		return printRows(a, in.Inventory())
	case "verify":
		checks, err := in.VerifyStore()
		if err == nil {
			err = printRows(a, checks)
		}
		return cmp.Or(err, toolchains.Damaged(checks))
	case "path":
		tc, err := in.InstallTarget(ctx, a.target)
		if err == nil {
			fmt.Fprintln(a.stdout, tc.CC)
		}
		return err
	case "prune":
		removed, err := in.Prune(ctx, *all)
		for _, k := range removed {
			a.line("removed " + k)
		}
		return a.result(err, map[string]any{"removed": removed})
	}
	return usagef("unknown toolchain subcommand %q: use install, list, verify, path or prune", fs.Arg(0))
}
