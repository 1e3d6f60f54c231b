//go:build !linux

package generator

import "time"

// clockTick is how far a file's modification time may lag behind the
// moment it was written: Windows stamps files from its system time, which
// moves every 15.6 ms by default, though NTFS keeps 100 ns; macOS stamps
// APFS files from a finer clock. 20 ms covers both.
func clockTick() int64 { return int64(20 * time.Millisecond) }

// fileClock is the moment now, as the racy rule takes it.
func fileClock() time.Time { return time.Now() }
