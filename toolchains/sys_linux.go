package toolchains

import (
	"os"
	"os/exec"
	"syscall"
)

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}

// killGroupOnCancel runs cmd in its own process group and, when its context
// ends (Ctrl-C), kills the whole group: make's compilers must not go on
// writing into a build dir that is being removed.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
