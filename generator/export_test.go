package generator

// SetPrivacyCheck turns the privacy check of Build on or off, for the
// benchmarks.
func SetPrivacyCheck(on bool) { skipPrivacyCheck = !on }

// SetAfterWrite has every write call f after each file it writes, until the
// returned function is called.
func SetAfterWrite(f func(path string)) (reset func()) {
	afterWrite = f
	return func() { afterWrite = nil }
}
