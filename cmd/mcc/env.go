package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcc-build/mcc/internal/gobuild"
)

func init() {
	register("env", "print shell exports that point go at the target's musl toolchain", runEnv)
}

const envUsage = `Usage: mcc env [--target T]

Prints shell exports (installing the toolchain if needed) so plain go
commands build static binaries for the target:

  eval "$(mcc env --target linux/arm64)"
  go build -o app .

GOFLAGS carries -trimpath, the static link flags and -tags=musl (not with
MCC_MUSL_TAG=0); mcc go does the same and also checks the binaries it
builds. A -tags on the go command line replaces GOFLAGS' -tags: add musl
to it yourself (go build -tags musl,yours), or use mcc go, which merges.
`

func runEnv(ctx context.Context, a *app, args []string) error {
	fs := newFlags("env")
	a.targetFlag(fs)
	if err := a.parse(fs, envUsage, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	t, tc, err := a.installToolchain(ctx)
	if err != nil {
		return err
	}
	vars := append(t.GoEnv(), "CGO_ENABLED=1", "CC="+tc.CC,
		"GOFLAGS="+gobuild.EnvGoFlags())
	if t.GOARM == "" {
		vars = append(vars, "GOARM=")
	}
	if a.json {
		m := map[string]string{}
		for _, v := range vars {
			k, val, _ := strings.Cut(v, "=")
			m[k] = val
		}
		return a.printJSON(m)
	}
	for _, v := range vars {
		k, val, _ := strings.Cut(v, "=")
		fmt.Fprintf(a.stdout, "export %s=%s\n", k, shellQuote(val))
	}
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
