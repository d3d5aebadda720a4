package gobuild

import (
	"context"
	"fmt"

	"github.com/mcc-build/mcc/internal/elfcheck"
)

// Checked runs o, then proves each binary go wrote static and of want's
// machine, calling each with every report as it is made. A file that is
// not a program is an error; a binary with problems is not, so that the
// caller can report all of them (elfcheck.Failing) before failing.
func Checked(ctx context.Context, o Options, want elfcheck.Want, each func(*elfcheck.Report)) ([]*elfcheck.Report, error) {
	outs, err := Run(ctx, o)
	if err != nil {
		return nil, err
	}
	reports, err := elfcheck.CheckAll(outs, want, each)
	if err != nil {
		return reports, fmt.Errorf("go wrote %s, which is not a program (a non-main package?): %w", outs[len(reports)], err)
	}
	return reports, nil
}
