package main

import (
	"context"
	"os"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/mirror"
	"github.com/mcc-build/mcc/internal/progress"
	"github.com/mcc-build/mcc/internal/store"
	"github.com/mcc-build/mcc/toolchains"
)

// openStore opens --cache, else $MCC_CACHE, else the user cache dir.
func (a *app) openStore() (*store.Store, error) {
	dir := a.cache
	if dir == "" {
		d, err := store.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return store.Open(dir)
}

func (a *app) isOffline() bool {
	return a.offline || os.Getenv("MCC_OFFLINE") == "1"
}

func (a *app) progress() *progress.Reporter { return progress.New(a.stderr, a.progressOn()) }

// installer wires the store, the fetcher and progress for toolchain work.
func (a *app) installer() (*toolchains.Installer, error) {
	s, err := a.openStore()
	if err != nil {
		return nil, err
	}
	pr := a.progress()
	return &toolchains.Installer{Store: s, Fetcher: a.newFetcher(s, pr), Progress: pr, Log: a.trace()}, nil
}

// fetcher is the one way every command gets pinned inputs: the store,
// then the local mirror, then --mirror/$MCC_MIRROR, then (unless
// --offline) the pins' own locations, with progress on a terminal.
func (a *app) fetcher() (*fetch.Fetcher, error) {
	s, err := a.openStore()
	if err != nil {
		return nil, err
	}
	return a.newFetcher(s, a.progress()), nil
}

func (a *app) newFetcher(s *store.Store, pr *progress.Reporter) *fetch.Fetcher {
	return &fetch.Fetcher{Store: s, Mirrors: mirror.List(a.mirrors), Offline: a.isOffline(), Progress: pr}
}

// resolveTarget is --target, else GOOS/GOARCH/GOARM, else the host.
func (a *app) resolveTarget() (toolchains.Target, error) {
	return toolchains.Resolve(a.target)
}

// installToolchain resolves the target and installs its toolchain if needed.
func (a *app) installToolchain(ctx context.Context) (toolchains.Target, *toolchains.Toolchain, error) {
	t, err := a.resolveTarget()
	if err != nil {
		return t, nil, err
	}
	in, err := a.installer()
	if err != nil {
		return t, nil, err
	}
	tc, err := in.Install(ctx, t)
	return t, tc, err
}
