package toolchains

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// runner runs the build commands of a recipe (the musl sysroot, the Mono
// runtime): in dir, with a fixed environment, output to log. Nothing it
// starts outlives mcc: see guarded.
type runner struct {
	ctx context.Context
	dir string
	env []string
	log io.Writer
}

// command makes a guarded command for args with its output in the log.
func (r *runner) command(args ...string) *exec.Cmd {
	cmd := guarded(r.ctx, args)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.Stdout, cmd.Stderr = r.log, r.log
	return cmd
}

// run runs args, logging the command line first. If ctx ended, the error
// is ctx's, else it names the program.
func (r *runner) run(args ...string) error {
	fmt.Fprintf(r.log, "+ %s\n", strings.Join(args, " "))
	return r.wait(r.command(args...), args[0])
}

// output runs args and returns what they wrote to stdout.
func (r *runner) output(args ...string) ([]byte, error) {
	var out strings.Builder
	cmd := r.command(args...)
	cmd.Stdout = &out
	err := r.wait(cmd, args[0])
	return []byte(out.String()), err
}

func (r *runner) wait(cmd *exec.Cmd, prog string) error {
	if !strings.Contains(prog, "/") {
		// The guard shell would only say "not found" with exit status 127.
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("%s: %w", prog, err)
		}
	}
	if err := runGuarded(cmd); err != nil {
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		return fmt.Errorf("%s: %w", filepath.Base(prog), err)
	}
	return nil
}

// fixedEnv is the environment recipes build in, plus extra: the user's
// CFLAGS, locale or time zone must not change what is built.
func fixedEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent", "LC_ALL=C", "TZ=UTC"}, extra...)
}

// openBuildLog creates the build log at path; output written to the
// returned writer also goes to also (-v) when it is set.
func openBuildLog(path string, also io.Writer) (io.Writer, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	closeLog := func() { f.Close() }
	if also != nil {
		return io.MultiWriter(f, also), closeLog, nil
	}
	return f, closeLog, nil
}
