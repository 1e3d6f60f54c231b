package generator

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"time"
)

// ConfigFile is the name of the site configuration at the site root.
const ConfigFile = "qdn.yaml"

// DefaultExpireAfter is how long the tracking page of a completed or
// cancelled job stays online when qdn.yaml does not say.
const DefaultExpireAfter = 720 * time.Hour

// Config is the parsed qdn.yaml.
type Config struct {
	Site     SiteConfig
	Track    TrackConfig
	Booking  BookingConfig
	Statuses map[Status]StatusText
	// Headers are per-glob overrides of the headers objects are served with.
	Headers []HeaderRule
	// Environments are the deploy targets by name, such as staging and
	// production.
	Environments map[string]*Environment
	// Monitor holds the targets of qdn status.
	Monitor MonitorConfig
}

// SiteConfig describes the business the site belongs to.
type SiteConfig struct {
	Name string
	// BaseURL is the public origin, without a trailing slash. It is used for
	// the links handed to customers, never inside built pages, so that the
	// same bytes serve staging and production.
	BaseURL  string
	Timezone string
	Location *time.Location
	// Phone is the dispatch number as shown; TelURI is its tel:/sms: form.
	Phone string
	Email string
}

// TelURI returns the phone number reduced to what a tel: or sms: URI takes.
func (s SiteConfig) TelURI() string { return telDigits(s.Phone) }

func telDigits(phone string) string {
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TrackConfig holds the settings of the tracking pages.
type TrackConfig struct {
	// ExpireAfter is how long after a job ended its page is still built.
	ExpireAfter time.Duration
}

// BookingConfig holds the settings of the booking pages.
type BookingConfig struct {
	// FormAction is where the booking form posts. Empty means the pages offer
	// prefilled sms:, tel: and mailto: links instead of a form.
	FormAction string
}

// HeaderRule sets the headers of every object whose key matches Match, a
// path.Match glob. A glob without a slash matches the file name in any
// directory.
type HeaderRule struct {
	Match        string
	CacheControl string
	ContentType  string
}

// Environment is one deploy target.
type Environment struct {
	Name           string
	Bucket         string
	Prefix         string
	Region         string
	Profile        string
	Endpoint       string
	DistributionID string
	Function       string
}

var (
	envNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	bucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// LoadConfig reads and validates dir/qdn.yaml.
func LoadConfig(dir string) (*Config, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, &Error{Pos: Pos{File: ConfigFile}, Msg: fmt.Sprintf("cannot read site configuration: %v", err),
			Hint: "run qdn in the site's root directory, or pass --site DIR"}
	}
	defer r.Close()
	return loadConfig(r)
}

// loadConfig reads and validates qdn.yaml in the site root r.
func loadConfig(r *os.Root) (*Config, error) {
	src, _, err := readSource(r, ConfigFile, maxSourceSize)
	if e := Errors(err); e != nil {
		return nil, e
	}
	if err != nil {
		return nil, &Error{Pos: Pos{File: ConfigFile}, Msg: fmt.Sprintf("cannot read site configuration: %v", err),
			Hint: "run qdn in the site's root directory, or pass --site DIR"}
	}
	var list ErrorList
	c := parseConfig(errs{file: ConfigFile, list: &list}, src)
	return c, list.Err()
}

func parseConfig(e errs, src []byte) *Config {
	c := &Config{
		Track:        TrackConfig{ExpireAfter: DefaultExpireAfter},
		Statuses:     map[Status]StatusText{},
		Environments: map[string]*Environment{},
		Monitor:      DefaultMonitor,
	}
	for s, t := range defaultStatusText {
		c.Statuses[s] = t
	}
	root := parseYAML(e, src)
	if root == nil {
		return c
	}
	var sawSite bool
	for _, f := range mapping(e, "qdn.yaml", root, []string{"site", "track", "booking", "statuses", "headers", "environments", "monitor"}) {
		switch f.Name {
		case "site":
			sawSite = true
			c.parseSite(e, f)
		case "track":
			for _, g := range mapping(e, "track", f.Value, []string{"expire_after"}) {
				s := str(e, "track.expire_after", g.Value)
				d, err := time.ParseDuration(s)
				if err != nil || d < 0 {
					l, col := pos(g.Value)
					e.at(l, col, "write a duration such as 720h (30 days) or 168h", "track.expire_after %q is not a duration", s)
					continue
				}
				c.Track.ExpireAfter = d
			}
		case "booking":
			for _, g := range mapping(e, "booking", f.Value, []string{"form_action"}) {
				s := str(e, "booking.form_action", g.Value)
				if s != "" {
					if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
						l, col := pos(g.Value)
						e.at(l, col, "write an absolute https:// URL, or leave it out to offer text, call and email links", "booking.form_action %q is not an absolute URL", s)
						continue
					}
				}
				c.Booking.FormAction = s
			}
		case "statuses":
			c.parseStatuses(e, f.Value)
		case "headers":
			c.parseHeaders(e, f.Value)
		case "environments":
			c.parseEnvironments(e, f.Value)
		case "monitor":
			c.parseMonitor(e, f.Value)
		}
	}
	if !sawSite {
		e.at(1, 1, "add a site: section with name, base_url, timezone, phone and email", "missing site section")
	}
	return c
}

