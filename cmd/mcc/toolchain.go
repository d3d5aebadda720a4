package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
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
  prune [--all]             remove stale entries and leftovers of killed builds
                            (--all: everything)

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
		return a.toolchainInstall(ctx, in, *all, *mono)
	case "list":
		return a.toolchainList(in)
	case "verify":
		return a.toolchainVerify(in)
	case "path":
		t, err := a.resolveTarget()
		if err != nil {
			return err
		}
		tc, err := in.Install(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, tc.CC)
		return nil
	case "prune":
		return a.toolchainPrune(ctx, in, *all)
	}
	return usagef("unknown toolchain subcommand %q: use install, list, verify, path or prune", fs.Arg(0))
}

func (a *app) targets(all bool) ([]toolchains.Target, error) {
	if all {
		var ts []toolchains.Target
		for _, t := range toolchains.Targets() {
			if _, _, err := toolchains.Compiler(t); err == nil {
				ts = append(ts, t)
			}
		}
		return ts, nil
	}
	t, err := a.resolveTarget()
	return []toolchains.Target{t}, err
}

func (a *app) toolchainInstall(ctx context.Context, in *toolchains.Installer, all, mono bool) error {
	ts, err := a.targets(all)
	if err != nil {
		return err
	}
	if mono {
		if ts, err = a.monoTargets(ts, all); err != nil {
			return err
		}
	}
	var results []any
	for _, t := range ts {
		var path, key string
		var built bool
		if mono {
			rt, err := toolchains.InstallMono(ctx, in, t)
			if err != nil {
				return err
			}
			path, key, built = rt.Runtime, rt.Key, rt.Built
		} else {
			tc, err := in.Install(ctx, t)
			if err != nil {
				return err
			}
			path, key, built = tc.CC, tc.Key, tc.Built
		}
		results = append(results, map[string]any{"target": t.Name, "path": path, "key": key, "built": built})
		if !a.json {
			how := "cached"
			if built {
				how = "built"
			}
			fmt.Fprintf(a.stdout, "%s: %s (%s)\n", t.Name, path, how)
		}
	}
	if a.json {
		return a.printJSON(results)
	}
	return nil
}

// monoTargets keeps the targets that have a Mono recipe, checked before
// anything is built: with --all the others are skipped and named on
// stderr, as --all skips targets without a cross compiler; a single target
// without one is refused.
func (a *app) monoTargets(ts []toolchains.Target, all bool) ([]toolchains.Target, error) {
	supported := toolchains.MonoTargets()
	var keep []toolchains.Target
	var skipped []string
	for _, t := range ts {
		if slices.Contains(supported, t.Name) {
			keep = append(keep, t)
		} else {
			skipped = append(skipped, t.Name)
		}
	}
	switch {
	case len(skipped) == 0:
	case !all || len(keep) == 0:
		return nil, badinput.Errorf("no static Mono runtime recipe for %s: use --target with one of %s", strings.Join(skipped, ", "), strings.Join(supported, ", "))
	case !a.quiet:
		fmt.Fprintf(a.stderr, "mcc: no static Mono runtime recipe for %s: skipped (recipes: %s)\n", strings.Join(skipped, ", "), strings.Join(supported, ", "))
	}
	return keep, nil
}

func (a *app) toolchainList(in *toolchains.Installer) error {
	var rows []map[string]any
	for _, t := range toolchains.Targets() {
		row := map[string]any{"target": t.Name, "package": t.Package}
		status := "available"
		if _, _, err := toolchains.Compiler(t); err != nil {
			status = "needs apt-get install " + t.Package
		} else if tc, ok, err := in.Installed(t); ok {
			status = "installed " + tc.CC
		} else if err != nil {
			status = "damaged: " + err.Error()
		}
		row["status"] = status
		rows = append(rows, row)
		if !a.json {
			fmt.Fprintf(a.stdout, "%-14s %s\n", t.Name, status)
		}
	}
	if a.json {
		return a.printJSON(rows)
	}
	return nil
}

func (a *app) toolchainVerify(in *toolchains.Installer) error {
	keys, err := in.Store.Keys()
	if err != nil {
		return err
	}
	bad := 0
	var rows []map[string]any
	for _, k := range keys {
		problems, err := in.Store.Verify(k)
		if err != nil {
			problems = []string{err.Error()}
		}
		verdict := "ok"
		if len(problems) > 0 {
			bad++
			verdict = "DAMAGED: " + strings.Join(problems, "; ")
		}
		rows = append(rows, map[string]any{"key": k, "ok": len(problems) == 0, "problems": problems})
		if !a.json {
			fmt.Fprintf(a.stdout, "%s: %s\n", k, verdict)
		}
	}
	if a.json {
		if err := a.printJSON(rows); err != nil {
			return err
		}
	}
	if bad > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d of %d store entries are damaged: run 'mcc toolchain prune --all' and install again", bad, len(keys))}
	}
	return nil
}

func (a *app) toolchainPrune(ctx context.Context, in *toolchains.Installer, all bool) error {
	removed, err := in.Store.Clean(ctx)
	if err != nil {
		return err
	}
	current := map[string]bool{}
	for _, t := range toolchains.Targets() {
		if k, _, _, err := in.Key(t); err == nil {
			current[k] = true
		}
	}
	keys, err := in.Store.Keys()
	if err != nil {
		return err
	}
	for _, k := range keys {
		// Without --all only C toolchains of older recipes or compilers go;
		// other entries (Mono runtimes) are kept.
		stale := strings.HasPrefix(k, "musl-") && !current[k]
		if all || stale {
			if err := in.Store.Remove(ctx, k); err != nil {
				return err
			}
			removed = append(removed, k)
		}
	}
	if a.json {
		return a.printJSON(map[string]any{"removed": removed})
	}
	for _, r := range removed {
		fmt.Fprintf(a.stdout, "removed %s\n", r)
	}
	return nil
}
