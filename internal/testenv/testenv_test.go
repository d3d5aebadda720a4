package testenv

import (
	"testing"
)

// recorder is a testing.TB that records how a test was stopped instead of
// stopping it.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = args[0].(string) }
func (r *recorder) Skip(args ...any)  { r.skip = args[0].(string) }

func TestRequire(t *testing.T) {
	tests := []struct {
		name, ci            string
		ok                  bool
		wantFatal, wantSkip bool
	}{
		{name: "present, locally", ok: true},
		{name: "present, in CI", ci: "true", ok: true},
		{name: "missing, locally: skipped", wantSkip: true},
		{name: "missing, in CI: failed", ci: "1", wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{}
			Require(r, "qemu-aarch64 is not installed: run 'make setup'", tt.ok)
			if (r.fatal != "") != tt.wantFatal || (r.skip != "") != tt.wantSkip {
				t.Fatalf("fatal %q, skip %q; want fatal %v, skip %v", r.fatal, r.skip, tt.wantFatal, tt.wantSkip)
			}
			if got := r.fatal + r.skip; (tt.wantFatal || tt.wantSkip) && got != "qemu-aarch64 is not installed: run 'make setup'" {
				t.Errorf("message %q does not say what is missing", got)
			}
		})
	}
}

func TestStoreFromEnv(t *testing.T) {
	t.Setenv("MCC_TEST_STORE", "/shared/store")
	if got := Store(t); got != "/shared/store" {
		t.Errorf("Store = %q, want $MCC_TEST_STORE", got)
	}
	t.Setenv("MCC_TEST_STORE", "")
	if got := Store(t); got == "" || got == "/shared/store" {
		t.Errorf("Store without MCC_TEST_STORE = %q, want a temp dir", got)
	}
}
