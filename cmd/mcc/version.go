package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	register("version", "print mcc's version and the Go it was built with", runVersion)
}

func runVersion(ctx context.Context, a *app, args []string) error {
	fs := newFlags("version")
	if err := a.parse(fs, "Usage: mcc version\n\nPrints mcc's module version and the Go toolchain that built it.\n", args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	v, goVer := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVer = bi.GoVersion
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(a.stdout, "mcc %s (%s)\n", v, goVer)
	return nil
}
