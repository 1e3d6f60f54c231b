// Package generator is qdn's domain: the site configuration, jobs and their
// status flow, markdown content, rendering and writing public/. It turns
// sources into pages; editing single job files, for qdn job, is package
// jobfile's, which uses the rules kept here (ParseJob, the token and money
// rules, ReadSource; see sitefiles.go).
//
// Data flows one way. Load reads qdn.yaml, jobs/*.yaml, content/ and the
// templates, validates all of it and returns a Site, or an ErrorList with
// every problem found, each with file, line and column. Render turns a Site
// into an Output held in memory (output path → bytes). Before anything is
// written, Build and Builder search that output for every job's token and
// private values (see privacy.go) and refuse it when one appears where it
// may not. Write makes public/
// hold exactly that Output, rewriting only files whose bytes changed, and
// returns the Changes that qdn serve and qdn sync act on.
//
// Build bounds its memory on a large site: it renders and checks the
// tracking pages in batches, stages each beside its place and renames them
// in once all have passed (see stager in write.go), keeps of each valid job
// only what the whole build needs and parses each batch's job files again
// to render them (Site.slimJob, Site.fullJobs), and only skims the files of
// jobs that ended more than track.expire_after ago (skim.go). On a site it
// writes whole, Build does not hold the tracking pages from rendering to
// writing either: it checks each page as it renders it into a buffer its
// worker reuses, keeps a hash of it and drops it, and renders it again as
// it writes it; a page that comes out different fails the build and is
// not written (see laterPages in later.go).
//
// Every source is read by readSource (source.go), through an os.Root on the
// site: a regular file inside the site, of bounded size, or an error naming
// it. YAML is measured by yamlLimits before the parser sees it.
//
// The package does no network I/O and imports nothing of deploy, preview or
// the AWS SDK.
package generator
