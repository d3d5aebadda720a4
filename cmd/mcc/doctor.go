package main

import (
	"context"

	"github.com/mcc-build/mcc/internal/doctor"
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

func runDoctor(ctx context.Context, a *app, args []string) error {
	fs := newFlags("doctor")
	if err := a.parse(fs, doctorUsage, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	f, err := a.fetcher()
	checks := doctor.Run(ctx, doctor.Machine{Fetcher: f, StoreErr: err})
	if a.json {
		return a.printJSON(checks) // the ok fields say it all: exit 0
	}
	for _, c := range checks {
		a.line(c)
	}
	return doctor.Failed(checks)
}
