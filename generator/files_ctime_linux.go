//go:build linux

package generator

import (
	"io/fs"
	"syscall"
)

// changeTime is the time info's inode last changed (its ctime), which no
// call can set back, or 0 when info does not say.
func changeTime(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano()
	}
	return 0
}
