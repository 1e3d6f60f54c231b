//go:build !linux

package testenv

import "os/exec"

// dieWithParent does nothing where the kernel cannot kill a child with its
// parent (Pdeathsig is Linux's): a server a test started outlives a test
// binary that is killed, and goes when its terminal does.
func dieWithParent(cmd *exec.Cmd) {}
