package main

import (
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/internal/mkbundle/mccenv"
)

// mkbundleJob reads mcc mkbundle's flags into a job.
func (a *app) mkbundleJob(args []string) (mkbundle.Job, error) {
	j := mkbundle.Job{
		Env:      &mccenv.Env{ResolveTarget: a.resolveTarget, Installer: a.installer, Fetcher: a.fetcher},
		Progress: a.progress(),
		Warnings: a.stderr,
	}
	fs := newFlags("mkbundle")
	fs.StringVarP(&j.Output, "output", "o", "", "write the executable to `OUT` (default: app.exe's name without .exe)")
	fs.StringVar(&j.Image, "image", "", "also write a FROM scratch image to `OUT.tar` (podman load -i OUT.tar)")
	fs.StringVar(&j.Tag, "tag", "", "image `NAME[:TAG]` (default: OUT's name:latest)")
	fs.StringArrayVar(&j.LibDirs, "lib", nil, "class-library `DIR` searched after app.exe's directory (repeatable; default: Debian's /usr/lib/mono/4.5 and its Facades)")
	fs.StringVar(&j.Libc, "libc", "musl", "`musl` (one static file) or glibc (Debian's Mono, for programs that dlopen their own native libraries)")
	fs.StringVar(&j.Runtime, "runtime", "", "use this Mono runtime `FILE` instead of mcc's (it must match the class libraries' Mono version)")
	fs.StringVar(&j.MachineConfig, "machine-config", "", "embed this machine.config `FILE` (default: "+mkbundle.DefaultMachineConfig+")")
	fs.StringArrayVar(&j.Natives, "native", nil, "link the static library `NAME=ARCHIVE.a` into the musl runtime and answer [DllImport(\"NAME\")] from it (repeatable)")
	fs.BoolVar(&j.AllowMissing, "allow-missing-native", false, "warn, not fail, when a P/Invoked native library is not found (glibc) or not linked in (musl)")
	fs.StringArrayVar(&j.CAFiles, "ca-file", nil, caFileUsage+" (with --image)")
	if err := a.parse(fs, mkbundleUsage, args); err != nil {
		return j, err
	}
	j.Files = fs.Args()
	return j, nil
}
