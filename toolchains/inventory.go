package toolchains

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mcc-build/mcc/internal/badinput"
	"github.com/mcc-build/mcc/sysroots"
)

// What 'mcc toolchain' reports: installs, the target list, store checks
// and prunes, as values the command prints as text or JSON. Fields are in
// alphabetical order so the JSON reads as it did when the command printed
// maps.

// Installed is one toolchain or Mono runtime in the store.
type Installed struct {
	Built  bool   `json:"built"` // this call built it (else it was cached)
	Key    string `json:"key"`
	Path   string `json:"path"` // the cc wrapper, or the Mono runtime
	Target string `json:"target"`
}

// Status says whether a target can be built here and whether it is.
type Status struct {
	Package string `json:"package"` // the Debian cross compiler package
	Status  string `json:"status"`
	Target  string `json:"target"`
}

// EntryCheck is the re-hash of one store entry against its manifest.
type EntryCheck struct {
	Key      string   `json:"key"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
}

// Buildable lists the targets whose cross compiler this machine has.
func Buildable() []Target {
	var ts []Target
	for _, t := range Targets() {
		if _, _, err := Compiler(t); err == nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// PickMono keeps the targets that have a Mono recipe, decided before
// anything is built. With all (--all) the others are skipped and skipped
// says so; a target without a recipe given alone is bad input.
func PickMono(ts []Target, all bool) (keep []Target, skipped string, err error) {
	supported := MonoTargets()
	var without []string
	for _, t := range ts {
		if slices.Contains(supported, t.Name) {
			keep = append(keep, t)
		} else {
			without = append(without, t.Name)
		}
	}
	switch {
	case len(without) == 0:
		return keep, "", nil
	case !all || len(keep) == 0:
		return nil, "", badinput.Errorf("no static Mono runtime recipe for %s: use --target with one of %s", strings.Join(without, ", "), strings.Join(supported, ", "))
	}
	return keep, fmt.Sprintf("no static Mono runtime recipe for %s: skipped (recipes: %s)", strings.Join(without, ", "), strings.Join(supported, ", ")), nil
}

// InstallFor installs what 'mcc toolchain install' is asked for (see
// Select): the toolchain or, with mono, the static Mono runtime of each
// target in turn. It calls warn with the targets it skips and done after
// each install, so progress shows before a later target fails.
func (in *Installer) InstallFor(ctx context.Context, flag string, all, mono bool, warn func(string), done func(Installed)) error {
	ts, skipped, err := Select(flag, all, mono)
	if err != nil {
		return err
	}
	if skipped != "" {
		warn(skipped)
	}
	for _, t := range ts {
		r := Installed{Target: t.Name}
		if mono {
			rt, err := InstallMono(ctx, in, t)
			if err != nil {
				return err
			}
			r.Path, r.Key, r.Built = rt.Runtime, rt.Key, rt.Built
		} else {
			tc, err := in.Install(ctx, t)
			if err != nil {
				return err
			}
			r.Path, r.Key, r.Built = tc.CC, tc.Key, tc.Built
		}
		done(r)
	}
	return nil
}

// InstallTarget installs the toolchain of the target flag names (else
// the environment's GOOS/GOARCH/GOARM, else the host).
func (in *Installer) InstallTarget(ctx context.Context, flag string) (*Toolchain, error) {
	t, err := Resolve(flag)
	if err != nil {
		return nil, err
	}
	return in.Install(ctx, t)
}

// Inventory says for every target whether its compiler is missing, its
// toolchain installed (and intact), or it can be built.
func (in *Installer) Inventory() []Status {
	var rows []Status
	for _, t := range Targets() {
		status := "available"
		if _, _, err := Compiler(t); err != nil {
			status = "needs apt-get install " + t.Package
		} else if tc, ok, err := in.Installed(t); ok {
			status = "installed " + tc.CC
		} else if err != nil {
			status = "damaged: " + err.Error()
		}
		rows = append(rows, Status{Target: t.Name, Package: t.Package, Status: status})
	}
	return rows
}

// VerifyStore re-hashes every store entry against its manifest.
func (in *Installer) VerifyStore() ([]EntryCheck, error) {
	keys, err := in.Store.Keys()
	if err != nil {
		return nil, err
	}
	var checks []EntryCheck
	for _, k := range keys {
		problems, err := in.Store.Verify(k)
		if err != nil {
			problems = []string{err.Error()}
		}
		checks = append(checks, EntryCheck{Key: k, OK: len(problems) == 0, Problems: problems})
	}
	return checks, nil
}

// Prune cleans the store's leftovers, removes the C toolchains of older
// recipes or compilers (with all, every entry) and the fetched blobs no pin
// of this mcc names. It returns what went.
func (in *Installer) Prune(ctx context.Context, all bool) ([]string, error) {
	removed, err := in.Store.Clean(ctx)
	if err != nil {
		return nil, err
	}
	current := map[string]bool{}
	for _, t := range Targets() {
		if k, _, _, err := in.Key(t); err == nil {
			current[k] = true
		}
	}
	keys, err := in.Store.Keys()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		// Without all only C toolchains of older recipes or compilers go;
		// other entries (Mono runtimes) are kept.
		if all || strings.HasPrefix(k, "musl-") && !current[k] {
			if err := in.Store.Remove(ctx, k); err != nil {
				return nil, err
			}
			removed = append(removed, k)
		}
	}
	blobs, err := in.Store.RemoveBlobsExcept(func(sum string) bool {
		_, pinned := sysroots.BySHA256(sum)
		return pinned
	})
	return append(removed, blobs...), err
}

// Select picks what an install works on: the one target named by flag
// (else the environment, else the host), or with all every buildable
// target; with mono only those with a Mono recipe (see PickMono).
func Select(flag string, all, mono bool) (ts []Target, skipped string, err error) {
	if all {
		ts = Buildable()
	} else {
		t, err := Resolve(flag)
		if err != nil {
			return nil, "", err
		}
		ts = []Target{t}
	}
	if !mono {
		return ts, "", nil
	}
	return PickMono(ts, all)
}

// Damaged is the job failure of a store with damaged entries, else nil.
func Damaged(checks []EntryCheck) error {
	n := 0
	for _, c := range checks {
		if !c.OK {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d store entries are damaged: run 'mcc toolchain prune --all' and install again", n, len(checks))
}

func (r Installed) String() string {
	how := "cached"
	if r.Built {
		how = "built"
	}
	return fmt.Sprintf("%s: %s (%s)", r.Target, r.Path, how)
}

func (s Status) String() string { return fmt.Sprintf("%-14s %s", s.Target, s.Status) }

func (c EntryCheck) String() string {
	if c.OK {
		return c.Key + ": ok"
	}
	return c.Key + ": DAMAGED: " + strings.Join(c.Problems, "; ")
}
