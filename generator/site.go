package generator

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Site is every source of a site, loaded and validated.
type Site struct {
	// Dir is the site root, the directory holding qdn.yaml.
	Dir       string
	Config    *Config
	Jobs      []*Job
	Services  []*Service
	Pages     []*Page
	BookIntro *Page
	// Assets are files under content/ copied as they are, by output path.
	Assets    map[string]string
	Templates *Templates
	// sources records the hash and stamp of each job file, parallel to Jobs.
	sources []jobSource
	// slim is set when the build keeps of each valid job only what it
	// needs for the whole build (see slimJob).
	slim bool
	// jobsStat is the stamp jobs/ had just before it was listed; zero
	// when it was not.
	jobsStat stamp
	// Now is the time the build is made for; it decides which jobs expired
	// and nothing else.
	Now time.Time
}

// Options adjust how a site is loaded and built.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// CacheDir is where Build keeps its cache (see DefaultCacheDir); empty
	// means no cache: every job is parsed and every page rendered.
	CacheDir string
	// NoWrite makes Build render in memory only: it writes neither public/
	// nor the cache, and its Output reads from public/ the pages the cache
	// says are there unchanged (qdn status).
	NoWrite bool
}

// Load reads and validates every source under dir. When anything is wrong it
// returns an ErrorList holding every problem found, with the site as far as
// it could be read. It stops soon after ctx is cancelled and returns ctx's
// error.
func Load(ctx context.Context, dir string, opt Options) (*Site, error) {
	return load(ctx, dir, opt, nil, false, false)
}

// load is Load for a build: with cache, jobs whose file is as the cache
// has it are not parsed; with skim, jobs that ended more than
// track.expire_after ago are only skimmed (see skimJob); with slim, a site
// of more than holdPages job files keeps of each valid job only what a
// build needs of it for the whole build (see slimJob).
func load(ctx context.Context, dir string, opt Options, cache *buildCache, skim, slim bool) (*Site, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	s := &Site{Dir: dir, Now: now(), Assets: map[string]string{}}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, &Error{Pos: Pos{File: ConfigFile}, Msg: fmt.Sprintf("cannot read site configuration: %v", err),
			Hint: "run qdn in the site's root directory, or pass --site DIR"}
	}
	defer r.Close()
	var list ErrorList
	cfg, err := loadConfig(r)
	if l := Errors(err); l != nil {
		list = append(list, l...)
	} else if err != nil {
		return nil, err
	}
	s.Config = cfg
	if cfg == nil {
		return s, list.Err()
	}
	loc := siteLocation(cfg)
	tpl, err := loadTemplates(r)
	if l := Errors(err); l != nil {
		list = append(list, l...)
	} else if err != nil {
		return nil, err
	}
	s.Templates = tpl
	if err := s.loadContent(r, &list); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var sk *skimRule
	if skim {
		sk = &skimRule{now: s.Now, expire: cfg.Track.ExpireAfter}
	}
	if err := s.loadJobs(ctx, r, loc, cache, sk, slim, &list); err != nil {
		return nil, err
	}
	if s.cachedAll(cache) {
		jobChecksKept.Add(1)
	} else {
		s.checkJobs(&list)
	}
	return s, list.Err()
}

// cachedAll reports whether every job was taken from cache, and cache holds
// no other: the jobs are then those of the build that wrote it, which
// passed checkJobs with these ids, tokens, services and statuses, and with
// the same services (they are in the cache key). Checking them again could
// only find them fine; it would cost two maps as large as the site.
func (s *Site) cachedAll(cache *buildCache) bool {
	if cache == nil || len(cache.Jobs) != len(s.Jobs) {
		return false
	}
	for _, j := range s.Jobs {
		if j.cached == nil {
			return false
		}
	}
	return true
}

// jobChecksKept counts the builds that did not check their jobs again
// (see cachedAll), for the tests that check a changed job is checked.
var jobChecksKept atomic.Int64

