//go:build ignore

// hugosite writes a Hugo site comparable to a qdn site, for bench/build.sh:
//
//	go run bench/hugosite.go -site /tmp/site -out /tmp/hugo
//
// One page per job file of the qdn site at -site, at the same URL
// (/track/<token>/): the job file's YAML, its private: block left out, is
// the page's front matter, which Hugo parses as qdn parses the job file.
// The layout is qdn's tracking template written in Hugo's template
// language: the same inline CSS, the same sections, the steps of the job's
// service with the time each was reached, dates and prices formatted.
package main

import (
	"bytes"
	"flag"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

const config = `baseURL = "https://example.com/"
title = "QuickDumpNow"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]
[params]
  name = "QuickDumpNow"
  phone = "+1 208 555 0100"
  tel = "+12085550100"
[params.services.junk-removal]
  title = "Junk removal"
  steps = ["booked", "in_progress", "completed"]
[params.services.trailer-dump]
  title = "Trailer dump"
  steps = ["booked", "ready_for_pickup", "in_progress", "completed"]
[params.labels]
  booked = "Booked"
  ready_for_pickup = "Ready for pickup"
  in_progress = "In progress"
  completed = "Completed"
  cancelled = "Cancelled"
[params.next]
  booked = "We will confirm the window the day before."
  ready_for_pickup = "Your trailer is ready. The crew will pick up in the scheduled window; keep the driveway clear so they can hitch it."
  in_progress = "The crew is on the job."
  completed = "Thank you. This page stays online for 30 days."
  cancelled = "Nothing more will happen on this job."
`

const single = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<meta name="robots" content="noindex,nofollow,noarchive">
<title>Job {{ .Params.id }} · {{ site.Params.name }}</title>
<style>{{ partial "style.html" . | safeCSS }}</style>
</head>
<body>
<header class="top">
<a class="brand" href="/">{{ site.Params.name }}</a>
</header>
<main id="main">
{{- $p := .Params }}
{{- $svc := index site.Params.services $p.service }}
{{- $status := $p.status }}
{{- $label := index site.Params.labels $status }}
<p class="eyebrow">Job {{ $p.id }}{{ with $svc }} · {{ .title }}{{ end }}</p>
<h1>Hi {{ $p.customer.name }}, your job is {{ lower $label }}</h1>
<p>Status: <span class="status s-{{ $status }}">{{ $label }}</span></p>
{{- if eq $status "cancelled" }}
<p class="notice stop">This job was cancelled. Nothing more will happen on it.</p>
{{- end }}

<section class="card" aria-labelledby="progress">
<h2 id="progress">Progress</h2>
<ol class="steps">
{{- $reached := dict }}
{{- range $p.history }}{{ $reached = merge $reached (dict .status .) }}{{ end }}
{{- $current := index $reached $status }}
{{- range $svc.steps }}
{{- $e := index $reached . }}
{{- if $e }}
<li class="done"{{ if eq . $status }} aria-current="step"{{ end }}>
<span class="label">{{ index site.Params.labels . }}</span>
<span class="state">{{ if eq . $status }}Current status{{ else }}Done{{ end }}</span>
<time datetime="{{ (time $e.at).Format "2006-01-02T15:04:05-07:00" }}">{{ (time $e.at).Format "Mon Jan 2, 3:04 pm" }}</time>
{{- with $e.note }}
<span class="note">{{ . }}</span>
{{- end }}
{{- else }}
<li class="upcoming">
<span class="label">{{ index site.Params.labels . }}</span>
<span class="state">Not yet</span>
{{- end }}
</li>
{{- end }}
</ol>
</section>

<section class="card" aria-labelledby="next">
<h2 id="next">What happens next</h2>
<p>{{ index site.Params.next $status }}</p>
</section>

<section class="card" aria-labelledby="details">
<h2 id="details">Details</h2>
<dl>
{{- with $p.scheduled }}
<dt>Scheduled</dt>
<dd>{{ (time .date).Format "Monday, January 2" }}, {{ .window }}</dd>
{{- end }}
{{- with $p.address }}
<dt>Address</dt>
<dd>{{ . }}<br><a href="https://www.google.com/maps/search/?api=1&amp;query={{ . | urlquery }}" rel="noreferrer">Open in maps</a></dd>
{{- end }}
{{- with $svc }}
<dt>Service</dt>
<dd>{{ .title }}</dd>
{{- end }}
{{- with $p.price }}
<dt>Price</dt>
<dd>{{ lang.FormatCurrency 2 "USD" (float .amount) }}{{ with .note }} ({{ . }}){{ end }}</dd>
{{- end }}
{{- with $p.crew }}
<dt>Crew</dt>
<dd>{{ . }}</dd>
{{- end }}
</dl>
</section>

<div class="actions">
<a class="button" href="tel:{{ site.Params.tel }}">Call dispatch</a>
<a class="button secondary" href="sms:{{ site.Params.tel }}">Text dispatch</a>
</div>
<p class="fine">Anyone with this link can see this page. Share it only with people you trust.</p>
</main>
<footer class="foot">
<p>{{ site.Params.name }} · <a href="tel:{{ site.Params.tel }}">{{ site.Params.phone }}</a></p>
</footer>
</body>
</html>
`

const list = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ site.Title }}</title></head>
<body><h1>{{ site.Title }}</h1></body></html>
`

func main() {
	site := flag.String("site", "", "the qdn site whose jobs to take")
	out := flag.String("out", "", "directory to write the Hugo site to")
	flag.Parse()
	if *site == "" || *out == "" {
		log.Fatal("-site and -out are required")
	}
	style, err := os.ReadFile(filepath.Join(*site, "templates", "_style.html"))
	if err != nil {
		log.Fatal(err)
	}
	css := regexp.MustCompile(`(?s)\{\{define "style"\}\}(.*?)\{\{end\}\}`).FindSubmatch(style)
	if css == nil {
		log.Fatal("templates/_style.html defines no style")
	}
	files := map[string][]byte{
		"hugo.toml":                    []byte(config),
		"layouts/_default/single.html": []byte(single),
		"layouts/_default/list.html":   []byte(list),
		"layouts/partials/style.html":  css[1],
		"content/track/_index.md":      []byte("---\ntitle: Track\n---\n"),
	}
	for name, b := range files {
		write(filepath.Join(*out, name), b)
	}
	jobs, err := filepath.Glob(filepath.Join(*site, "jobs", "*.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	token := regexp.MustCompile(`(?m)^token: (\S+)$`)
	for _, f := range jobs {
		b, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		if i := bytes.Index(b, []byte("\nprivate:")); i >= 0 {
			b = b[:i+1]
		}
		m := token.FindSubmatch(b)
		if m == nil {
			log.Fatalf("%s has no token", f)
		}
		page := append([]byte("---\nurl: /track/"+string(m[1])+"/\n"), b...)
		page = append(page, "---\n"...)
		write(filepath.Join(*out, "content", "track", strings.TrimSuffix(filepath.Base(f), ".yaml")+".md"), page)
	}
}

func write(file string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
