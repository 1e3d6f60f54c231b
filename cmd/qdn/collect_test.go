package main

import "testing"

// TestHeapLimitFollowsLiveHeap checks that the collector's limit stays at
// 360 MiB while a build holds little, and keeps an eighth and a batch of
// pages above a live heap that passes it, so that the collector does not
// run over and over.
func TestHeapLimitFollowsLiveHeap(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, 360 << 20},
		{200 << 20, 360 << 20},
		{250 << 20, 360 << 20},
		{800 << 20, 964 << 20},
		{2 << 30, 2<<30 + 256<<20 + 64<<20},
	} {
		if got := heapLimit(tc.live); got != tc.want {
			t.Errorf("heapLimit(%d MiB) = %d MiB; want %d MiB", tc.live>>20, got>>20, tc.want>>20)
		}
	}
}
