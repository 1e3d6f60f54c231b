// Package atomicfile writes files so that a reader sees the old bytes or
// the new ones, never a part, and a crash leaves one or the other.
//
// Every write goes the same way: a new file with a random name beginning
// with TempPrefix is created exclusively in the target's directory (so a
// file or link planted under a name known in advance is never written
// through), the bytes are written, the file is synced to disk when the
// write is Durable, and it is renamed over the target, or linked to a new
// name that must not exist yet (Create). A durable write then syncs the
// directory too, where the platform allows it, so the rename itself
// survives a power cut. A temporary file is removed when anything fails;
// one left by a killed process starts with TempPrefix, a hidden name that
// qdn never reads as a source.
//
// Job files, the only copy of a dispatcher's work, are written Durable.
// Build output and the build cache, which the next build makes again, are
// written NoSync: syncing 100,000 pages would cost more than the build.
//
// On Windows a rename over a file that another process (an editor, a virus
// scanner) holds open fails for a moment; the rename is retried for up to
// about a second.
package atomicfile
