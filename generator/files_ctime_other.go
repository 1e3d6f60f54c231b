//go:build !linux && !darwin

package generator

import "io/fs"

// changeTime is 0: Windows keeps a change time that os.Stat does not
// give, and a directory's stamp there is its modification time alone.
func changeTime(fs.FileInfo) int64 { return 0 }
