//go:build unix

package generator

import (
	"io/fs"
	"os"
	"syscall"
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
