package deploy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/generator"
)

// These tests promote between two environments on each S3 server (moto's
// and versitygw) with moto's CloudFront: staging, synced from the example
// site under the prefix site/, and production, a bucket of the same server
// and a distribution of its own, with no prefix.

// onEachServer runs test against each S3 implementation.
func onEachServer(t *testing.T, test func(t *testing.T, staging, production *env)) {
	for _, server := range []string{"moto", "versitygw"} {
		t.Run(server, func(t *testing.T) {
			staging, production := newEnv(t, server), newEnv(t, server)
			production.prefix = ""
			test(t, staging, production)
		})
	}
}

func promoter(from, to *env) (*deploy.Promoter, *deploy.S3) {
	fs, _ := from.syncer()
	ts, b := to.syncer()
	return &deploy.Promoter{From: fs, FromBucket: from.bucket, To: ts, LeaseNow: at(testNow)}, b
}

// planPromotion fetches both environments and plans the promotion.
func planPromotion(t *testing.T, p *deploy.Promoter, opt deploy.PlanOptions) (*deploy.Promotion, error) {
	t.Helper()
	from, to, err := p.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return p.Plan(from, to, opt)
}

// promote plans and applies a promotion under the destination's lock, as
// qdn promote does, and returns what it did and the requests it made to
// the destination's bucket.
func promote(t *testing.T, from, to *env) (*deploy.PromoteResult, deploy.Requests) {
	t.Helper()
	p, b := promoter(from, to)
	ctx := context.Background()
	release := lock(t, p.To, "test")
	pr, err := planPromotion(t, p, planOpts)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	res, err := p.Apply(ctx, pr)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if err := release(ctx); err != nil {
		t.Fatalf("release: %v", err)
	}
	return res, b.Requests()
}

func (e *env) get(key string) []byte {
	e.t.Helper()
	out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) put(key string, body []byte) {
	e.t.Helper()
	_, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("text/html; charset=utf-8")})
	if err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
}

// siteKeys returns the keys of the site under the prefix, without it and
// without qdn's state.
func (e *env) siteKeys() []string {
	var keys []string
	for k := range e.listing() {
		if p, ok := strings.CutPrefix(k, e.prefix); ok && !strings.HasPrefix(p, deploy.StateDir) {
			keys = append(keys, p)
		}
	}
	slices.Sort(keys)
	return keys
}

func copiedPaths(pr *deploy.Promotion) []string {
	var out []string
	for _, c := range pr.Copies {
		out = append(out, c.Path+": "+c.Reason)
	}
	return out
}

func TestPromote(t *testing.T) { onEachServer(t, testPromote) }

