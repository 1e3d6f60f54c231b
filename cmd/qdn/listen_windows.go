package main

import "golang.org/x/sys/windows"

// Windows reports a busy port, or an address not of this computer, with
// its socket error numbers, which are not syscall.EADDRINUSE and
// syscall.EADDRNOTAVAIL.
var (
	errAddrInUse    error = windows.WSAEADDRINUSE
	errAddrNotAvail error = windows.WSAEADDRNOTAVAIL
)