// loadContent reads content/ through the site root r. content/ itself may
// be a link that stays inside the site; below it, the walk enters real
// directories only (see walkSources).
func (s *Site) loadContent(r *os.Root, list *ErrorList) error {
	walkSources(r, ContentDir, func(file string, d fs.DirEntry, err error) {
		if err != nil {
			// A directory that is gone was removed during the walk,
			// or content/ does not exist: nothing to read.
			if e := Errors(err); e != nil {
				*list = append(*list, e...)
			}
			return
		}
		rel := strings.TrimPrefix(file, ContentDir+"/")
		out, isPage := contentOut(rel)
		var src []byte
		if isPage {
			src, _, err = readSource(r, file, maxSourceSize)
		} else {
			// An asset is read when the site is rendered; check now
			// what can be, so that qdn check reports it.
			err = checkAsset(r, file)
		}
		if err != nil {
			if e := Errors(err); e != nil {
				*list = append(*list, e...)
			}
			return
		}
		switch {
		case rel == "book/index.md":
			s.BookIntro = parsePage(file, "book/index.html", src, list)
		case strings.HasPrefix(rel, "book/") && strings.HasSuffix(rel, ".md") && !strings.Contains(strings.TrimPrefix(rel, "book/"), "/"):
			s.Services = append(s.Services, parseService(file, src, list))
		case reserved(out):
			*list = append(*list, &Error{Pos: Pos{File: file}, Msg: fmt.Sprintf("%s would be built to /%s, which qdn builds itself", file, out),
				Hint: "move or rename the file: track/ holds tracking pages, book/<slug>/ the booking pages, and 404.html is generated"})
		case isPage:
			s.Pages = append(s.Pages, parsePage(file, out, src, list))
		default:
			s.Assets[out] = file
		}
	})
	sort.Slice(s.Services, func(i, j int) bool {
		a, b := s.Services[i], s.Services[j]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.Slug < b.Slug
	})
	sort.Slice(s.Pages, func(i, j int) bool { return s.Pages[i].Out < s.Pages[j].Out })
	return nil
}

// reserved reports whether an output path belongs to qdn itself.
func reserved(out string) bool {
	return strings.HasPrefix(out, "track/") || out == "404.html" || strings.HasPrefix(out, ".qdn/") ||
		strings.HasPrefix(out, "_qdn/") || (strings.HasPrefix(out, "book/") && strings.Count(out, "/") == 2 && strings.HasSuffix(out, "/index.html"))
}

// JobFile returns the path of a job's file relative to the site root.
func JobFile(id string) string { return JobsDir + "/" + id + ".yaml" }

// jobSource is what the build cache records of a job file.
type jobSource struct {
	hash [32]byte
	stat stamp
}

// loadJobFile reads one job file. When the cache holds the file as it is, the
// job is not parsed: it is made from the cache entry.
// skimRule is when a build only skims a job file: the time it is made for
// and track.expire_after.
type skimRule struct {
	now    time.Time
	expire time.Duration
}

// A job taken from the cache is made in slot when it is not nil: a rebuild
// takes thousands, and allocates them all at once.
// e is the cache's entry for the file, or nil.
func loadJobFile(r, jobsRoot *os.Root, dir *statDir, name string, loc *time.Location, cache *buildCache, e *cacheEntry, sk *skimRule, list *ErrorList,
	slot *Job) (*Job, jobSource, error) {
	if e != nil {
		// Following links: a job file may be a link, and its target is
		// read. A file that cannot be stat'ed is read, which reports why.
		if st, err := dir.stat(name, true); err == nil && cache.fresh(e.SrcStat, st) {
			return cachedJob(e, slot), jobSource{hash: e.Src, stat: e.SrcStat}, nil
		}
	}
	file := JobsDir + "/" + name
	src, st, err := readJobFile(r, jobsRoot, dir, name)
	if e := Errors(err); e != nil {
		*list = append(*list, e...)
		return &Job{File: file}, jobSource{}, nil
	}
	if err != nil {
		return nil, jobSource{}, err
	}
	js := jobSource{hash: sha256.Sum256(src), stat: st}
	if e != nil && e.Src == js.hash {
		return cachedJob(e, slot), js, nil
	}
	if sk != nil {
		if j, ok := skimJob(file, src, loc, sk.now, sk.expire); ok {
			return j, js, nil
		}
	}
	return ParseJob(file, src, loc, list), js, nil
}

