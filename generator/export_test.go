package generator

// SetPrivacyCheck turns the privacy check of Build on or off, for the
// benchmarks.
func SetPrivacyCheck(on bool) { skipPrivacyCheck = !on }

// CheckPrivacy runs the privacy check of a build that rendered every output.
func CheckPrivacy(s *Site, out *Output) error {
	_, err := checkAll(s, out)
	return err
}
