package generator

import (
	"fmt"
	"strings"
)

// TrackURL is the link a customer gets for the job with token: site.base_url
// followed by /track/<token>/.
func (c *Config) TrackURL(token string) string {
	return c.Site.BaseURL + "/track/" + token + "/"
}

// TextMessage is a ready-to-send text message with the tracking link of j.
// It is plain ASCII apart from what the dispatcher typed, so that it fits the
// cheapest SMS encoding, and names the dispatch number for questions.
func (c *Config) TextMessage(j *Job) string {
	name, _, _ := strings.Cut(strings.TrimSpace(j.Customer.Name), " ")
	var b strings.Builder
	fmt.Fprintf(&b, "Hi %s, this is %s. You can follow your job here: %s", name, c.Site.Name, c.TrackURL(j.Token))
	if c.Site.Phone != "" {
		fmt.Fprintf(&b, " Questions? Call or text %s.", c.Site.Phone)
	}
	return b.String()
}