func testPromote(t *testing.T, staging, production *env) {
	files := staging.files(testNow)
	staging.sync(files)

	// The first promotion copies everything, and invalidates nothing: no
	// object of production was ever served.
	res, _ := promote(t, staging, production)
	if res.Copied != len(files) || res.Deleted != 0 || res.InvalidationID != "" {
		t.Fatalf("first promotion: copied %d, deleted %d, invalidation %q; want %d, 0, none",
			res.Copied, res.Deleted, res.InvalidationID, len(files))
	}
	if got, want := production.siteKeys(), staging.siteKeys(); !slices.Equal(got, want) {
		t.Fatalf("production holds %q; want staging's %q", got, want)
	}
	// Bytes, ETags and headers are staging's.
	for _, path := range staging.siteKeys() {
		sh, ph := staging.head(staging.prefix+path), production.head(path)
		if aws.ToString(ph.ETag) != aws.ToString(sh.ETag) || aws.ToString(ph.ContentType) != aws.ToString(sh.ContentType) ||
			aws.ToString(ph.CacheControl) != aws.ToString(sh.CacheControl) {
			t.Errorf("%s on production: ETag %s, %q, %q; staging has %s, %q, %q", path,
				aws.ToString(ph.ETag), aws.ToString(ph.ContentType), aws.ToString(ph.CacheControl),
				aws.ToString(sh.ETag), aws.ToString(sh.ContentType), aws.ToString(sh.CacheControl))
		}
	}
	if !bytes.Equal(production.get(markPage), staging.get(staging.prefix+markPage)) {
		t.Errorf("%s on production differs from staging's", markPage)
	}
	keys := production.listing()
	if _, ok := keys[".qdn/manifest.json"]; !ok {
		t.Errorf("no manifest on production after a promotion; it holds %v", keys)
	}
	for _, k := range []string{".qdn/lock.json", ".qdn/pending.json"} {
		if _, ok := keys[k]; ok {
			t.Errorf("%s left on production after a complete promotion", k)
		}
	}
	if !strings.Contains(string(production.get(".qdn/manifest.json")), `"commit":"abc123"`) {
		t.Errorf("production's manifest = %s; want staging's commit abc123", production.get(".qdn/manifest.json"))
	}

	// Promoting again has nothing to do: one listing and one read of the
	// manifest on production, and the lock.
	res, req := promote(t, staging, production)
	if !res.Promotion.Empty() || res.Copied != 0 || res.Unchanged != len(files) {
		t.Errorf("second promotion: %+v, copied %d, unchanged %d; want nothing to do, %d unchanged",
			res.Promotion, res.Copied, res.Unchanged, len(files))
	}
	if want := (deploy.Requests{List: 1, Get: 3, Put: 1, Delete: 1}); req != want {
		t.Errorf("second promotion made requests %+v to production; want %+v (the manifest; the lock's put, read back after it and before its delete, and delete)", req, want)
	}
	if paths, _ := production.invalidations(); len(paths) != 0 {
		t.Errorf("production invalidations = %q; want none", paths)
	}

	// Mark's trailer is picked up: staging is synced, then promoted. One
	// copy, and its two paths invalidated on production; staging's
	// distribution saw only its own sync's invalidation.
	staging.edit("jobs/JOB-20261121-001.yaml", "status: ready_for_pickup\n", "status: in_progress\n")
	staging.sync(staging.files(testNow))
	res, _ = promote(t, staging, production)
	if got, want := copiedPaths(res.Promotion), []string{markPage + ": content changed"}; !slices.Equal(got, want) {
		t.Errorf("copies = %q; want %q", got, want)
	}
	if res.Copied != 1 || res.Deleted != 0 || res.Unchanged != len(files)-1 {
		t.Errorf("promotion of one job: copied %d, deleted %d, unchanged %d; want 1, 0, %d", res.Copied, res.Deleted, res.Unchanged, len(files)-1)
	}
	want := [][]string{{"/track/amjmobezssjp5pia4iukcejbpm/", "/" + markPage}}
	paths, refs := production.invalidations()
	if !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("production invalidations = %q; want %q", paths, want)
	}
	if len(refs) == 1 && refs[0] != res.CallerReference {
		t.Errorf("CallerReference = %q; want %q", refs[0], res.CallerReference)
	}
	if paths, _ := staging.invalidations(); !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("staging invalidations = %q; want only its sync's %q", paths, want)
	}
	if !bytes.Equal(production.get(markPage), staging.get(staging.prefix+markPage)) {
		t.Errorf("%s on production differs from staging's after the promotion", markPage)
	}
	if again, _ := promote(t, staging, production); !again.Promotion.Empty() {
		t.Errorf("promotion after promoting the change = %+v; want nothing to do", again.Promotion)
	}
}

// TestPromoteDeletes promotes a staging that lost a job's page: production
// deletes it, within the delete limit, and invalidates its paths.
func TestPromoteDeletes(t *testing.T) { onEachServer(t, testPromoteDeletes) }

func testPromoteDeletes(t *testing.T, staging, production *env) {
	staging.sync(staging.files(testNow))
	promote(t, staging, production)
	staging.edit("jobs/JOB-20261121-001.yaml", "token: amjmobezssjp5pia4iukcejbpm", "token: zzzzmobezssjp5pia4iukcejbpm")
	staging.sync(staging.files(testNow))

	p, _ := promoter(staging, production)
	opt := planOpts
	opt.MaxDeletes = 0
	_, err := planPromotion(t, p, opt)
	var td *deploy.TooManyDeletesError
	if !errors.As(err, &td) || len(td.Deletes) != 1 {
		t.Fatalf("promotion deleting 1 with a limit of 0 = %v; want a TooManyDeletesError for 1", err)
	}
	if want := "the promotion would delete 1 objects, more than the limit of 0; nothing was changed"; err.Error() != want {
		t.Errorf("error = %q; want %q", err, want)
	}

	res, _ := promote(t, staging, production)
	var deleted []string
	for _, a := range res.Promotion.Deletes {
		deleted = append(deleted, a.Key+": "+a.Reason)
	}
	if want := []string{markPage + ": " + deploy.ReasonNotInSource}; !slices.Equal(deleted, want) {
		t.Errorf("deletes = %q; want %q", deleted, want)
	}
	if got, want := copiedPaths(res.Promotion), []string{"track/zzzzmobezssjp5pia4iukcejbpm/index.html: new"}; !slices.Equal(got, want) {
		t.Errorf("copies = %q; want %q", got, want)
	}
	if got, want := production.siteKeys(), staging.siteKeys(); !slices.Equal(got, want) {
		t.Errorf("production holds %q; want staging's %q", got, want)
	}
	paths, _ := production.invalidations()
	if want := [][]string{{"/track/amjmobezssjp5pia4iukcejbpm/", "/" + markPage}}; !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("production invalidations = %q; want %q", paths, want)
	}
}

