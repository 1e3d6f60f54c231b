package generator

import (
	"path"
	"strings"
)

// The sources of a site are the files a build reads. This file is their one
// definition: the build, the preview's watcher (what reloads) and qdn sync's
// check for uncommitted changes (what must be committed) all use it.

// ignoredPatterns name the files of editors and the system, never part of a
// site, in the syntax of path.Match and of git's glob pathspecs (a leading
// or trailing *, a prefix of one byte): hidden files (.DS_Store, .#lock, vim's .x.swp),
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
	if name == "" {
		return false
	}
	for _, p := range ignored.prefixes {
		if name[0] == p {
			return true
		}
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 && ignored.exts[name[i:]] {
		return true
	}
	for _, s := range ignored.suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	for _, s := range ignored.names {
		if name == s {
			return true
		}
	}
	for _, s := range ignored.contains {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func ignoredName(name string) bool { return IgnoredName(name) }

// ignored is ignoredPatterns sorted by kind, for IgnoredName: the build
// asks it of every file, and path.Match costs fifty times as much.
var ignored = compileIgnored(ignoredPatterns)

type ignoredSet struct {
	prefixes []byte          // x*, of one byte
	exts     map[string]bool // *.ext, without another dot
	suffixes []string        // other *x
	names    []string        // x
	contains []string        // *x*
}

func compileIgnored(patterns []string) ignoredSet {
	set := ignoredSet{exts: map[string]bool{}}
	for _, p := range patterns {
		core := strings.Trim(p, "*")
		switch lead, trail := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*"); {
		case strings.Contains(core, "*"), core == "" || (trail && !lead && len(core) != 1):
			panic("generator: ignored pattern " + p + " is not of a kind IgnoredName handles")
		case lead && trail:
			set.contains = append(set.contains, core)
		case lead && strings.LastIndexByte(core, '.') == 0:
			set.exts[core] = true
		case lead:
			set.suffixes = append(set.suffixes, core)
		case trail:
			set.prefixes = append(set.prefixes, core[0])
		default:
			set.names = append(set.names, core)
		}
	}
	return set
}

// ArchiveDir holds the files of jobs that ended long ago, moved there by
// qdn job archive as jobs/archive/<year>/<id>.yaml. Nothing under it is a
// source: a build neither reads nor checks it, the preview does not reload
// for it and qdn sync does not ask to commit it. The job commands that look
// jobs up (qdn job list --all, qdn job show) read it.
const ArchiveDir = JobsDir + "/archive"

// SourceDirs are the directories, relative to the site root, that hold the
// sources besides ConfigFile.
func SourceDirs() []string { return []string{ContentDir, JobsDir, TemplatesDir} }

// SourceFile reports whether rel, a slash-separated path relative to the
// site root, is a source of the site: ConfigFile, any file under content/,
// any entry of jobs/ but ArchiveDir (a file that is not a job file, or
// another directory, is an error of the build) and the *.html files of
// templates/, unless a part of the path is an ignored name (IgnoredName).
func SourceFile(rel string) bool {
	if rel == ConfigFile {
		return true
	}
	if rel == ArchiveDir || strings.HasPrefix(rel, ArchiveDir+"/") {
		return false
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
		":(exclude)" + ArchiveDir,
	}
	for _, p := range ignoredPatterns {
		// The name itself, and everything under a directory of that name.
		specs = append(specs, ":(exclude,glob)**/"+p, ":(exclude,glob)**/"+p+"/**")
	}
	return specs
}
