package generator

import (
	"mime"
	"path"
	"regexp"
	"strings"
)

// Cache-Control defaults. HTML is revalidated by browsers and kept by the CDN
// until a sync invalidates it; fingerprinted assets never change under their
// name; other files are kept for an hour by browsers.
const (
	CacheHTML        = "max-age=0, s-maxage=31536000"
	CacheImmutable   = "max-age=31536000, immutable"
	CacheAsset       = "max-age=3600, s-maxage=31536000"
	defaultMediaType = "application/octet-stream"
)

// Headers are the HTTP headers an output object is served with, by qdn sync
// (as S3 object metadata) and by qdn serve alike.
type Headers struct {
	ContentType  string
	CacheControl string
}

// The table is fixed so that the same file gets the same type on every
// machine; the system's MIME database is only the fallback.
var mediaTypes = map[string]string{
	".html":        "text/html",
	".htm":         "text/html",
	".css":         "text/css",
	".js":          "text/javascript",
	".mjs":         "text/javascript",
	".json":        "application/json",
	".xml":         "application/xml",
	".txt":         "text/plain",
	".md":          "text/markdown",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".pdf":         "application/pdf",
	".webmanifest": "application/manifest+json",
}

// fingerprinted matches names like app.3f9a2c1d.css or logo-3f9a2c1d4e.png.
var fingerprinted = regexp.MustCompile(`[.-][0-9a-f]{8,}\.[a-z0-9]+$`)

// ObjectHeaders returns the headers for the output object at key (a
// slash-separated path relative to public/, such as track/x/index.html).
// Rules in qdn.yaml apply in order, later ones overriding earlier ones.
func (c *Config) ObjectHeaders(key string) Headers {
	ext := strings.ToLower(path.Ext(key))
	h := Headers{ContentType: mediaTypes[ext]}
	if h.ContentType == "" {
		h.ContentType = mime.TypeByExtension(ext)
		if i := strings.IndexByte(h.ContentType, ';'); i >= 0 {
			h.ContentType = h.ContentType[:i]
		}
	}
	if h.ContentType == "" {
		h.ContentType = defaultMediaType
	}
	if isText(h.ContentType) {
		h.ContentType += "; charset=utf-8"
	}
	switch {
	case ext == ".html" || ext == ".htm":
		h.CacheControl = CacheHTML
	case fingerprinted.MatchString(path.Base(key)):
		h.CacheControl = CacheImmutable
	default:
		h.CacheControl = CacheAsset
	}
	if c == nil {
		return h
	}
	for _, r := range c.Headers {
		if !r.matches(key) {
			continue
		}
		if r.CacheControl != "" {
			h.CacheControl = r.CacheControl
		}
		if r.ContentType != "" {
			h.ContentType = r.ContentType
		}
	}
	return h
}

func (r HeaderRule) matches(key string) bool {
	if !strings.Contains(r.Match, "/") {
		ok, _ := path.Match(r.Match, path.Base(key))
		return ok
	}
	ok, _ := path.Match(strings.TrimPrefix(r.Match, "/"), key)
	return ok
}

func isText(mediaType string) bool {
	switch {
	case strings.HasPrefix(mediaType, "text/"):
		return true
	case mediaType == "application/json", mediaType == "application/xml",
		mediaType == "image/svg+xml", mediaType == "application/manifest+json",
		mediaType == "application/javascript":
		return true
	}
	return false
}
