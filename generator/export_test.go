package generator

import (
	"context"
	"time"
)

// SetPrivacyCheck turns the privacy check of Build on or off, for the
// benchmarks.
func SetPrivacyCheck(on bool) { skipPrivacyCheck = !on }

// KeptReads is how many kept outputs the privacy checks of this process
// have read back.
func KeptReads() int64 { return keptReads.Load() }

// TrackTrusted is how many builds of this process trusted public/track
// without reading it.
func TrackTrusted() int64 { return trackTrusted.Load() }

// JobsTrusted is how many builds of this process took the job files from
// the cache without listing jobs/.
func JobsTrusted() int64 { return jobsTrusted.Load() }

// JobChecksKept is how many builds of this process did not check their
// jobs against each other again, every job being as the cache had it.
func JobChecksKept() int64 { return jobChecksKept.Load() }

// SetAfterWrite has every write call f after each file it writes, until the
// returned function is called.
func SetAfterWrite(f func(path string)) (reset func()) {
	afterWrite = f
	return func() { afterWrite = nil }
}

// Unread is the number of outputs of o whose bytes the build left in
// public/.
func Unread(o *Output) int {
	n := o.kept.len()
	for _, b := range o.files {
		if b == nil {
			n++
		}
	}
	return n
}

// Kept is the number of tracking pages o lists apart from its map, kept
// in public/ unread (see keptPages).
func Kept(o *Output) int { return o.kept.len() }

// SetOutput puts b in o at path p, for tests that add outputs to a render.
func SetOutput(o *Output, p string, b []byte) { o.files[p] = b }

// RacyWindow is how much older than a moment a file's modification time
// must be for the build cache to trust its stamp.
func RacyWindow(mtime time.Time) time.Duration { return time.Duration(racyWindow(mtime.UnixNano())) }

// SetClock makes builds take the moments they begin reading and end
// writing from f, until the returned function is called.
func SetClock(f func() time.Time) (reset func()) {
	clock = f
	return func() { clock = fileClock }
}

// FileClock is the clock builds take those moments from.
func FileClock() time.Time { return fileClock() }

// FullIndexes is how many indexes of every pattern of a site the builds of
// this process have made.
func FullIndexes() int64 { return fullIndexes.Load() }

// SetBeforeWrite has every build call f once it has rendered and checked
// its pages, before it writes them, until the returned function is called.
func SetBeforeWrite(f func()) (reset func()) {
	beforeWrite = func(*Output) { f() }
	return func() { beforeWrite = nil }
}

// SetBatch has Build render, check and stage tracking pages batch at a time
// once it has more than hold of them to render, until the returned function
// is called.
func SetBatch(batch, hold int) (reset func()) {
	oldBatch, oldHold := batchPages, holdPages
	batchPages, holdPages = batch, hold
	return func() { batchPages, holdPages = oldBatch, oldHold }
}

// SetSkim has Build skim the files of jobs that ended long ago, or parse
// them in full, until the returned function is called.
func SetSkim(on bool) (reset func()) {
	old := skimExpired
	skimExpired = on
	return func() { skimExpired = old }
}

// Skimmed is how many job files the builds of this process skimmed.
func Skimmed() int64 { return skimmed.Load() }

// SkimJob is skimJob, for its tests.
var SkimJob = skimJob

// SetAfterValidate has Build call f once it has validated every source,
// before it renders, until the returned function is called.
func SetAfterValidate(f func()) (reset func()) {
	afterValidate = f
	return func() { afterValidate = nil }
}

// Slim is how many jobs the builds of this process kept in part (see
// slimJob).
func Slim() int64 { return slimmed.Load() }

// LoadForBuild loads the site at dir as Build does, keeping of each job
// only what a build keeps (see slimJob) when slim is set.
func LoadForBuild(ctx context.Context, dir string, opt Options, slim bool) (*Site, error) {
	return load(ctx, dir, opt, nil, skimExpired, slim)
}

// ReadJobsAgain reads and parses again, as a batched build does to render
// them, the live jobs of s that it keeps in part, batchPages at a time.
func ReadJobsAgain(ctx context.Context, s *Site) error {
	live := s.LiveJobs()
	for start := 0; start < len(live); start += batchPages {
		if _, err := s.fullJobs(ctx, live[start:min(start+batchPages, len(live))]); err != nil {
			return err
		}
	}
	return nil
}

// HeldPaths returns the output paths o keeps in its map of pages, which a
// batched build's tracking pages are not in (see Output.staged).
func HeldPaths(o *Output) []string {
	var out []string
	for p := range o.files {
		out = append(out, p)
	}
	return out
}