// TestPromoteRefuses checks that a staging which is not what its last sync
// published is not promoted, and that production is left alone.
func TestPromoteRefuses(t *testing.T) { onEachServer(t, testPromoteRefuses) }

func testPromoteRefuses(t *testing.T, staging, production *env) {
	p, _ := promoter(staging, production)
	ctx := context.Background()

	check := func(name, want string) *deploy.NotReadyError {
		t.Helper()
		_, err := planPromotion(t, p, planOpts)
		var nr *deploy.NotReadyError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Plan = %v; want a NotReadyError saying %q", name, err, want)
		}
		return nr
	}

	check("never synced", "no sync of it completed: it has no site/.qdn/manifest.json")
	staging.sync(staging.files(testNow))

	// A sync of staging holds its lock.
	s, _ := staging.syncer()
	release := lock(t, s, "dana@laptop (pid 4242)")
	if nr := check("sync in progress", "a sync is in progress (dana@laptop (pid 4242) holds the lock site/.qdn/lock.json since 2026-11-22T12:00:00Z)"); nr != nil && nr.Lock == nil {
		t.Error("NotReadyError of a sync in progress has no Lock")
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}

	// A sync of staging died holding its lock, and its lease ended: it is
	// not in progress, and the next sync of staging takes the lock over.
	staging.put(lockKey, []byte(`{"holder":"ci@runner-1 (pid 7)","since":"2026-11-22T11:50:00Z","expires":"2026-11-22T11:51:00Z"}`))
	if nr := check("lease ended", "a sync that did not finish left its lock (ci@runner-1 (pid 7) took site/.qdn/lock.json at 2026-11-22T11:50:00Z; its lease ended at 2026-11-22T11:51:00Z)"); nr != nil && nr.Lock != nil {
		t.Error("NotReadyError of a dead sync's lock names a running sync's Lock")
	}
	if err := deploy.NewS3(staging.s3, staging.bucket).Delete(ctx, []string{lockKey}); err != nil {
		t.Fatal(err)
	}

	// A sync of staging stopped before CloudFront accepted its
	// invalidation.
	staging.put("site/.qdn/pending.json", []byte(`{"id":"x","since":"2026-11-22T11:00:00Z","paths":["/about/"]}`))
	check("pending invalidation", "a sync that did not finish left a pending invalidation (site/.qdn/pending.json, since 2026-11-22T11:00:00Z)")
	if err := deploy.NewS3(staging.s3, staging.bucket).Delete(ctx, []string{"site/.qdn/pending.json"}); err != nil {
		t.Fatal(err)
	}

	// Someone edited a page of staging by hand, and dropped a file in it.
	staging.put("site/"+markPage, []byte("<p>edited by hand</p>"))
	staging.put("site/notes.html", []byte("<p>notes</p>"))
	check("changed by hand", "its bucket was changed since its last sync: site/notes.html, site/"+markPage)

	if keys := production.listing(); len(keys) != 0 {
		t.Errorf("production after refused promotions holds %v; want nothing", keys)
	}
}

// TestPromoteSourceChanged changes a staging object in the middle of a
// promotion, as a sync of staging starting then would. The promotion stops
// before production's manifest is written, with its invalidation pending;
// once staging is synced again the next promotion copies what is needed
// and still makes the invalidation.
func TestPromoteSourceChanged(t *testing.T) { onEachServer(t, testPromoteSourceChanged) }

