package generator

import (
	"path"
	"strings"
)

// The sources of a site are the files a build reads. This file is their one
// definition: the build, the preview's watcher (what reloads) and qdn sync's
// check for uncommitted changes (what must be committed) all use it.

// ignoredPatterns name the files of editors and the system, never part of a
// site, in the syntax of path.Match and of git's glob pathspecs (only a
// leading or trailing *): hidden files (.DS_Store, .#lock, vim's .x.swp),
// Emacs's #autosave# and backup~, vim's 4913 write test and swap files,
// JetBrains' safe writes, temporary and backup files, merge leftovers and
// unfinished downloads. A directory with such a name is ignored whole.
var ignoredPatterns = []string{
	".*", "#*", "*~", "4913", "*___jb_*",
	"*.swp", "*.swx", "*.swo", "*.tmp", "*.temp", "*.bak", "*.orig", "*.rej", "*.crdownload", "*.part",
}

// IgnoredName reports whether a file or directory name is an editor's or
// the system's rather than the site's (see SourceFile).
func IgnoredName(name string) bool {
	for _, p := range ignoredPatterns {
		if matchName(p, name) {
			return true
		}
	}
	return false
}

func ignoredName(name string) bool { return IgnoredName(name) }

// matchName is path.Match for the patterns of ignoredPatterns, without its
// cost: the build asks it of every file.
func matchName(pattern, name string) bool {
	core := strings.Trim(pattern, "*")
	switch lead, trail := strings.HasPrefix(pattern, "*"), strings.HasSuffix(pattern, "*"); {
	case lead && trail:
		return strings.Contains(name, core)
	case lead:
		return strings.HasSuffix(name, core)
	case trail:
		return strings.HasPrefix(name, core)
	}
	return name == core
}

// SourceDirs are the directories, relative to the site root, that hold the
// sources besides ConfigFile.
func SourceDirs() []string { return []string{ContentDir, JobsDir, TemplatesDir} }

// SourceFile reports whether rel, a slash-separated path relative to the
// site root, is a source of the site: ConfigFile, any file under content/,
// any entry of jobs/ (a file that is not a job file, or a directory, is an
// error of the build) and the *.html files of templates/, unless a part of
// the path is an ignored name (IgnoredName).
func SourceFile(rel string) bool {
	if rel == ConfigFile {
		return true
	}
	for _, part := range strings.Split(rel, "/") {
		if part == "" || IgnoredName(part) {
			return false
		}
	}
	dir, name := path.Split(rel)
	switch {
	case strings.HasPrefix(rel, ContentDir+"/"):
		return true
	case dir == JobsDir+"/":
		return true
	case dir == TemplatesDir+"/":
		return strings.HasSuffix(name, ".html")
	}
	return false
}

// SourcePathspecs are the sources as git pathspecs, to ask git about them
// (git status -- SourcePathspecs()...): the same files as SourceFile.
func SourcePathspecs() []string {
	specs := []string{
		ConfigFile,
		":(glob)" + ContentDir + "/**",
		":(glob)" + JobsDir + "/*",
		":(glob)" + TemplatesDir + "/*.html",
	}
	for _, p := range ignoredPatterns {
		// The name itself, and everything under a directory of that name.
		specs = append(specs, ":(exclude,glob)**/"+p, ":(exclude,glob)**/"+p+"/**")
	}
	return specs
}
