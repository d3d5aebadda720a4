package store

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fileID identifies a file across names: device and inode.
type fileID struct{ dev, ino uint64 }

func idOf(info os.FileInfo) fileID {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), st.Ino}
	}
	return fileID{}
}

// changeStamp is what changes whenever a file's bytes or mode change:
// inode, size and ctime. ctime cannot be set back by a user (touch sets
// mtime only), so an unchanged stamp means unchanged bytes.
func changeStamp(info os.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return strconv.FormatUint(st.Ino, 10) + "." + strconv.FormatInt(st.Size, 10) + "." +
		strconv.FormatInt(st.Ctim.Sec, 10) + "." + strconv.FormatInt(st.Ctim.Nsec, 10)
}

// pids lists the processes in /proc.
func pids() []int {
	ents, _ := os.ReadDir("/proc")
	var ps []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			ps = append(ps, pid)
		}
	}
	return ps
}

// openFiles is the set of files some process we may inspect holds open
// (processes of other users are not readable and so not counted).
func openFiles() map[fileID]bool {
	held := map[fileID]bool{}
	for _, pid := range pids() {
		fdDir := "/proc/" + strconv.Itoa(pid) + "/fd"
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			if info, err := os.Stat(filepath.Join(fdDir, fd.Name())); err == nil {
				held[idOf(info)] = true
			}
		}
	}
	return held
}

// processAlive says whether pid exists (a zombie counts as gone).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// ProcessesIn lists the processes (other than this one) whose working
// directory is dir or below it, even if dir was already removed (the
// kernel then adds " (deleted)"). Tests use it to prove nothing survives.
func ProcessesIn(dir string) []int {
	var in []int
	for _, pid := range pids() {
		if pid == os.Getpid() {
			continue
		}
		cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
		if err != nil {
			continue // gone, a zombie, or not ours to inspect
		}
		cwd = strings.TrimSuffix(cwd, " (deleted)")
		if cwd == dir || strings.HasPrefix(cwd, dir+"/") {
			in = append(in, pid)
		}
	}
	return in
}

// killProcessesIn SIGKILLs every process working inside dir (a build dir
// of the store whose builder was killed) and waits up to 5 s for them to
// go, so they cannot write into the dir while it is removed. Only
// processes whose cwd is inside dir are touched. It scans again until none
// is left, since a make may start a child between scan and kill.
func killProcessesIn(dir string) (killed []int) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var round []int
		for _, pid := range ProcessesIn(dir) {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				round = append(round, pid)
			}
		}
		if len(round) == 0 {
			return killed
		}
		killed = append(killed, round...)
		for _, pid := range round {
			for processAlive(pid) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	return killed
}