func testPromoteSourceChanged(t *testing.T, staging, production *env) {
	staging.sync(staging.files(testNow))
	promote(t, staging, production)
	ids := []string{"JOB-20261121-001", "JOB-20261122-001"}
	for _, id := range ids {
		staging.edit("jobs/"+id+".yaml", "customer:\n  name: ", "customer:\n  name: Dr. ")
	}
	staging.sync(staging.files(testNow))

	p, _ := promoter(staging, production)
	pr, err := planPromotion(t, p, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Copies) != 2 {
		t.Fatalf("plan copies %q; want 2", copiedPaths(pr))
	}
	second := pr.Copies[1]
	// A check of production's listing, from a sync that listed in part:
	// the failed promotion must remove it, or the next sync would trust
	// production's manifest for the pages this one copied.
	production.put(deploy.CheckKey, []byte(`{"after":""}`))
	p.To.Concurrency = 1
	p.To.Progress = func(done int, _ int64) {
		if done == 1 {
			staging.put(second.From, []byte("<p>a newer sync's page</p>"))
		}
	}
	_, err = p.Apply(context.Background(), pr)
	var se *deploy.StepError
	if !errors.As(err, &se) || se.Step != "copy" || !errors.Is(err, deploy.ErrSourceChanged) || !strings.Contains(err.Error(), " to "+second.Key) {
		t.Fatalf("Apply while staging changed = %v; want the step copy to fail for %s with ErrSourceChanged", err, second.Key)
	}
	keys := production.listing()
	if _, ok := keys[".qdn/pending.json"]; !ok {
		t.Error("no pending invalidation on production after a failed promotion")
	}
	if _, ok := keys[deploy.CheckKey]; ok {
		t.Errorf("%s left on production after a failed promotion", deploy.CheckKey)
	}
	if paths, _ := production.invalidations(); len(paths) != 0 {
		t.Errorf("production invalidations after a failed promotion = %q; want none yet", paths)
	}

	// Staging no longer matches its manifest: not promoted until synced.
	if _, err := planPromotion(t, p, planOpts); !errors.As(err, new(*deploy.NotReadyError)) {
		t.Errorf("Plan with staging changed by hand = %v; want a NotReadyError", err)
	}
	staging.sync(staging.files(testNow))
	res, _ := promote(t, staging, production)
	if res.Copied != 2 {
		t.Errorf("promotion after the failure copied %q; want both pages", copiedPaths(res.Promotion))
	}
	paths, _ := production.invalidations()
	if len(paths) != 1 || len(paths[0]) != 4 {
		t.Errorf("production invalidations = %q; want one of the two pages' 4 paths", paths)
	}
	for _, c := range pr.Copies {
		if !bytes.Equal(production.get(c.Key), staging.get(c.From)) {
			t.Errorf("%s on production differs from staging's", c.Key)
		}
	}
	if _, ok := production.listing()[".qdn/pending.json"]; ok {
		t.Error("pending invalidation left on production after CloudFront accepted it")
	}
}

// render builds the site in dir as qdn sync would at testNow.
func render(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	s, err := generator.Load(t.Context(), dir, generator.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("load site: %v", err)
	}
	out, err := generator.Render(t.Context(), s)
	if err != nil {
		t.Fatalf("render site: %v", err)
	}
	return outFiles(t, out)
}

