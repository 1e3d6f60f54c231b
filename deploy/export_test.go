package deploy

// SetPartialFrom sets how many keys a bucket must hold for a partial
// listing, for a test that cannot publish thousands of objects, and
// returns the function that puts it back.
func SetPartialFrom(n int) (restore func()) {
	old := partialFrom
	partialFrom = n
	return func() { partialFrom = old }
}
