package generator

import "regexp"

// trackTokenRE matches the token of a tracking path, /track/<token> or an
// output path track/<token>/..., keeping its first four characters.
var trackTokenRE = regexp.MustCompile(`(^|[^a-z0-9_.-])(track/[a-z0-9]{4})[a-z0-9]{4,}`)

// ShortenTokens returns s with the token of every tracking path in it
// shortened to its first four characters and an ellipsis:
// /track/amjmobezssjp5pia4iukcejbpm/ becomes /track/amjm…/. A full token
// is a live link to a customer's page; output that ends up in logs (a CI
// job's, an error report) shows only enough to tell pages apart.
func ShortenTokens(s string) string {
	return trackTokenRE.ReplaceAllString(s, "$1$2…")
}