// TestPagesIndependentOfEnvironment holds the promise that makes a
// promotion safe: the bytes checked on staging are the bytes that go live,
// because no page depends on the environment it is published to. Pages link
// root-relative; nothing of site.base_url or of an environment of qdn.yaml
// is in any output file, and a build with other values for all of them is
// byte for byte the same.
func TestPagesIndependentOfEnvironment(t *testing.T) {
	site := exampleSite(t)
	cfg, err := generator.LoadConfig(site)
	if err != nil {
		t.Fatal(err)
	}
	files := render(t, site)

	u, err := url.Parse(cfg.Site.BaseURL)
	if err != nil || u.Host == "" {
		t.Fatalf("site.base_url %q: want an absolute URL", cfg.Site.BaseURL)
	}
	// The host may be in an email address (dispatch@quickdumpnow.com), not
	// in a URL, with or without a scheme or a subdomain.
	absolute := regexp.MustCompile(`(?i)//([a-z0-9-]+\.)*` + regexp.QuoteMeta(u.Host))
	var values []string
	for _, env := range cfg.Environments {
		for _, v := range []string{env.Bucket, env.DistributionID, env.Function, env.Endpoint} {
			if v != "" {
				values = append(values, v)
			}
		}
	}
	if len(cfg.Environments) < 2 || len(values) < 2*3 {
		t.Fatalf("the example site's qdn.yaml defines %d environments with values %q; want staging and production with bucket, distribution and function",
			len(cfg.Environments), values)
	}
	for path, b := range files {
		if m := absolute.Find(b); m != nil {
			t.Errorf("%s holds the absolute URL %q of site.base_url; link root-relative", path, m)
		}
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds %q from the environments of qdn.yaml", path, v)
			}
		}
	}

	// Other values for the origin and every environment: the same output.
	cfgFile := filepath.Join(site, generator.ConfigFile)
	src, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(src), "\nenvironments:")
	if !ok {
		t.Fatalf("no environments: in %s", generator.ConfigFile)
	}
	head = strings.Replace(head, "base_url: "+cfg.Site.BaseURL, "base_url: https://staging.example.net", 1)
	if !strings.Contains(head, "https://staging.example.net") {
		t.Fatalf("base_url: %s not found in %s", cfg.Site.BaseURL, generator.ConfigFile)
	}
	other := head + `
environments:
  qa:
    bucket: other-bucket
    prefix: qa/
    region: eu-west-1
    endpoint: http://127.0.0.1:9000
    distribution_id: E3OTHERDIST99
    function: other-rewrite
`
	if err := os.WriteFile(cfgFile, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	again := render(t, site)
	if len(again) != len(files) {
		t.Errorf("build with other environments has %d files; want %d", len(again), len(files))
	}
	for path, b := range files {
		if !bytes.Equal(again[path], b) {
			t.Errorf("%s differs when site.base_url and the environments change", path)
		}
	}
}

