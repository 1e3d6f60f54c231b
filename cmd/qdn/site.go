package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/quickdumpnow/qdn/generator"
)

// siteUsage is the help of --site in every command that has it.
const siteUsage = "the site's root `directory`, holding qdn.yaml (default: the nearest directory holding one, from here up)"

// findSite sets the --site flag of fs, when fs has one and it was not
// given, to the nearest directory holding qdn.yaml, from the working
// directory up, as git finds its repository: a command run in jobs/ works
// on the site above it. The directory is relative to the working directory
// (. at the site's root, ../.. two levels down), so that a message naming
// the site names it as the user would type it.
func (m *Main) findSite(flags *flag.FlagSet) error {
	if flags.Lookup("site") == nil {
		return nil
	}
	given := false
	flags.Visit(func(v *flag.Flag) { given = given || v.Name == "site" })
	if given {
		return nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("find the site: %w", err)
	}
	rel := "."
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, generator.ConfigFile)); err == nil {
			return flags.Set("site", rel)
		}
		up := filepath.Dir(dir)
		if up == dir {
			break
		}
		dir = up
		// Written with / on every system (Windows takes it too), as paths
		// in qdn's messages are.
		if rel == "." {
			rel = ".."
		} else {
			rel += "/.."
		}
	}
	return withHint(fmt.Errorf("no %s in %s or any directory above it", generator.ConfigFile, filepath.ToSlash(wd)),
		"run qdn inside a site (the directory holding qdn.yaml, or any directory under it), or name it with --site DIR")
}
