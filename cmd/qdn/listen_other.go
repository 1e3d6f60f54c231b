//go:build !windows

package main

import "syscall"

var (
	errAddrInUse    error = syscall.EADDRINUSE
	errAddrNotAvail error = syscall.EADDRNOTAVAIL
)
