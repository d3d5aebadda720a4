package toolchains

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}

// guardScript runs "$@" in the background and waits for it; on SIGTERM it
// SIGKILLs its whole process group. The kernel sends that SIGTERM when mcc
// dies (Pdeathsig), even by SIGKILL, so make's compilers die with mcc:
// Pdeathsig alone reaches only the direct child, and a SIGKILLed make
// leaves its cc1 and configure's tests running. fd 3 passes stdin on,
// which sh would otherwise replace with /dev/null for a background job.
const guardScript = `trap 'trap - TERM; kill -KILL 0' TERM; exec 3<&0; "$@" <&3 3<&- & wait $!`

// guarded makes a command that runs args under guardScript, in a process
// group of its own; when ctx ends (Ctrl-C) the whole group is SIGKILLed,
// so nothing goes on writing into a build dir that is being removed.
func guarded(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", guardScript, "mcc-build-guard"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Output goes through a pipe when the log is not a file: do not wait
	// forever for a straggler holding it open.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runGuarded runs cmd with its goroutine locked to one OS thread from start
// to end. Pdeathsig fires when the *thread* that started the child exits,
// and Go ends a thread when a goroutine locked to it returns without
// unlocking: were the thread shared, such a goroutine could take it over
// and kill the build when it ends. Locked, the thread is this goroutine's
// until the child has exited.
func runGuarded(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cmd.Run()
}
