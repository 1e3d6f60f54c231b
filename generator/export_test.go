package generator

// SetPrivacyCheck turns the privacy check of Build on or off, for the
// benchmarks.
func SetPrivacyCheck(on bool) { skipPrivacyCheck = !on }

// KeptReads is how many kept outputs the privacy checks of this process
// have read back.
func KeptReads() int64 { return keptReads.Load() }
