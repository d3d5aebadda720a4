package toolchains

import (
	"os/exec"
)

// Run makes a command that runs bin, a program built for t: directly on
// its own host, else under t's qemu-user emulator (binfmt_misc may not be
// registered, so mcc never relies on it).
func Run(t Target, bin string, args ...string) *exec.Cmd {
	if t.Native() {
		return exec.Command(bin, args...)
	}
	return exec.Command(t.QEMU, append([]string{bin}, args...)...)
}
