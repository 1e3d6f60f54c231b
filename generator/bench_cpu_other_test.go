//go:build !unix

package generator_test

// cpuTime is not measured here.
func cpuTime() int64 { return -1 }