func (c *Config) parseSite(e errs, f field) {
	seen := map[string]bool{}
	for _, g := range mapping(e, "site", f.Value, []string{"name", "base_url", "timezone", "phone", "email"}) {
		seen[g.Name] = true
		s := str(e, "site."+g.Name, g.Value)
		l, col := pos(g.Value)
		switch g.Name {
		case "name":
			c.Site.Name = s
		case "base_url":
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				e.at(l, col, "write the public origin, such as https://quickdumpnow.com", "site.base_url %q is not an absolute URL", s)
				continue
			}
			c.Site.BaseURL = strings.TrimRight(s, "/")
		case "timezone":
			loc, err := time.LoadLocation(s)
			if err != nil || s == "" || s == "Local" {
				e.at(l, col, "use an IANA zone name such as America/Boise", "site.timezone %q is not a time zone", s)
				continue
			}
			c.Site.Timezone, c.Site.Location = s, loc
		case "phone":
			if len(strings.TrimPrefix(telDigits(s), "+")) < 7 {
				e.at(l, col, `write the dispatch number with its country code, such as "+1 208 555 0100"`, "site.phone %q is not a phone number", s)
				continue
			}
			c.Site.Phone = s
		case "email":
			if !strings.Contains(s, "@") || strings.ContainsAny(s, " <>\"") {
				e.at(l, col, "write a plain address such as dispatch@example.com", "site.email %q is not an email address", s)
				continue
			}
			c.Site.Email = s
		}
	}
	l, col := pos(f.Key)
	for _, k := range []string{"name", "base_url", "timezone", "phone"} {
		if !seen[k] {
			e.at(l, col, "add site."+k+" to qdn.yaml", "missing site.%s", k)
		}
	}
}

func (c *Config) parseStatuses(e errs, n *node) {
	for _, f := range mapping(e, "statuses", n, nil) {
		st := Status(f.Name)
		if !st.Known() {
			e.at(f.Line, f.Col, "statuses are "+statusNames(Statuses), "unknown status %q in statuses", f.Name)
			continue
		}
		t := c.Statuses[st]
		for _, g := range mapping(e, "statuses."+f.Name, f.Value, []string{"label", "next"}) {
			s := str(e, "statuses."+f.Name+"."+g.Name, g.Value)
			if s == "" {
				l, col := pos(g.Value)
				e.at(l, col, "write the text, or remove the key to keep the default", "statuses.%s.%s is empty", f.Name, g.Name)
				continue
			}
			if g.Name == "label" {
				t.Label = s
			} else {
				t.Next = s
			}
		}
		c.Statuses[st] = t
	}
}

