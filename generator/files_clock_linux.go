//go:build linux

package generator

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// clockTick is how far a file's modification time may lag behind the
// moment it was written. Linux stamps files from its coarse clock, which
// moves once a scheduler tick (1 to 10 ms, after CONFIG_HZ), even on file
// systems that keep nanoseconds (ext4, xfs, btrfs, tmpfs); the kernel
// reports that tick as the resolution of CLOCK_REALTIME_COARSE.
var clockTick = sync.OnceValue(func() int64 {
	var ts unix.Timespec
	if err := unix.ClockGetres(unix.CLOCK_REALTIME_COARSE, &ts); err != nil || ts.Nano() <= 0 {
		return int64(10 * time.Millisecond)
	}
	return ts.Nano()
})

// fileClock is the moment now as the kernel stamps files: its coarse clock,
// which can lag the precise one by more than a tick when the machine is
// busy (a virtual CPU that is not running does not move it). A file changed
// after fileClock returned T gets a modification time of T or later, which
// is what the racy rule needs; the precise clock can be ahead of any stamp
// the file will get.
func fileClock() time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts); err != nil {
		return time.Now().Add(-time.Duration(clockTick()))
	}
	return time.Unix(ts.Unix())
}
