//go:build unix

package generator

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openFlags are added to every open of a source. O_NONBLOCK makes the open
// of a named pipe return at once instead of waiting for a writer, so that
// the check on the open file can refuse it; it changes nothing for a regular
// file. O_NOCTTY keeps a terminal device from becoming the process's own.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY

// writableByOthers reports whether a user other than this process's could
// write in the directory info describes: it is theirs, or its group or
// everyone may write it.
func writableByOthers(info fs.FileInfo) bool {
	if info.Mode().Perm()&0o022 != 0 {
		return true
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) != os.Getuid()
}

// listDir lists the directory f, opened through the site's root. A file
// of a root lists with one lstat per entry, to learn what the directory
// entry already says; a duplicate of its descriptor outside the root
// lists with the entry's type alone, which is all the callers need (a job
// directory of 10,000 files costs 10,000 system calls less). What f names
// was decided when it was opened, so the duplicate reads the same
// directory.
func listDir(f *os.File) ([]fs.DirEntry, error) {
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return f.ReadDir(-1)
	}
	unix.CloseOnExec(fd)
	d := os.NewFile(uintptr(fd), f.Name())
	defer d.Close()
	return d.ReadDir(-1)
}
