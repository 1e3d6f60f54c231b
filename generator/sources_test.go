package generator

import (
	"path"
	"testing"
)

// TestIgnoredPatterns checks that IgnoredName reads its patterns as
// path.Match does, and so as git's glob pathspecs of SourcePathspecs do.
// Each name is of one kind of pattern, with a near miss of each.
func TestIgnoredPatterns(t *testing.T) {
	names := []string{
		"JOB-1.yaml", ".JOB-1.yaml.swp", "JOB-1.yaml~", "#JOB-1.yaml#", "4913", "49130", "x4913",
		"JOB-1.yaml___jb_tmp___", "a.swo", "a.swx", "a.tmp", "a.temp", "a.bak", "a.orig", "a.rej", "a.part",
		"a.crdownload", "a.origin", "swp", ".", "..", ".well-known", "style.css", "#", "~", "a*b", "", "a.b.swp",
		"a.swp.b", "a.part~", "___jb_", "x___jb", "page.html", "a.BAK", "bak", ".bak", "a.tmp.txt",
	}
	for _, name := range names {
		match := false
		for _, p := range ignoredPatterns {
			ok, err := path.Match(p, name)
			if err != nil {
				t.Fatalf("path.Match(%q): %v", p, err)
			}
			match = match || ok
		}
		if got := IgnoredName(name); got != match {
			t.Errorf("IgnoredName(%q) = %v; want %v", name, got, match)
		}
	}
}

func TestSourceFile(t *testing.T) {
	tests := []struct {
		rel  string
		want bool
	}{
		{"qdn.yaml", true},
		{"qdn.yaml.orig", false},
		{"README.md", false},
		{"jobs/JOB-1.yaml", true},
		{"jobs/notes.txt", true}, // an error of the build
		{"jobs/sub", true},       // an error of the build
		{"jobs/sub/JOB-1.yaml", false},
		{"jobs/archive", false}, // qdn job archive's, skipped
		{"jobs/archive/2025/JOB-1.yaml", false},
		{"jobs/.JOB-1.yaml.swp", false},
		{"jobs/JOB-1.yaml.orig", false},
		{"content/index.md", true},
		{"content/x.orig", false},
		{"content/img/a.png", true},
		{"content/.well-known/security.txt", false},
		{"content/old.bak/a.css", false},
		{"templates/_base.html", true},
		{"templates/_base.html~", false},
		{"templates/notes.txt", false},
		{"templates/sub/a.html", false},
		{"public/index.html", false},
		{"content", false},
		{"content//a.css", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := SourceFile(tc.rel); got != tc.want {
			t.Errorf("SourceFile(%q) = %v; want %v", tc.rel, got, tc.want)
		}
	}
}
