package deploy

import (
	"context"
	"runtime"
)

// SetPartialFrom sets how many keys a bucket must hold for a partial
// listing, for a test that cannot publish thousands of objects, and
// returns the function that puts it back.
func SetPartialFrom(n int) (restore func()) {
	old := partialFrom
	partialFrom = n
	return func() { partialFrom = old }
}

// HeldBytes returns the bytes f holds in memory: those NewFile was given,
// none for the Files of a build.
func (f File) HeldBytes() []byte {
	if f.src == nil {
		return nil
	}
	return f.src.body
}

// Wrote is what WriteManifest measured.
type Wrote struct {
	Size      int64
	Allocated uint64
}

// WriteManifest writes, as s's manifest, the entries of files, each with
// the ETag "etag", as a sync does once it uploaded them, and returns the
// size of the manifest and the bytes allocated while it was written.
func WriteManifest(ctx context.Context, s *Syncer, files []File, commit string) (Wrote, error) {
	etags := make([]string, len(files))
	p := &Plan{files: files, manifest: &Manifest{}}
	for i, f := range files {
		p.Uploads = append(p.Uploads, Action{Key: s.Prefix + f.Path, Path: f.Path, Size: f.Size})
		etags[i] = "etag"
	}
	m := s.nextManifest(p, etags, Deploy{Commit: commit})
	r, err := newManifestStream(m)
	if err != nil {
		return Wrote{}, err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = s.putManifest(ctx, m)
	runtime.ReadMemStats(&after)
	return Wrote{Size: r.size, Allocated: after.TotalAlloc - before.TotalAlloc}, err
}
