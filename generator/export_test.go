package generator

// SetPrivacyCheck turns the privacy check of Build on or off, for the
// benchmarks.
func SetPrivacyCheck(on bool) { skipPrivacyCheck = !on }
