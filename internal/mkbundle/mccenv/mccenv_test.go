package mccenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mcc-build/mcc/internal/fetch"
	"github.com/mcc-build/mcc/internal/mkbundle"
	"github.com/mcc-build/mcc/toolchains"
)

func TestOptions(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	r := mkbundle.ImageRequest{
		Bundle: "/tmp/x/app", AllowDynamic: true, CAFiles: []string{"ca.pem"},
		Files: []mkbundle.ImageFile{
			{Path: "/etc/hosts", Data: []byte(mkbundle.HostsFile)},
			{Path: "/app/lib/libgreet.so", Source: "/src/libgreet.so", Mode: 0o755},
		},
	}
	o, err := Options(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Binaries) != 1 || o.Binaries[0].Path != r.Bundle || !o.AllowDynamic || len(o.CAFiles) != 1 || !o.Created.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("options %+v", o)
	}
	if len(o.Files) != 2 || string(o.Files[0].Data) != mkbundle.HostsFile || o.Files[1].Source != "/src/libgreet.so" || o.Files[1].Mode != 0o755 || o.Files[1].Path != "/app/lib/libgreet.so" {
		t.Errorf("files %+v", o.Files)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Options(r); err == nil {
		t.Error("a bad SOURCE_DATE_EPOCH was accepted")
	}
}

// TestEnvErrors: the store's errors reach the job as they are, and the
// target is the one ResolveTarget gave.
func TestEnvErrors(t *testing.T) {
	noStore := errors.New("no store")
	arm64, err := toolchains.Lookup("linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		ResolveTarget: func() (toolchains.Target, error) { return arm64, nil },
		Installer:     func() (*toolchains.Installer, error) { return nil, noStore },
		Fetcher:       func() (*fetch.Fetcher, error) { return nil, noStore },
	}
	mt, err := e.Target()
	if err != nil || mt.Name != "linux/arm64" || mt.Machine != arm64.Machine || mt.Class != arm64.Class || mt.Native != arm64.Native() {
		t.Fatalf("Target() = %+v, %v", mt, err)
	}
	if _, err := e.Runtime(context.Background(), mt, nil); !errors.Is(err, noStore) {
		t.Errorf("Runtime: %v, want the installer's error", err)
	}
	if _, err := e.WriteImage(context.Background(), mkbundle.ImageRequest{Bundle: "app"}); !errors.Is(err, noStore) {
		t.Errorf("WriteImage: %v, want the fetcher's error", err)
	}
	// A target Target did not give is looked up by name.
	fresh := &Env{Installer: e.Installer}
	if _, err := fresh.Runtime(context.Background(), mkbundle.Target{Name: "linux/arm64"}, nil); !errors.Is(err, noStore) {
		t.Errorf("Runtime without Target: %v, want the installer's error", err)
	}
	if _, err := fresh.Runtime(context.Background(), mkbundle.Target{Name: "linux/z80"}, nil); err == nil || errors.Is(err, noStore) {
		t.Errorf("Runtime for an unknown target: %v, want the lookup's error", err)
	}
	e.ResolveTarget = func() (toolchains.Target, error) { return toolchains.Target{}, noStore }
	if _, err := e.Target(); !errors.Is(err, noStore) {
		t.Errorf("Target: %v, want ResolveTarget's error", err)
	}
}
