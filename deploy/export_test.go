package deploy

// SetPartialFrom sets how many keys a bucket must hold for a partial
// listing, for a test that cannot publish thousands of objects, and
// returns the function that puts it back.
func SetPartialFrom(n int) (restore func()) {
	old := partialFrom
	partialFrom = n
	return func() { partialFrom = old }
}

// HeldBytes returns the bytes f holds in memory: those NewFile was given,
// none for the Files of a build.
func (f File) HeldBytes() []byte {
	if f.src == nil {
		return nil
	}
	return f.src.body
}
