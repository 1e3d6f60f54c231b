//go:build unix

package deploy

import (
	"errors"
	"syscall"
)

// processGone reports whether no process with the id pid exists on this
// machine. Signal 0 checks without sending anything; EPERM means the
// process exists but belongs to another user.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
