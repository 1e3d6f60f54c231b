package generator

import (
	"os"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// writeFileAtomic replaces path with b, so a reader sees the old or the new
// bytes, never a part. Build output is made again by the next build, so it
// is not synced to disk.
func writeFileAtomic(path string, b []byte) error {
	return atomicfile.Write(path, b, 0o644, atomicfile.NoSync)
}

// writeAtomic durably replaces rel, under the site root r, with b (see
// atomicfile.WriteIn). Job files are the only copy of a dispatcher's work,
// so unlike build output they are synced.
func writeAtomic(r *os.Root, rel string, b []byte) error {
	return atomicfile.WriteIn(r, rel, b, 0o644)
}
