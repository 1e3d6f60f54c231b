package generator

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelShares holds up the call for index 0 until every other index
// is done: the other worker must take them all, not only its own half.
func TestParallelShares(t *testing.T) {
	const n = 100
	var done atomic.Int64
	rest := make(chan struct{})
	calls := make([]int, n)
	parallel(n, 2, func(i int) {
		calls[i]++
		if i == 0 {
			select {
			case <-rest:
			case <-time.After(10 * time.Second):
				t.Errorf("index 0 waited 10 s; %d of the other %d indexes are done", done.Load(), n-1)
			}
			return
		}
		if done.Add(1) == n-1 {
			close(rest)
		}
	})
	for i, c := range calls {
		if c != 1 {
			t.Errorf("fn(%d) called %d times; want once", i, c)
		}
	}
}
