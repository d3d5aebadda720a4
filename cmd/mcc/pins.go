package main

import (
	"context"
	"fmt"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/sysroots"
)

func init() {
	register("pins", "list the pinned inputs, or check that their sources still serve them", runPins)
}

const pinsUsage = `Usage: mcc pins list
       mcc pins fetch PIN...
       mcc pins check [PIN...]

Every input mcc builds from is pinned in sysroots/*.json by role (musl-source,
mono-source, kernel-headers-amd64, ca-roots, zoneinfo, ...): its sha256, size,
and locations that a machine with internet reaches: an upstream release URL,
a path in a Debian archive (resolved against the archives apt uses, or
$MCC_DEBIAN_ARCHIVE), or a Go module version (resolved through $GOPROXY).

list    prints each pin, its file and its locations.
fetch   gets each pin into the store the way every command does (store,
        local mirror, --mirror, then its locations) and prints its path.
check   downloads the pin from every URL of every location (never from the
        store or a mirror) and says whether each serves the pinned bytes, and
        each signature location a signature by the pinned key. Exit 1 when a
        pin has no location serving it. For maintainers and CI.

Example:
  mcc pins check musl-source
`

func runPins(ctx context.Context, a *app, args []string) error {
	fs := newFlags("pins")
	if err := a.parse(fs, pinsUsage, args); err != nil {
		return err
	}
	verb := fs.Arg(0)
	if verb != "list" && verb != "check" && (verb != "fetch" || fs.NArg() < 2) {
		return usagef("usage: mcc pins list | fetch PIN... | check [PIN...] (see mcc pins --help)")
	}
	pins, err := sysroots.Select(fs.Args()[1:])
	if err != nil {
		return err
	}
	if verb == "list" {
		for _, p := range pins {
			a.line(p.Describe())
		}
		return a.result(nil, pins)
	}
	f, err := a.fetcher()
	if err != nil {
		return err
	}
	if verb == "fetch" {
		for _, p := range pins {
			res, err := f.Fetch(ctx, p)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, res.Path)
		}
		return nil
	}
	checks, err := f.CheckPins(ctx, pins, func(c []fetch.URLCheck) {
		for _, l := range fetch.CheckLines(c) {
			a.line(l)
		}
	})
	if err = a.result(err, checks); err != nil {
		return err
	}
	return fetch.Unserved(checks, pins)
}
