package main

import (
	"context"
	"fmt"

	"github.com/mcc-build/mcc/internal/mirror"
	"github.com/mcc-build/mcc/internal/userfile"
	"github.com/mcc-build/mcc/sysroots"
)

func init() {
	register("mirror", "check files against the pins and add them to a local mirror", runMirror)
}

const mirrorUsage = `Usage: mcc mirror add [--dir DIR] [--skip-unpinned] FILE...
       mcc mirror fill [--dir DIR]

fill gets every pinned input the way any command would (the store, the
mirrors, then the pins' own locations: release URLs, Debian archives, Go
module proxies) and puts each, with its signature, into the mirror: run it
on a connected machine to seed an offline one (copy DIR over, pass --mirror).

add:
Checks each file against mcc's pins (sha256; a .asc signature against the
pinned signing key, with its file beside it) and copies it into the local
mirror, which mcc consults before any network source. Nothing is copied
unless every file checks out. The default mirror is $MCC_MIRROR_DIR, else
$XDG_DATA_HOME/mcc/mirror, else ~/.local/share/mcc/mirror.

Example (Debian's source package holds the upstream musl release):
  apt-get source --download-only musl
  mcc mirror add musl_1.2.3.orig.tar.gz musl_1.2.3.orig.tar.gz.asc
`

func runMirror(ctx context.Context, a *app, args []string) error {
	fs := newFlags("mirror")
	dir := fs.String("dir", mirror.DefaultDir(), "mirror `DIR` to fill")
	skip := fs.Bool("skip-unpinned", false, "leave out files that match no pin instead of refusing")
	if err := a.parse(fs, mirrorUsage, args); err != nil {
		return err
	}
	var added []mirror.Added
	var err error
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "fill":
		added, err = a.fillMirror(ctx, *dir)
	case fs.NArg() >= 2 && fs.Arg(0) == "add":
		// A FIFO or a device would block the hashing forever: refuse it first.
		if err := userfile.CheckInputs(fs.Args()[1:]...); err != nil {
			return err
		}
		added, err = mirror.Add(*dir, fs.Args()[1:], *skip)
	default:
		return usagef("usage: mcc mirror add FILE... | mcc mirror fill (see mcc mirror --help)")
	}
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(added)
	}
	for _, x := range added {
		fmt.Fprintf(a.stdout, "%s: %s %s -> %s/%s\n", x.File, x.Pin, x.Kind, *dir, x.As)
	}
	return nil
}

func (a *app) fillMirror(ctx context.Context, dir string) ([]mirror.Added, error) {
	f, err := a.fetcher()
	if err != nil {
		return nil, err
	}
	return mirror.Fill(ctx, f, dir, sysroots.All())
}
