package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mcc-build/mcc/internal/elfcheck"
	"github.com/mcc-build/mcc/internal/gobuild"
)

func init() {
	register("go", "run a go command (build, install, test, run, vet, ...) with the target's musl toolchain", runGo)
}

const goUsage = `Usage: mcc [--target T] go VERB [go flags] [packages] [args]

Runs the go command with cgo on and the target's musl C toolchain (installed
on first use). For build, install, test and run it adds -trimpath and merges
'-linkmode external -extldflags -static' into your -ldflags (flags that would
make the binary dynamic, such as '-linkmode internal', are refused). After
build and install, every binary written is checked: static (no interpreter,
no DT_NEEDED) and of the target's machine, else mcc exits 1 naming the file.
test and run of a foreign target run under qemu-user (-exec).

The musl build tag: build, install, test, run, vet and list get -tags musl,
merged with your -tags (-tags=a,b, -tags 'a b'; of several -tags go keeps
the last; with none, the -tags in GOFLAGS), so packages that ship a musl
build of their C code (//go:build musl) pick it. MCC_MUSL_TAG=0 turns this
off. When the link fails on symbols only glibc defines (__printf_chk,
__isoc99_sscanf, getcontext, ...), mcc's last line names the archive that
was compiled for glibc and what to do.

The target is --target, else GOOS/GOARCH/GOARM, else this machine.

Examples:
  mcc go build -o app .
  mcc --target linux/arm64 go build -o out/ ./cmd/...
  mcc --target linux/riscv64 go test ./...
`

func runGo(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(a.stdout, goUsage)
		if len(args) == 0 {
			return &exitError{code: exitUsage}
		}
		return nil
	}
	// Refuse contradicting flags before any toolchain work.
	o := gobuild.Options{Verb: args[0], Args: args[1:]}
	if _, _, err := gobuild.Command(o); err != nil {
		return err
	}
	t, tc, err := a.installToolchain(ctx)
	if err != nil {
		return err
	}
	o.Env, o.CC, o.GoEnv, o.Trace = os.Environ(), tc.CC, t.GoEnv(), a.trace()
	o.Stdin, o.Stdout, o.Stderr = os.Stdin, a.stdout, a.stderr
	if a.json {
		o.Stdout = a.stderr // stdout carries only the JSON result
	}
	if !t.Native() {
		o.Exec, o.Env = t.QEMU, t.EmulatorEnv(o.Env) // go test/run pass it on to the emulated program
	}
	reports, err := gobuild.Checked(ctx, o, elfcheck.Want{Machine: t.Machine, Class: t.Class}, func(r *elfcheck.Report) {
		if a.verbose && !a.json {
			fmt.Fprintln(a.stderr, r.Summary())
		}
	})
	if err = a.result(err, map[string]any{"binaries": reports}); err != nil {
		return err
	}
	if bad := elfcheck.Failing(reports); len(bad) > 0 {
		return errors.New(bad[0].Summary())
	}
	return nil
}
