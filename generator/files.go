package generator

import "github.com/quickdumpnow/qdn/internal/atomicfile"

// writeFileAtomic replaces path with b, so a reader sees the old or the new
// bytes, never a part. Build output is made again by the next build, so it
// is not synced to disk.
func writeFileAtomic(path string, b []byte) error {
	return atomicfile.Write(path, b, 0o644, atomicfile.NoSync)
}
