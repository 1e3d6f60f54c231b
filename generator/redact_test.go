package generator

import "testing"

func TestShortenTokens(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/track/amjmobezssjp5pia4iukcejbpm/", "/track/amjm…/"},
		{"upload  track/amjmobezssjp5pia4iukcejbpm/index.html (6 KiB): new", "upload  track/amjm…/index.html (6 KiB): new"},
		{"site/track/3f1c9a7be40d52e86a1c0f9d3b7e2a64/index.html", "site/track/3f1c…/index.html"},
		{"qdn: invalidated /track/amjmobezssjp5pia4iukcejbpm/ /track/amjmobezssjp5pia4iukcejbpm/index.html /about/",
			"qdn: invalidated /track/amjm…/ /track/amjm…/index.html /about/"},
		{"/track/ /track/abc/ /about/ /racetrack/amjmobezssjp5pia4iukcejbpm/", "/track/ /track/abc/ /about/ /racetrack/amjmobezssjp5pia4iukcejbpm/"},
	} {
		if got := ShortenTokens(tc.in); got != tc.want {
			t.Errorf("ShortenTokens(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
