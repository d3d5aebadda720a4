package main

import (
	"context"
	"fmt"
	"strings"

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
	pins, err := selectPins(fs.Args()[1:])
	if err != nil {
		return err
	}
	switch verb {
	case "list":
		return a.listPins(pins)
	case "fetch":
		return a.fetchPins(ctx, pins)
	}
	return a.checkPins(ctx, pins)
}

func (a *app) fetchPins(ctx context.Context, pins []sysroots.Pin) error {
	f, err := a.fetcher()
	if err != nil {
		return err
	}
	for _, p := range pins {
		res, err := f.Fetch(ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, res.Path)
	}
	return nil
}

func selectPins(names []string) ([]sysroots.Pin, error) {
	if len(names) == 0 {
		names = sysroots.Names()
	}
	var out []sysroots.Pin
	for _, n := range names {
		p, err := sysroots.Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (a *app) listPins(pins []sysroots.Pin) error {
	if a.json {
		return a.printJSON(pins)
	}
	for _, p := range pins {
		fmt.Fprintf(a.stdout, "%-22s %s  %d bytes  sha256 %s\n", p.Name, p.File, p.Size, p.SHA256)
		for _, l := range p.Locations {
			fmt.Fprintf(a.stdout, "%-22s   %s\n", "", l)
		}
	}
	return nil
}

func (a *app) checkPins(ctx context.Context, pins []sysroots.Pin) error {
	f, err := a.fetcher()
	if err != nil {
		return err
	}
	var all []fetch.URLCheck
	var bad []string
	for _, p := range pins {
		checks, err := f.Check(ctx, p)
		all = append(all, checks...)
		if err != nil {
			return err
		}
		if !anyOK(checks, p.Name) {
			bad = append(bad, p.Name)
		}
		if !a.json {
			printChecks(a, checks)
		}
	}
	if a.json {
		if err := a.printJSON(all); err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("no location serves pin(s) %s: fix the locations in sysroots/*.json or re-pin", strings.Join(bad, ", "))
	}
	return nil
}

func anyOK(checks []fetch.URLCheck, pin string) bool {
	for _, c := range checks {
		if c.OK && c.Pin == pin {
			return true
		}
	}
	return false
}

// printChecks marks each URL ok or FAIL; a 404 from one archive of a
// location that another archive serves is expected (apt's sources list
// several archives, each with its own pool) and marked "--".
func printChecks(a *app, checks []fetch.URLCheck) {
	served := map[string]bool{}
	for _, c := range checks {
		served[c.Pin+" "+c.Location] = served[c.Pin+" "+c.Location] || c.OK
	}
	for _, c := range checks {
		mark := "FAIL"
		switch {
		case c.OK:
			mark = "ok  "
		case served[c.Pin+" "+c.Location] && strings.HasPrefix(c.Status, "not found"):
			mark = "--  "
		}
		where := c.URL
		if where == "" {
			where = c.Location
		}
		fmt.Fprintf(a.stdout, "%s %-22s %s: %s\n", mark, c.Pin, where, c.Status)
	}
}
