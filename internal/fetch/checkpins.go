package fetch

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcc-build/mcc/sysroots"
)

// CheckPins runs Check on each pin in turn, calling each with a pin's
// results as soon as they are in, and returns them all.
func (f *Fetcher) CheckPins(ctx context.Context, pins []sysroots.Pin, each func([]URLCheck)) ([]URLCheck, error) {
	var all []URLCheck
	for _, p := range pins {
		checks, err := f.Check(ctx, p)
		all = append(all, checks...)
		if err != nil {
			return all, err
		}
		each(checks)
	}
	return all, nil
}

// Unserved is the failure of the pins that no location serves, else nil.
func Unserved(checks []URLCheck, pins []sysroots.Pin) error {
	served := map[string]bool{}
	for _, c := range checks {
		served[c.Pin] = served[c.Pin] || c.OK
	}
	var bad []string
	for _, p := range pins {
		if !served[p.Name] {
			bad = append(bad, p.Name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("no location serves pin(s) %s: fix the locations in sysroots/*.json or re-pin", strings.Join(bad, ", "))
}

// CheckLines marks each URL ok or FAIL; a 404 from one archive of a
// location that another archive serves is expected (apt's sources list
// several archives, each with its own pool) and marked "--".
func CheckLines(checks []URLCheck) []string {
	served := map[string]bool{}
	for _, c := range checks {
		served[c.Pin+" "+c.Location] = served[c.Pin+" "+c.Location] || c.OK
	}
	var lines []string
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
		lines = append(lines, fmt.Sprintf("%s %-22s %s: %s", mark, c.Pin, where, c.Status))
	}
	return lines
}