// readJobFile reads the job file jobs/name: straight from the directory dir
// when it is a plain file (statDir.read), else through jobsRoot, jobs/
// opened as a root of its own, else through the site root r, which decides
// on a link to elsewhere in the site.
func readJobFile(r, jobsRoot *os.Root, dir *statDir, name string) ([]byte, stamp, error) {
	if b, st, ok := dir.read(name, maxSourceSize); ok {
		return b, st, nil
	}
	if jobsRoot != nil {
		if b, st, err := readSource(jobsRoot, name, maxSourceSize); err == nil {
			return b, st, nil
		}
	}
	return readSource(r, JobsDir+"/"+name, maxSourceSize)
}

// openJobsDir opens jobs/ under the site root r, at dir, for readJobFile.
// jobsRoot is nil when it cannot be opened as a root.
func openJobsDir(r *os.Root, dir string) (jobsRoot *os.Root, jobsDir *statDir, closeAll func()) {
	jobsRoot, err := r.OpenRoot(JobsDir)
	if err != nil {
		jobsDir = openStatDir(dir)
		return nil, jobsDir, jobsDir.close
	}
	jobsDir = openRootStatDir(jobsRoot, dir)
	return jobsRoot, jobsDir, func() {
		jobsDir.close()
		jobsRoot.Close()
	}
}

// cachedJob makes the job of the cache entry e, in slot when it is not
// nil. Its end is kept as a slim job's is (see Job.end), not as a history
// of one event: 80 bytes less for each ended job.
func cachedJob(e *cacheEntry, slot *Job) *Job {
	if slot == nil {
		slot = new(Job)
	}
	*slot = Job{File: e.File, ID: e.ID, Token: e.Token, Service: e.Service, Status: e.Status, cached: e, end: e.Ended}
	return slot
}