func (c *Config) parseHeaders(e errs, n *node) {
	for _, item := range sequence(e, "headers", n) {
		var r HeaderRule
		l, col := pos(item)
		for _, g := range mapping(e, "headers item", item, []string{"match", "cache_control", "content_type"}) {
			s := str(e, "headers."+g.Name, g.Value)
			switch g.Name {
			case "match":
				if _, err := path.Match(s, ""); err != nil || s == "" {
					gl, gc := pos(g.Value)
					e.at(gl, gc, "write a glob such as *.css or assets/*", "headers.match %q is not a valid glob", s)
					continue
				}
				r.Match = s
			case "cache_control":
				r.CacheControl = s
			case "content_type":
				r.ContentType = s
			}
		}
		if r.Match == "" {
			e.at(l, col, "give each rule a match: glob", "header rule without match")
			continue
		}
		c.Headers = append(c.Headers, r)
	}
}

func (c *Config) parseEnvironments(e errs, n *node) {
	var earlier []*Environment
	for _, f := range mapping(e, "environments", n, nil) {
		if !envNameRE.MatchString(f.Name) {
			e.at(f.Line, f.Col, "use lowercase letters, digits, - and _, such as staging", "environment name %q is not valid", f.Name)
			continue
		}
		env := &Environment{Name: f.Name}
		what := "environments." + f.Name
		for _, g := range mapping(e, what, f.Value, []string{"bucket", "prefix", "region", "profile", "endpoint", "distribution_id", "function"}) {
			s := str(e, what+"."+g.Name, g.Value)
			l, col := pos(g.Value)
			switch g.Name {
			case "bucket":
				if !bucketRE.MatchString(s) || strings.Contains(s, "..") {
					e.at(l, col, "S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens", "%s.bucket %q is not a valid bucket name", what, s)
				}
				env.Bucket = s
			case "prefix":
				if strings.HasPrefix(s, "/") || strings.Contains(s, "..") || strings.Contains(s, "//") {
					e.at(l, col, "write a key prefix such as site/ without a leading slash", "%s.prefix %q is not a valid key prefix", what, s)
				}
				if s != "" && !strings.HasSuffix(s, "/") {
					s += "/"
				}
				env.Prefix = s
			case "region":
				env.Region = s
			case "profile":
				env.Profile = s
			case "endpoint":
				if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					e.at(l, col, "write a URL such as http://127.0.0.1:9000, or leave it out for AWS", "%s.endpoint %q is not a URL", what, s)
				}
				env.Endpoint = s
			case "distribution_id":
				env.DistributionID = s
			case "function":
				env.Function = s
			}
		}
		if env.Bucket == "" {
			e.at(f.Line, f.Col, "add "+what+".bucket", "environment %q has no bucket", f.Name)
		} else if o := overlapping(env, earlier); o != nil {
			// A sync deletes what its prefix holds and the manifest does
			// not name: it would delete the other environment's site.
			e.at(f.Line, f.Col, "give each environment its own bucket, or prefixes neither of which starts the other, such as staging/ and production/",
				"environments %s and %s share bucket %q with prefixes %q and %q: a sync of one would delete the other's objects", o.Name, f.Name, env.Bucket, o.Prefix, env.Prefix)
		}
		earlier = append(earlier, env)
		c.Environments[f.Name] = env
	}
}

// overlapping returns the environment of earlier whose keys env's would
// take in, or the other way round: the same bucket on the same endpoint,
// with prefixes of which one starts the other ("" starts every one).
func overlapping(env *Environment, earlier []*Environment) *Environment {
	for _, o := range earlier {
		if o.Bucket == env.Bucket && o.Endpoint == env.Endpoint &&
			(strings.HasPrefix(o.Prefix, env.Prefix) || strings.HasPrefix(env.Prefix, o.Prefix)) {
			return o
		}
	}
	return nil
}

// EnvironmentNames lists the configured environments in alphabetical order.
func (c *Config) EnvironmentNames() []string {
	var names []string
	for n := range c.Environments {
		names = append(names, n)
	}
	return sorted(names)
}

// StatusLabel returns the customer-facing label of s.
func (c *Config) StatusLabel(s Status) string { return c.Statuses[s].Label }
