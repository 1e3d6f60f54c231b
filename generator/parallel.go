package generator

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls fn(i) for every i below n on `workers` goroutines (one per
// CPU when workers is 0) and returns when all calls have. Each fn writes
// only its own slot of the caller's result slices, so nothing is locked;
// errors are collected by the caller, every one of them.
func parallel(n, workers int, fn func(i int)) {
	_ = parallelCtx(context.Background(), n, workers, fn)
}

// parallelCtx is parallel that stops calling fn once ctx is cancelled: the
// calls under way finish, no new one starts, and it returns ctx's error.
// Slots whose fn was not called keep their zero values.
func parallelCtx(ctx context.Context, n, workers int, fn func(i int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	done := ctx.Done()
	// Each worker takes the next index not yet taken, so that one slowed
	// down (by the collector, or by another process on its core) leaves
	// its share to the others rather than keeping them waiting at the end.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				select {
				case <-done:
					return
				default:
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
