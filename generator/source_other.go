//go:build !unix

package generator

import (
	"io/fs"
	"os"
)

// openFlags are added to every open of a source. Off Unix, no named pipe or
// device can sit in a directory of the site, so a plain open cannot block.
const openFlags = 0

// writableByOthers reports whether a user other than this process's could
// write in the directory info describes. Windows decides that with access
// lists that the mode bits do not show; the user's own cache directory there
// is private to them.
func writableByOthers(info fs.FileInfo) bool { return false }

// listDir lists the directory f, opened through the site's root.
func listDir(f *os.File) ([]fs.DirEntry, error) { return f.ReadDir(-1) }
