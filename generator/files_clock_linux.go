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