// TestNewPromotion plans a promotion between two prefixes without any
// server: every reason a key is copied, a delete, qdn's state and keys
// outside the prefix left alone, and an invalidation carried over from an
// unfinished promotion.
func TestNewPromotion(t *testing.T) {
	entry := func(hash, headers, etag string) deploy.Entry {
		return deploy.Entry{Hash: sha256.Sum256([]byte(hash)), Headers: headers, Size: 10, ETag: etag}
	}
	// entries returns the entries of m as a manifest holds them.
	entries := func(m map[string]deploy.Entry) []deploy.Entry {
		var es []deploy.Entry
		for _, path := range slices.Sorted(maps.Keys(m)) {
			e := m[path]
			e.Path = path
			es = append(es, e)
		}
		return es
	}
	listing := func(prefix string, m map[string]deploy.Entry, extra ...deploy.Object) []deploy.Object {
		var objs []deploy.Object
		for path, e := range m {
			objs = append(objs, deploy.Object{Key: prefix + path, Size: e.Size, ETag: e.ETag})
		}
		return append(objs, extra...)
	}
	staging := map[string]deploy.Entry{
		"a.css":            entry("h-a", "f-css", "e-a"),
		"b.js":             entry("h-b", "f-js", "e-b"),
		"index.html":       entry("h-index-2", "f-html", "e-index-2"),
		"about/index.html": entry("h-about", "f-html-2", "e-about"),
		"new/index.html":   entry("h-new", "f-html", "e-new"),
	}
	production := map[string]deploy.Entry{
		"a.css":            entry("h-a", "f-css", "e-a"),
		"b.js":             entry("h-b", "f-js", "e-b"),
		"index.html":       entry("h-index-1", "f-html", "e-index-1"),
		"about/index.html": entry("h-about", "f-html", "e-about"),
		"gone.html":        entry("h-gone", "f-html", "e-gone"),
	}
	toObjects := listing("p/", production,
		deploy.Object{Key: "p/.qdn/manifest.json"}, deploy.Object{Key: "elsewhere/x.html"})
	for i := range toObjects {
		if toObjects[i].Key == "p/b.js" {
			toObjects[i].ETag = "e-b-by-hand" // changed in the bucket by hand
		}
	}
	from := &deploy.Source{Remote: deploy.Remote{
		Objects:  listing("s/", staging, deploy.Object{Key: "s/.qdn/manifest.json"}, deploy.Object{Key: "p/index.html"}),
		Manifest: &deploy.Manifest{Version: 1, Commit: "c0ffee", Entries: entries(staging)},
	}}
	to := &deploy.Remote{
		Objects:  toObjects,
		Manifest: &deploy.Manifest{Version: 1, Entries: entries(production)},
		Pending:  &deploy.Pending{ID: "earlier", Paths: []string{"/faq/"}},
	}
	opt := planOpts
	opt.Prefix, opt.Invalidate, opt.Now = "p/", true, testNow
	// A destination listed in part would make every object outside the
	// part look missing.
	if _, err := deploy.NewPromotion(from, to, deploy.PromoteOptions{FromPrefix: "s/", PlanOptions: opt}); err == nil {
		t.Error("NewPromotion took a destination not listed in full")
	}
	to.Full = true
	pr, err := deploy.NewPromotion(from, to, deploy.PromoteOptions{FromPrefix: "s/", PlanOptions: opt})
	if err != nil {
		t.Fatal(err)
	}

	var copies []string
	for _, c := range pr.Copies {
		copies = append(copies, c.From+" → "+c.Key+" "+c.ETag+": "+c.Reason)
	}
	wantCopies := []string{
		"s/b.js → p/b.js e-b: " + deploy.ReasonChangedOutside,
		"s/about/index.html → p/about/index.html e-about: " + deploy.ReasonHeaders,
		"s/index.html → p/index.html e-index-2: " + deploy.ReasonContent,
		"s/new/index.html → p/new/index.html e-new: " + deploy.ReasonNew,
	}
	if !slices.Equal(copies, wantCopies) {
		t.Errorf("copies:\n%s\nwant:\n%s", strings.Join(copies, "\n"), strings.Join(wantCopies, "\n"))
	}
	if len(pr.Deletes) != 1 || pr.Deletes[0].Key != "p/gone.html" || pr.Deletes[0].Reason != deploy.ReasonNotInSource {
		t.Errorf("deletes = %+v; want p/gone.html, %s", pr.Deletes, deploy.ReasonNotInSource)
	}
	if pr.Unchanged != 1 || pr.Commit != "c0ffee" || pr.Bytes() != 40 {
		t.Errorf("unchanged %d, commit %q, bytes %d; want 1, c0ffee, 40", pr.Unchanged, pr.Commit, pr.Bytes())
	}
	wantExact := []string{"/", "/about/", "/about/index.html", "/b.js", "/faq/", "/gone.html", "/index.html"}
	if !slices.Equal(pr.Invalidation.Exact, wantExact) || !slices.Equal(pr.Invalidation.Paths, wantExact) {
		t.Errorf("invalidation exact %q, paths %q; want both %q", pr.Invalidation.Exact, pr.Invalidation.Paths, wantExact)
	}
	if want := []string{"/faq/"}; !slices.Equal(pr.Invalidation.Carried, want) {
		t.Errorf("carried = %q; want %q", pr.Invalidation.Carried, want)
	}

	// Without a distribution nothing is invalidated; the rest is the same.
	opt.Invalidate = false
	pr, err = deploy.NewPromotion(from, to, deploy.PromoteOptions{FromPrefix: "s/", PlanOptions: opt})
	if err != nil || len(pr.Copies) != 4 || len(pr.Invalidation.Paths) != 0 {
		t.Errorf("without a distribution: %v, %d copies, invalidation %q; want 4 copies, no invalidation", err, len(pr.Copies), pr.Invalidation.Paths)
	}
}

// TestPromoteHeaders changes a header rule: staging's sync uploads the
// object again with the new header, and promotion copies it for that
// reason alone, the header with it.
func TestPromoteHeaders(t *testing.T) { onEachServer(t, testPromoteHeaders) }

func testPromoteHeaders(t *testing.T, staging, production *env) {
	staging.sync(staging.files(testNow))
	promote(t, staging, production)
	staging.edit(generator.ConfigFile, "environments:", "headers:\n  - match: robots.txt\n    cache_control: max-age=60\n\nenvironments:")
	staging.sync(staging.files(testNow))
	res, _ := promote(t, staging, production)
	if got, want := copiedPaths(res.Promotion), []string{"robots.txt: " + deploy.ReasonHeaders}; !slices.Equal(got, want) {
		t.Errorf("copies = %q; want %q", got, want)
	}
	if got := aws.ToString(production.head("robots.txt").CacheControl); got != "max-age=60" {
		t.Errorf("Cache-Control of robots.txt on production = %q; want max-age=60", got)
	}
	paths, _ := production.invalidations()
	if want := [][]string{{"/robots.txt"}}; !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("production invalidations = %q; want %q", paths, want)
	}
}

// outFiles returns every output of out with its bytes.
func outFiles(t testing.TB, out *generator.Output) map[string][]byte {
	t.Helper()
	files, err := out.All()
	if err != nil {
		t.Fatal(err)
	}
	return files
}
