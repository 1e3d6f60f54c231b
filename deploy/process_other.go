//go:build !unix

package deploy

// processGone reports whether no process with the id pid exists. Off Unix
// qdn cannot tell cheaply, and says no: a lock left by a process that died
// ends with its lease.
func processGone(pid int) bool { return false }