func (s *Site) loadJobs(ctx context.Context, r *os.Root, loc *time.Location, cache *buildCache, sk *skimRule, slim bool, list *ErrorList) error {
	dir := filepath.Join(s.Dir, JobsDir)
	// Stamped before it is listed: an entry made or removed after the
	// stamp shows in the next build's.
	info, err := r.Lstat(JobsDir)
	if err == nil && info.IsDir() {
		s.jobsStat = stampOf(info)
	}
	if names := cache.jobFiles(s.jobsStat); names != nil {
		// jobs/ as the last build listed it.
		jobsTrusted.Add(1)
		return s.loadJobFiles(ctx, r, dir, names, loc, cache, sk, slim, list)
	}
	entries, err := readSourceDir(r, JobsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if e := Errors(err); e != nil {
		*list = append(*list, e...)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", JobsDir, err)
	}
	var names []string
	for _, d := range entries {
		name := d.Name()
		switch {
		case ignoredName(name), d.IsDir() && !SourceFile(JobsDir+"/"+name):
		case d.IsDir():
			*list = append(*list, &Error{Pos: Pos{File: JobsDir + "/" + name}, Msg: "directory inside jobs/",
				Hint: "jobs/ holds only <id>.yaml files; move the directory out"})
		case strings.HasSuffix(name, ".yaml"):
			names = append(names, name)
		default:
			hint := "jobs/ holds only <id>.yaml files; move the file out"
			if strings.HasSuffix(name, ".yml") {
				hint = "rename it to " + strings.TrimSuffix(name, ".yml") + ".yaml"
			}
			*list = append(*list, &Error{Pos: Pos{File: JobsDir + "/" + name}, Msg: "not a job file", Hint: hint})
		}
	}
	sort.Strings(names)
	return s.loadJobFiles(ctx, r, dir, names, loc, cache, sk, slim, list)
}

// loadJobFiles loads the job files of jobs/ (at dir) by their names, in
// order.
func (s *Site) loadJobFiles(ctx context.Context, r *os.Root, dir string, names []string, loc *time.Location, cache *buildCache, sk *skimRule, slim bool, list *ErrorList) error {
	jobs := make([]*Job, len(names))
	sources := make([]jobSource, len(names))
	lists := make([]ErrorList, len(names))
	readErrs := make([]error, len(names))
	// jobs/ opened once as a root of its own: a job file then costs one
	// open instead of two, or, read straight from the directory when it
	// is a plain file (statDir.read), fewer. A file it refuses, such as a
	// link to elsewhere in the site, is read again from the site root,
	// which decides.
	jobsRoot, jobsDir, closeJobs := openJobsDir(r, dir)
	defer closeJobs()
	var slots []Job
	entries := cache.entriesFor(names)
	if entries != nil {
		slots = makeMapped[Job](len(names))
	}
	// A site small enough to render all at once keeps its jobs whole,
	// which spares reading them twice.
	s.slim = slim && len(names) > holdPages
	if err := parallelCtx(ctx, len(names), 0, func(i int) {
		var slot *Job
		if slots != nil {
			slot = &slots[i]
		}
		var e *cacheEntry
		if entries != nil {
			e = entries[i]
		}
		j, src, err := loadJobFile(r, jobsRoot, jobsDir, names[i], loc, cache, e, sk, &lists[i], slot)
		jobs[i], sources[i], readErrs[i] = j, src, err
		if s.slim && err == nil && len(lists[i]) == 0 && j.where != nil && j.cached == nil {
			// checkJobs checks a job's history against its service's
			// steps, which the job kept does not hold: check it now. A
			// job with a problem is kept whole; the build fails anyway.
			var steps ErrorList
			if s.checkSteps(j, &steps); len(steps) == 0 {
				jobs[i] = s.slimJob(j, i)
			}
		}
	}); err != nil {
		return err
	}
	if err := errors.Join(readErrs...); err != nil {
		return err
	}
	for i := range lists {
		*list = append(*list, lists[i]...)
	}
	s.sources = sources
	s.Jobs = jobs
	return nil
}

// checkJobs validates what only the whole set of jobs can tell: unique ids
// and tokens, services that exist, and statuses on their service's steps.
func (s *Site) checkJobs(list *ErrorList) {
	services := map[string]bool{}
	for _, sv := range s.Services {
		services[sv.Slug] = true
	}
	ids := make(map[string]*Job, len(s.Jobs))
	tokens := make(map[string]*Job, len(s.Jobs))
	for _, j := range s.Jobs {
		if j.ID != "" {
			// Ids are compared without regard to case: they name files.
			key := strings.ToUpper(j.ID)
			if other, ok := ids[key]; ok {
				*list = append(*list, &Error{Pos: j.Pos("id"), Msg: fmt.Sprintf("id %q is also used by %s", j.ID, other.File),
					Hint: "give one of the jobs a new id; ids differ by more than letter case"})
			} else {
				ids[key] = j
			}
		}
		if j.Token != "" {
			if other, ok := tokens[j.Token]; ok {
				*list = append(*list, &Error{Pos: j.Pos("token"), Msg: fmt.Sprintf("token is also used by %s", other.File),
					Hint: "run `qdn job rotate " + j.idOrFile() + "` to give this job its own token"})
			} else {
				tokens[j.Token] = j
			}
		}
		if j.Service != "" && !services[j.Service] && slugRE.MatchString(j.Service) {
			var known []string
			for k := range services {
				known = append(known, k)
			}
			hint := "create " + BookDir + "/" + j.Service + ".md, or use one of: " + strings.Join(sorted(known), ", ")
			if len(known) == 0 {
				hint = "create " + BookDir + "/" + j.Service + ".md"
			}
			*list = append(*list, &Error{Pos: j.Pos("service"), Msg: fmt.Sprintf("service %q has no %s/%s.md", j.Service, BookDir, j.Service), Hint: hint + suggest(j.Service, known)})
		}
		s.checkSteps(j, list)
	}
}

// Service returns the service with the given slug, or nil.
func (s *Site) Service(slug string) *Service {
	for _, sv := range s.Services {
		if sv.Slug == slug {
			return sv
		}
	}
	return nil
}

// LiveJobs returns the jobs that get a tracking page now.
func (s *Site) LiveJobs() []*Job {
	out := make([]*Job, 0, s.liveCount())
	for _, j := range s.Jobs {
		if s.live(j) {
			out = append(out, j)
		}
	}
	return out
}

// live says whether j gets a tracking page now.
func (s *Site) live(j *Job) bool { return j.Live(s.Now, s.Config.Track.ExpireAfter) }

// liveCount is how many jobs get a tracking page now.
func (s *Site) liveCount() int {
	n := 0
	for _, j := range s.Jobs {
		if s.live(j) {
			n++
		}
	}
	return n
}

// TrackPath returns the output path of the tracking page for token.
func TrackPath(token string) string { return "track/" + token + "/index.html" }
