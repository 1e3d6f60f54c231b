package main

import (
	"slices"
	"testing"
)

func TestViewerURIs(t *testing.T) {
	tests := []struct {
		key  string
		want []string
	}{
		{"index.html", []string{"/", "/index.html"}},
		{"track/t/index.html", []string{"/track/t/", "/track/t/index.html"}},
		{"book/trailer-dump/index.html", []string{"/book/trailer-dump/", "/book/trailer-dump/index.html"}},
		{"a.css", []string{"/a.css"}},
		{"404.html", []string{"/404.html"}},
		{"media/not-index.html", []string{"/media/not-index.html"}},
	}
	for _, tt := range tests {
		if got := viewerURIs(tt.key); !slices.Equal(got, tt.want) {
			t.Errorf("viewerURIs(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}
