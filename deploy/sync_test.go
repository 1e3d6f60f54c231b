package deploy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// These tests publish QuickDumpNow's example site to real S3-compatible
// servers, moto's and versitygw, and invalidate on moto's CloudFront API,
// all started on loopback. Each test has a bucket and a distribution of its
// own.

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// markPage is the tracking page of the example job JOB-20261121-001.
const markPage = "track/amjmobezssjp5pia4iukcejbpm/index.html"

type env struct {
	t      *testing.T
	s3     *s3.Client
	cf     *cloudfront.Client
	bucket string
	distID string
	prefix string
	site   string
}

var bucketSeq atomic.Int64

// onEachS3 runs test against each S3 implementation: moto's and
// versitygw's. CloudFront is moto's in both.
func onEachS3(t *testing.T, test func(t *testing.T, e *env)) {
	for _, server := range []string{"moto", "versitygw"} {
		t.Run(server, func(t *testing.T) { test(t, newEnv(t, server)) })
	}
}

func newEnv(t *testing.T, server string) *env {
	t.Helper()
	moto := testenv.Moto(t)
	s3Endpoint := moto
	if server == "versitygw" {
		s3Endpoint = testenv.VersityGW(t)
	}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(testenv.VersityGWCredentials, testenv.VersityGWCredentials, ""),
	}
	e := &env{
		t:      t,
		s3:     s3.NewFromConfig(cfg, deploy.S3Options(s3Endpoint, 8)),
		cf:     cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(moto) }),
		bucket: fmt.Sprintf("qdn-test-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1)),
		prefix: "site/",
		site:   exampleSite(t),
	}
	ctx := context.Background()
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	origin := e.bucket + ".s3.amazonaws.com"
	out, err := e.cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(e.bucket),
		Comment:         aws.String("qdn test"),
		Enabled:         aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
			Id: aws.String("s3"), DomainName: aws.String(origin), OriginPath: aws.String("/site"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
		}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
			TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"),
		},
	}})
	if err != nil {
		t.Fatalf("create distribution: %v", err)
	}
	e.distID = aws.ToString(out.Distribution.Id)
	return e
}

// exampleSite copies QuickDumpNow's site (the root of this repository)
// into a temporary directory, so that tests can edit jobs and qdn.yaml.
func exampleSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{generator.ConfigFile, "content", "jobs", "templates"} {
		src := filepath.Join("..", name)
		err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			target := filepath.Join(dir, name, rel)
			if info.IsDir() {
				return os.MkdirAll(target, 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// files renders the site as it is now on disk.
func (e *env) files(now time.Time) []deploy.File {
	e.t.Helper()
	s, err := generator.Load(e.t.Context(), e.site, generator.Options{Now: func() time.Time { return now }})
	if err != nil {
		e.t.Fatalf("load site: %v", err)
	}
	out, err := generator.Render(e.t.Context(), s)
	if err != nil {
		e.t.Fatalf("render site: %v", err)
	}
	files, err := deploy.Files(out, s.Config)
	if err != nil {
		e.t.Fatal(err)
	}
	return files
}

// edit replaces old by new in the site file at rel.
func (e *env) edit(rel, old, new string) {
	e.t.Helper()
	p := filepath.Join(e.site, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		e.t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) syncer() (*deploy.Syncer, *deploy.S3) {
	b := deploy.NewS3(e.s3, e.bucket)
	return &deploy.Syncer{
		Bucket: b, Prefix: e.prefix, Invalidator: deploy.NewCloudFront(e.cf, e.distID),
		Concurrency: 8, Now: func() time.Time { return testNow },
	}, b
}

// plan fetches the environment's state and plans files over it.
func plan(t *testing.T, s *deploy.Syncer, files []deploy.File, opt deploy.PlanOptions) (*deploy.Plan, error) {
	t.Helper()
	r, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return s.Plan(r, files, opt)
}

var planOpts = deploy.PlanOptions{ViewerURIs: viewerURIs, MaxPaths: deploy.DefaultMaxPaths, MaxDeletes: deploy.DefaultMaxDeletes}

// viewerURIs mirrors the edge function's rules for the tests.
func viewerURIs(path string) []string {
	if path == "index.html" || strings.HasSuffix(path, "/index.html") {
		return []string{"/" + strings.TrimSuffix(path, "index.html"), "/" + path}
	}
	return []string{"/" + path}
}

// sync plans and applies files under the lock, as qdn sync does.
func (e *env) sync(files []deploy.File) (*deploy.Result, deploy.Requests) {
	e.t.Helper()
	s, b := e.syncer()
	ctx := context.Background()
	release := lock(e.t, s, "test")
	p, err := plan(e.t, s, files, planOpts)
	if err != nil {
		e.t.Fatalf("Plan: %v", err)
	}
	res, err := s.Apply(ctx, p, deploy.Deploy{Commit: "abc123"})
	if err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
	if err := release(ctx); err != nil {
		e.t.Fatalf("release: %v", err)
	}
	return res, b.Requests()
}

// listing returns every key in the bucket with its ETag.
func (e *env) listing() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	objs, err := deploy.NewS3(e.s3, e.bucket).List(context.Background(), "", "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range objs {
		out[o.Key] = o.ETag
	}
	return out
}

// invalidations returns the paths of each invalidation of the
// distribution, in the order moto lists them (oldest first), with their
// caller references.
func (e *env) invalidations() (paths [][]string, refs []string) {
	e.t.Helper()
	ctx := context.Background()
	list, err := e.cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(e.distID)})
	if err != nil {
		e.t.Fatalf("list invalidations: %v", err)
	}
	for _, s := range list.InvalidationList.Items {
		inv, err := e.cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(e.distID), Id: s.Id})
		if err != nil {
			e.t.Fatal(err)
		}
		p := slices.Clone(inv.Invalidation.InvalidationBatch.Paths.Items)
		sort.Strings(p)
		paths = append(paths, p)
		refs = append(refs, aws.ToString(inv.Invalidation.InvalidationBatch.CallerReference))
	}
	return paths, refs
}

func (e *env) head(key string) *s3.HeadObjectOutput {
	e.t.Helper()
	out, err := e.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("head %s: %v", key, err)
	}
	return out
}

func TestSyncExampleSite(t *testing.T) { onEachS3(t, testSyncExampleSite) }

func testSyncExampleSite(t *testing.T, e *env) {
	files := e.files(testNow)
	res, _ := e.sync(files)
	if res.Uploaded != len(files) || res.Deleted != 0 || res.InvalidationID != "" {
		t.Fatalf("first sync: uploaded %d, deleted %d, invalidation %q; want %d, 0, none", res.Uploaded, res.Deleted, res.InvalidationID, len(files))
	}
	// Assets go before HTML.
	seenHTML := false
	for _, a := range res.Plan.Uploads {
		isHTML := strings.HasSuffix(a.Key, ".html")
		if seenHTML && !isHTML {
			t.Errorf("upload order: asset %s after HTML", a.Key)
		}
		seenHTML = seenHTML || isHTML
	}
	h := e.head("site/" + markPage)
	if got := aws.ToString(h.ContentType); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type of %s = %q; want text/html; charset=utf-8", markPage, got)
	}
	if got := aws.ToString(h.CacheControl); got != generator.CacheHTML {
		t.Errorf("Cache-Control of %s = %q; want %q", markPage, got, generator.CacheHTML)
	}
	if got := aws.ToString(e.head("site/robots.txt").ContentType); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type of robots.txt = %q; want text/plain; charset=utf-8", got)
	}
	keys := e.listing()
	if _, ok := keys["site/.qdn/manifest.json"]; !ok {
		t.Errorf("no manifest after the first sync; bucket holds %v", keys)
	}
	for _, k := range []string{"site/.qdn/lock.json", "site/.qdn/pending.json"} {
		if _, ok := keys[k]; ok {
			t.Errorf("%s left in the bucket after a complete sync", k)
		}
	}

	// A second sync of the same build uploads nothing and invalidates
	// nothing, with one listing and one read of the manifest.
	res, req := e.sync(e.files(testNow))
	if res.Uploaded != 0 || res.Deleted != 0 || res.InvalidationID != "" || res.Unchanged != len(files) {
		t.Errorf("second sync: uploaded %d, deleted %d, unchanged %d, invalidation %q; want 0, 0, %d, none",
			res.Uploaded, res.Deleted, res.Unchanged, res.InvalidationID, len(files))
	}
	if want := (deploy.Requests{List: 1, Get: 3, Put: 1, Delete: 1}); req != want {
		t.Errorf("second sync made requests %+v; want %+v (the manifest; the lock's put, read back after it and before its delete, and delete)", req, want)
	}
	if paths, _ := e.invalidations(); len(paths) != 0 {
		t.Errorf("invalidations after two syncs of one build = %q; want none", paths)
	}
}

func TestSyncJobStatusChange(t *testing.T) { onEachS3(t, testSyncJobStatusChange) }

func testSyncJobStatusChange(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	e.edit("jobs/JOB-20261121-001.yaml", "status: ready_for_pickup\n", "status: in_progress\n")
	e.edit("jobs/JOB-20261121-001.yaml", "     note: Trailer is ready this afternoon}\n",
		"     note: Trailer is ready this afternoon}\n  - {status: in_progress, at: 2026-11-21T13:10:00-07:00}\n")
	res, _ := e.sync(e.files(testNow))
	var uploaded []string
	for _, a := range res.Plan.Uploads {
		uploaded = append(uploaded, a.Path+": "+a.Reason)
	}
	if want := []string{markPage + ": content changed"}; !slices.Equal(uploaded, want) {
		t.Errorf("uploads = %q; want %q", uploaded, want)
	}
	paths, refs := e.invalidations()
	want := [][]string{{"/track/amjmobezssjp5pia4iukcejbpm/", "/" + markPage}}
	if !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("invalidations = %q; want %q", paths, want)
	}
	if len(refs) == 1 && refs[0] != res.CallerReference {
		t.Errorf("CallerReference = %q; want %q", refs[0], res.CallerReference)
	}
}

func TestSyncExpiredAndRotated(t *testing.T) { onEachS3(t, testSyncExpiredAndRotated) }

func testSyncExpiredAndRotated(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	// The token of JOB-20261122-001 is rotated; a month later the jobs
	// that ended before now have expired.
	e.edit("jobs/JOB-20261122-001.yaml", "token: ", "token: zzzz")
	b, _ := os.ReadFile(filepath.Join(e.site, "jobs/JOB-20261122-001.yaml"))
	var oldToken, newToken string
	for _, line := range strings.Split(string(b), "\n") {
		if t, ok := strings.CutPrefix(line, "token: zzzz"); ok {
			oldToken, newToken = t, "zzzz"+t[:len(t)-4]
			e.edit("jobs/JOB-20261122-001.yaml", line, "token: "+newToken)
		}
	}
	if oldToken == "" {
		t.Fatal("no token in JOB-20261122-001.yaml")
	}
	res, _ := e.sync(e.files(testNow))
	var deleted []string
	for _, a := range res.Plan.Deletes {
		deleted = append(deleted, a.Path)
	}
	if want := []string{"track/" + oldToken + "/index.html"}; !slices.Equal(deleted, want) {
		t.Errorf("deletes after rotating a token = %q; want %q", deleted, want)
	}
	if len(res.Plan.Uploads) != 1 || res.Plan.Uploads[0].Path != "track/"+newToken+"/index.html" || res.Plan.Uploads[0].Reason != deploy.ReasonNew {
		t.Errorf("uploads after rotating a token = %+v; want the new page, new", res.Plan.Uploads)
	}
	paths, _ := e.invalidations()
	if want := [][]string{{"/track/" + oldToken + "/", "/track/" + oldToken + "/index.html"}}; !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("invalidations = %q; want %q", paths, want)
	}
	if _, ok := e.listing()["site/track/"+oldToken+"/index.html"]; ok {
		t.Errorf("the old token's page is still in the bucket")
	}

	// 40 days later the completed and cancelled jobs have expired.
	later := testNow.Add(40 * 24 * time.Hour)
	res, _ = e.sync(e.files(later))
	if len(res.Plan.Deletes) == 0 || len(res.Plan.Uploads) != 0 {
		t.Fatalf("expiry sync: %d deletes, %d uploads; want some deletes and no upload", len(res.Plan.Deletes), len(res.Plan.Uploads))
	}
	paths, _ = e.invalidations()
	var want []string
	for _, a := range res.Plan.Deletes {
		want = append(want, viewerURIs(a.Path)...)
	}
	sort.Strings(want)
	if len(paths) != 2 || !slices.Equal(paths[1], want) {
		t.Errorf("invalidations = %q; want a second one of %q", paths, want)
	}
}

func TestSyncHeaderRuleChanged(t *testing.T) { onEachS3(t, testSyncHeaderRuleChanged) }

func testSyncHeaderRuleChanged(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	e.edit(generator.ConfigFile, "environments:", "headers:\n  - match: robots.txt\n    cache_control: max-age=60\n\nenvironments:")
	res, _ := e.sync(e.files(testNow))
	if len(res.Plan.Uploads) != 1 || res.Plan.Uploads[0].Path != "robots.txt" || res.Plan.Uploads[0].Reason != deploy.ReasonHeaders {
		t.Fatalf("uploads after a header rule changed = %+v; want robots.txt, headers changed", res.Plan.Uploads)
	}
	if got := aws.ToString(e.head("site/robots.txt").CacheControl); got != "max-age=60" {
		t.Errorf("Cache-Control of robots.txt = %q; want max-age=60", got)
	}
	paths, _ := e.invalidations()
	if want := [][]string{{"/robots.txt"}}; !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("invalidations = %q; want %q", paths, want)
	}
}

// TestSyncResumesInvalidation stops a sync after its uploads, deletes and
// manifest, when CloudFront refuses the invalidation, as a sync killed
// there would leave things. The next sync uploads nothing and still makes
// the invalidation.
func TestSyncResumesInvalidation(t *testing.T) { onEachS3(t, testSyncResumesInvalidation) }

func testSyncResumesInvalidation(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	e.edit("jobs/JOB-20261121-001.yaml", "crew: Sergio", "crew: Dana")

	s, _ := e.syncer()
	s.Invalidator = deploy.NewCloudFront(e.cf, "ENOSUCHDIST")
	ctx := context.Background()
	p, err := plan(t, s, e.files(testNow), planOpts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(ctx, p, deploy.Deploy{})
	var se *deploy.StepError
	if !errors.As(err, &se) || se.Step != "invalidate" {
		t.Fatalf("Apply with a failing CloudFront = %v; want a failure of the step invalidate", err)
	}
	if _, ok := e.listing()["site/.qdn/pending.json"]; !ok {
		t.Fatal("no pending invalidation in the bucket after the invalidation failed")
	}

	res, _ := e.sync(e.files(testNow))
	if res.Uploaded != 0 {
		t.Errorf("resumed sync uploaded %d; want 0", res.Uploaded)
	}
	wantPaths := []string{"/track/amjmobezssjp5pia4iukcejbpm/", "/" + markPage}
	if !slices.Equal(res.Plan.Invalidation.Carried, wantPaths) {
		t.Errorf("carried paths = %q; want %q", res.Plan.Invalidation.Carried, wantPaths)
	}
	paths, _ := e.invalidations()
	if want := [][]string{wantPaths}; !slices.EqualFunc(paths, want, slices.Equal) {
		t.Errorf("invalidations = %q; want %q", paths, want)
	}
	if _, ok := e.listing()["site/.qdn/pending.json"]; ok {
		t.Error("pending invalidation left in the bucket after CloudFront accepted it")
	}
}

// TestSyncInterruptedUploads cancels a sync in the middle of its uploads.
// The next sync uploads what is missing and invalidates what changed.
func TestSyncInterruptedUploads(t *testing.T) { onEachS3(t, testSyncInterruptedUploads) }

func testSyncInterruptedUploads(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	for _, id := range []string{"JOB-20261121-001", "JOB-20261122-001", "JOB-20261120-002"} {
		e.edit("jobs/"+id+".yaml", "customer:\n  name: ", "customer:\n  name: Dr. ")
	}
	s, _ := e.syncer()
	s.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	s.Progress = func(done int, _ int64) { cancel() } // stop after the first upload
	p, err := plan(t, s, e.files(testNow), planOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Uploads) != 3 {
		t.Fatalf("plan uploads %d; want 3", len(p.Uploads))
	}
	if _, err := s.Apply(ctx, p, deploy.Deploy{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply cancelled = %v; want context.Canceled", err)
	}
	res, _ := e.sync(e.files(testNow))
	if res.Uploaded < 2 || res.Uploaded > 3 {
		t.Errorf("resumed sync uploaded %d; want the 2 or 3 pages not known to be published", res.Uploaded)
	}
	paths, _ := e.invalidations()
	if len(paths) != 1 || len(paths[0]) != 6 {
		t.Errorf("invalidations = %q; want one of the 3 pages' 6 paths", paths)
	}
	if again, _ := e.sync(e.files(testNow)); !again.Plan.Empty() {
		t.Errorf("third sync plan = %+v; want nothing to do", again.Plan)
	}
}

// lock takes the lock of s's environment as holder, by a clock stopped at
// testNow, and returns its release.
func lock(t *testing.T, s *deploy.Syncer, holder string) func(context.Context) error {
	t.Helper()
	l := s.Lease(deploy.Lock{Holder: holder})
	l.Now = func() time.Time { return testNow }
	if _, err := l.Open(context.Background()); err != nil {
		t.Fatalf("lock: %v", err)
	}
	return l.Close
}

func TestSyncTooManyDeletes(t *testing.T) { onEachS3(t, testSyncTooManyDeletes) }

func testSyncTooManyDeletes(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	before := e.listing()
	for _, id := range []string{"JOB-20261121-001", "JOB-20261122-001", "JOB-20261120-002"} {
		if err := os.Remove(filepath.Join(e.site, "jobs", id+".yaml")); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := e.syncer()
	ctx := context.Background()
	release := lock(t, s, "test")
	opts := planOpts
	opts.MaxDeletes = 2
	_, err := plan(t, s, e.files(testNow), opts)
	var td *deploy.TooManyDeletesError
	if !errors.As(err, &td) || len(td.Deletes) != 3 {
		t.Fatalf("Plan deleting 3 with a limit of 2 = %v; want a TooManyDeletesError for 3", err)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	after := e.listing()
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("bucket changed by a refused sync:\nbefore %v\nafter  %v", before, after)
	}
}

// TestSyncLargeFile publishes a file above the transfer manager's 16 MiB
// multipart threshold: it goes up in parts (its ETag says so) and the next
// sync knows it unchanged from the manifest.
func TestSyncLargeFile(t *testing.T) { onEachS3(t, testSyncLargeFile) }

func testSyncLargeFile(t *testing.T, e *env) {
	big := make([]byte, 17<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.site, "content", "media"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.site, "content", "media", "tour.mp4"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	files := e.files(testNow)
	res, _ := e.sync(files)
	if res.Uploaded != len(files) {
		t.Fatalf("first sync uploaded %d; want %d", res.Uploaded, len(files))
	}
	h := e.head("site/media/tour.mp4")
	if etag := aws.ToString(h.ETag); !strings.Contains(etag, "-") {
		t.Errorf("ETag of the 17 MiB file = %s; want a multipart ETag (md5-N)", etag)
	}
	if aws.ToInt64(h.ContentLength) != int64(len(big)) {
		t.Errorf("size in the bucket = %d; want %d", aws.ToInt64(h.ContentLength), len(big))
	}
	res, _ = e.sync(e.files(testNow))
	if res.Uploaded != 0 || res.Unchanged != len(files) {
		t.Errorf("second sync uploaded %d, unchanged %d; want 0, %d", res.Uploaded, res.Unchanged, len(files))
	}
}

// TestSyncUploadFailure publishes to a bucket that does not exist: the
// error names the step and every key that failed, and nothing after the
// uploads is attempted.
func TestSyncUploadFailure(t *testing.T) { onEachS3(t, testSyncUploadFailure) }

func testSyncUploadFailure(t *testing.T, e *env) {
	files := e.files(testNow)
	s, _ := e.syncer()
	s.Bucket = deploy.NewS3(e.s3, "qdn-no-such-bucket")
	s.Invalidator = nil
	p, err := s.Plan(&deploy.Remote{}, files, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(context.Background(), p, deploy.Deploy{})
	var se *deploy.StepError
	if !errors.As(err, &se) || se.Step != "upload" {
		t.Fatalf("Apply to a missing bucket = %v; want a failure of the step upload", err)
	}
	msg := err.Error()
	// Assets go first and their failure stops the sync before any HTML.
	if !strings.Contains(msg, "upload site/robots.txt: ") || strings.Contains(msg, ".html") {
		t.Errorf("error = %q; want it to name robots.txt and no HTML page", msg)
	}
	if !strings.Contains(msg, "NoSuchBucket") {
		t.Errorf("error = %q; want the server's reason", msg)
	}
}

// TestSyncManyFiles publishes 2,100 files: the next sync lists them in
// ranges split by the manifest, in as many list requests as one listing
// from start to end, and still sees a key that appeared in any range.
func TestSyncManyFiles(t *testing.T) { onEachS3(t, testSyncManyFiles) }

func testSyncManyFiles(t *testing.T, e *env) {
	var files []deploy.File
	for i := range 2100 {
		p := fmt.Sprintf("media/%04d.txt", i)
		files = append(files, deploy.NewFile(p, []byte(p), generator.Headers{ContentType: "text/plain; charset=utf-8", CacheControl: generator.CacheAsset}))
	}
	if res, _ := e.sync(files); res.Uploaded != len(files) {
		t.Fatalf("first sync uploaded %d; want %d", res.Uploaded, len(files))
	}
	res, req := e.sync(files)
	if res.Unchanged != len(files) || len(res.Plan.Uploads) != 0 || len(res.Plan.Deletes) != 0 {
		t.Fatalf("second sync: %d unchanged, %d uploads, %d deletes; want %d, 0, 0", res.Unchanged, len(res.Plan.Uploads), len(res.Plan.Deletes), len(files))
	}
	if req.List != 3 {
		t.Errorf("second sync made %d list requests; want 3 for 2,101 keys", req.List)
	}
	// Keys that appeared since, at the start, between two ranges and at
	// the end, are seen and deleted.
	for _, k := range []string{"site/a.txt", "site/media/0999.txt.bak", "site/media/1999a.txt", "site/zz.txt"} {
		if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	res, _ = e.sync(files)
	var deleted []string
	for _, a := range res.Plan.Deletes {
		deleted = append(deleted, a.Path)
	}
	if want := []string{"a.txt", "media/0999.txt.bak", "media/1999a.txt", "zz.txt"}; !slices.Equal(deleted, want) {
		t.Errorf("deletes = %q; want %q", deleted, want)
	}
	if res.Unchanged != len(files) {
		t.Errorf("unchanged = %d; want %d", res.Unchanged, len(files))
	}
}

// build builds the site as qdn sync does, with a build cache of its own,
// and returns the files of its output once it forgot their bytes: each is
// read from public/ when uploaded. Every file's hash and size are those
// the build knows: none is read back to plan.
func (e *env) build(cache string) ([]deploy.File, string) {
	e.t.Helper()
	res := e.buildForgotten(cache)
	for _, p := range res.Output.Paths() {
		if _, _, ok := res.Output.Sum(p); !ok {
			e.t.Errorf("the build does not know the sum of %s: a sync would read it back to plan", p)
		}
	}
	files, err := deploy.Files(res.Output, res.Config)
	if err != nil {
		e.t.Fatal(err)
	}
	if got, want := describe(files), describe(hashEach(e.t, res.Output, res.Config)); !slices.Equal(got, want) {
		e.t.Fatalf("files planned from the build's sums differ from those read and hashed from public/:\n got %q\nwant %q", got, want)
	}
	return files, filepath.Join(e.site, "public")
}

// buildForgotten builds the site as qdn sync does, with a build cache of
// its own, and forgets the bytes of its output.
func (e *env) buildForgotten(cache string) *generator.Result {
	e.t.Helper()
	res, err := generator.Build(e.t.Context(), e.site, generator.Options{Now: func() time.Time { return testNow }, CacheDir: cache})
	if err != nil {
		e.t.Fatalf("build: %v", err)
	}
	res.Output.Forget()
	return res
}

// memFiles renders the site as it is now on disk, each file holding its
// bytes.
func (e *env) memFiles(now time.Time) []deploy.File {
	e.t.Helper()
	s, err := generator.Load(e.t.Context(), e.site, generator.Options{Now: func() time.Time { return now }})
	if err != nil {
		e.t.Fatalf("load site: %v", err)
	}
	out, err := generator.Render(e.t.Context(), s)
	if err != nil {
		e.t.Fatalf("render site: %v", err)
	}
	all, err := out.All()
	if err != nil {
		e.t.Fatal(err)
	}
	var files []deploy.File
	for _, p := range out.Paths() {
		files = append(files, deploy.NewFile(p, all[p], s.Config.ObjectHeaders(p)))
	}
	return files
}

// TestSyncStreamsFromPublic publishes the files of a build that forgot
// their bytes, planned from the hashes and sizes the build knows (of pages
// it wrote, then of pages its cache trusts) and read from public/ when
// uploaded: they plan and publish exactly what reading and hashing each
// file, and rendering in memory, do. A page that changed in public/ after
// the build, before or after the plan, is not uploaded under the old hash.
func TestSyncStreamsFromPublic(t *testing.T) { onEachS3(t, testSyncStreamsFromPublic) }

func testSyncStreamsFromPublic(t *testing.T, e *env) {
	cache := t.TempDir()
	streamed, public := e.build(cache)
	inMemory := e.memFiles(testNow)
	if got, want := describe(streamed), describe(inMemory); !slices.Equal(got, want) {
		t.Fatalf("files of a cached build differ from those rendered in memory:\n got %q\nwant %q", got, want)
	}
	for _, f := range streamed {
		if f.HeldBytes() != nil {
			t.Fatalf("file %s of a cached build holds its bytes", f.Path)
		}
	}
	res, _ := e.sync(streamed)
	if res.Uploaded != len(streamed) {
		t.Fatalf("first sync uploaded %d; want %d", res.Uploaded, len(streamed))
	}
	for _, f := range inMemory {
		if got := e.get("site/" + f.Path); !bytes.Equal(got, f.HeldBytes()) {
			t.Errorf("bucket holds %d bytes at %s; want the %d bytes rendered", len(got), f.Path, f.Size)
		}
	}
	// The same site rendered in memory has nothing to do.
	if again, _ := e.sync(inMemory); !again.Plan.Empty() || again.Unchanged != len(inMemory) {
		t.Errorf("sync of the same site rendered in memory: %+v; want nothing to do", again.Plan)
	}

	// A job changes; between the plan and the upload another build
	// rewrites its page.
	e.edit("jobs/JOB-20261121-001.yaml", "crew: Sergio", "crew: Dana")
	streamed, _ = e.build(cache)
	s, _ := e.syncer()
	p, err := plan(t, s, streamed, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Uploads) != 1 || p.Uploads[0].Path != markPage {
		t.Fatalf("plan after a job changed uploads %+v; want %s", p.Uploads, markPage)
	}
	if err := os.WriteFile(filepath.Join(public, filepath.FromSlash(markPage)), []byte("<p>rewritten</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(context.Background(), p, deploy.Deploy{})
	var ce *deploy.ChangedError
	if !errors.As(err, &ce) || ce.Path != markPage {
		t.Fatalf("Apply after the page changed in public/ = %v; want a ChangedError for %s", err, markPage)
	}
	if got := e.get("site/" + markPage); bytes.Contains(got, []byte("rewritten")) {
		t.Errorf("the page rewritten after the plan was uploaded")
	}

	// The job changes again, and its page is rewritten in public/ after
	// the build but before the plan: the plan takes the hash the build
	// knows, and the upload refuses the page that no longer has it.
	e.edit("jobs/JOB-20261121-001.yaml", "crew: Dana", "crew: Lee")
	built := e.buildForgotten(cache)
	want, size, ok := built.Output.Sum(markPage)
	if !ok {
		t.Fatalf("the build does not know the sum of %s, which it wrote", markPage)
	}
	if err := os.WriteFile(filepath.Join(public, filepath.FromSlash(markPage)), []byte("<p>rewritten again</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	streamed, err = deploy.Files(built.Output, built.Config)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(streamed, func(f deploy.File) bool { return f.Path == markPage })
	if f := streamed[i]; f.Hash != want || f.Size != size {
		t.Errorf("file %s = %x %d; want the build's %x %d", markPage, f.Hash, f.Size, want, size)
	}
	if p, err = plan(t, s, streamed, planOpts); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(p.Uploads, func(a deploy.Action) bool { return a.Path == markPage }) {
		t.Fatalf("plan after the job changed again uploads %+v; want %s among them", p.Uploads, markPage)
	}
	_, err = s.Apply(context.Background(), p, deploy.Deploy{})
	if !errors.As(err, &ce) || ce.Path != markPage {
		t.Fatalf("Apply of a page changed in public/ after the build = %v; want a ChangedError for %s", err, markPage)
	}
	if got := e.get("site/" + markPage); bytes.Contains(got, []byte("rewritten again")) {
		t.Errorf("the page rewritten after the build was uploaded")
	}
}

// manyFiles returns n small text files.
func manyFiles(n int, body string) []deploy.File {
	var files []deploy.File
	for i := range n {
		p := fmt.Sprintf("media/%04d.txt", i)
		files = append(files, deploy.NewFile(p, []byte(p+body), generator.Headers{ContentType: "text/plain; charset=utf-8", CacheControl: generator.CacheAsset}))
	}
	return files
}

// syncChecking syncs files as e.sync does, with a syncer that lists a
// part of the bucket in turn (CheckEvery every), and returns the remote it
// fetched.
func (e *env) syncChecking(files []deploy.File, every int) (*deploy.Result, *deploy.Remote, deploy.Requests) {
	e.t.Helper()
	s, b := e.syncer()
	s.CheckEvery = every
	ctx := context.Background()
	release := lock(e.t, s, "test")
	r, err := s.Fetch(ctx)
	if err != nil {
		e.t.Fatalf("Fetch: %v", err)
	}
	p, err := s.Plan(r, files, planOpts)
	if err != nil {
		e.t.Fatalf("Plan: %v", err)
	}
	res, err := s.Apply(ctx, p, deploy.Deploy{Commit: "abc123"})
	if err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
	if err := release(ctx); err != nil {
		e.t.Fatalf("release: %v", err)
	}
	return res, r, b.Requests()
}

// TestSyncChecksInTurn publishes 2,500 files with syncs that list a third
// of the bucket each (a partial listing from 1,000 keys on, not 8,000): with the bucket as the manifest says, they plan
// exactly what a sync listing everything plans, with fewer list requests;
// an object changed, removed or added by hand is put right within three
// syncs, and the sync whose part finds it lists everything.
func TestSyncChecksInTurn(t *testing.T) { onEachS3(t, testSyncChecksInTurn) }

func testSyncChecksInTurn(t *testing.T, e *env) {
	t.Cleanup(deploy.SetPartialFrom(1000))
	files := manyFiles(2500, "")
	if res, r, _ := e.syncChecking(files, 3); res.Uploaded != len(files) || !r.Full {
		t.Fatalf("first sync uploaded %d, full listing %v; want %d, a full listing (no manifest yet)", res.Uploaded, r.Full, len(files))
	}
	// The next build changes some files and drops others.
	next := manyFiles(2400, "")
	for _, i := range []int{5, 1200, 2399} {
		next[i] = deploy.NewFile(next[i].Path, []byte("changed"), next[i].Headers)
	}
	s, _ := e.syncer()
	full, err := plan(t, s, next, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		res, r, req := e.syncChecking(files, 3)
		if r.Full || r.Listed > 900 || !res.Plan.Empty() || res.Unchanged != len(files) {
			t.Fatalf("no-op sync: full listing %v, listed %d, plan %+v; want about a third listed and nothing to do", r.Full, r.Listed, res.Plan)
		}
		if req.List != 1 {
			t.Errorf("no-op sync made %d list requests; want 1 for 834 of 2,503 keys", req.List)
		}
	}
	s.CheckEvery = 3
	part, err := plan(t, s, next, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(full.Uploads, part.Uploads); diff != "" {
		t.Errorf("uploads planned after a partial listing (-full +partial):\n%s", diff)
	}
	if diff := cmp.Diff(full.Deletes, part.Deletes); diff != "" {
		t.Errorf("deletes planned after a partial listing (-full +partial):\n%s", diff)
	}
	if diff := cmp.Diff(full.Invalidation, part.Invalidation); diff != "" {
		t.Errorf("invalidation planned after a partial listing (-full +partial):\n%s", diff)
	}
	if full.Unchanged != part.Unchanged || len(full.Deletes) != 100 || len(full.Uploads) != 3 {
		t.Errorf("plans: full %d uploads, %d deletes, %d unchanged; partial %d unchanged; want 3, 100, 2,297, the same", len(full.Uploads), len(full.Deletes), full.Unchanged, part.Unchanged)
	}

	// Behind qdn's back, one object is overwritten, one removed and one
	// added, in different thirds of the bucket.
	ctx := context.Background()
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/media/0100.txt"), Body: strings.NewReader("defaced")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/media/1300.txt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/media/2200.txt.bak"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	var repaired []string
	fulls := 0
	for range 3 {
		res, r, _ := e.syncChecking(files, 3)
		if r.Full {
			fulls++
		}
		for _, a := range res.Plan.Uploads {
			repaired = append(repaired, a.Path+": "+a.Reason)
		}
		for _, a := range res.Plan.Deletes {
			repaired = append(repaired, a.Path+": "+a.Reason)
		}
	}
	slices.Sort(repaired)
	want := []string{
		"media/0100.txt: " + deploy.ReasonChangedOutside,
		"media/1300.txt: " + deploy.ReasonMissing,
		"media/2200.txt.bak: " + deploy.ReasonGone,
	}
	if !slices.Equal(repaired, want) {
		t.Errorf("within three syncs after the bucket was changed by hand, they did %q; want %q", repaired, want)
	}
	if fulls != 1 {
		t.Errorf("%d of the three syncs listed everything; want 1, the first whose part found a change", fulls)
	}
	if got := string(e.get("site/media/0100.txt")); got != "media/0100.txt" {
		t.Errorf("site/media/0100.txt holds %q after the syncs; want it put back", got)
	}

	// --verify lists everything at once.
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/media/0001.txt"), Body: strings.NewReader("defaced")}); err != nil {
		t.Fatal(err)
	}
	res, r, _ := e.syncChecking(files, 0)
	if !r.Full || len(res.Plan.Uploads) != 1 || res.Plan.Uploads[0].Path != "media/0001.txt" {
		t.Errorf("sync with a full listing: full %v, uploads %+v; want media/0001.txt put back", r.Full, res.Plan.Uploads)
	}

	// A sync that changes the bucket and stops before its manifest (a
	// killed run) leaves no check behind, so the next sync lists
	// everything: outside its part, a partial listing would trust a
	// manifest that no longer matches what the stopped sync wrote.
	e.syncChecking(files, 3)
	if _, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/" + deploy.CheckKey)}); err != nil {
		t.Fatalf("no check after a sync listing in part: %v", err)
	}
	stopped, _ := e.syncer()
	stopped.CheckEvery = 3
	stopped.Bucket = noManifest{stopped.Bucket}
	release := lock(t, stopped, "test")
	p, err := plan(t, stopped, next, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stopped.Apply(ctx, p, deploy.Deploy{Commit: "def456"}); err == nil {
		t.Fatal("Apply succeeded though its manifest could not be written")
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/" + deploy.CheckKey)}); err == nil {
		t.Error("the check is still there after a sync that changed the bucket stopped before its manifest")
	}
	res, r, _ = e.syncChecking(files, 3)
	if !r.Full || len(res.Plan.Uploads) != 103 {
		t.Errorf("sync after a stopped one: full listing %v, %d uploads; want a full listing putting back 103 files", r.Full, len(res.Plan.Uploads))
	}
}

// TestSyncChecksAfterTheLastPart: when a sync removes every key after the
// part it listed, the next part starts again at the first key, and the
// next sync lists that part, finding there what changed by hand.
func TestSyncChecksAfterTheLastPart(t *testing.T) { onEachS3(t, testSyncChecksAfterTheLastPart) }

func testSyncChecksAfterTheLastPart(t *testing.T, e *env) {
	t.Cleanup(deploy.SetPartialFrom(400))
	files := manyFiles(750, "")
	e.syncChecking(files, 3) // the first, listing everything
	e.syncChecking(files, 3) // the first third
	// The second third is listed (through media/0498.txt: the state
	// under .qdn/ sorts first), and every key after it removed.
	if res, r, _ := e.syncChecking(files[:499], 3); r.Full || len(res.Plan.Deletes) != 251 {
		t.Fatalf("sync dropping the last keys: full listing %v, %d deletes; want a part listed, 251 deletes", r.Full, len(res.Plan.Deletes))
	}
	ctx := context.Background()
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/media/0100.txt"), Body: strings.NewReader("defaced")}); err != nil {
		t.Fatal(err)
	}
	res, r, _ := e.syncChecking(files[:499], 3)
	if r.Listed == 0 || len(res.Plan.Uploads) != 1 || res.Plan.Uploads[0].Path != "media/0100.txt" {
		t.Errorf("sync after the last part: listed %d, uploads %+v; want the first part listed and media/0100.txt put back", r.Listed, res.Plan.Uploads)
	}
}

// noManifest is a bucket where the manifest cannot be written, as for a
// sync killed just before it.
type noManifest struct{ deploy.Bucket }

func (b noManifest) Put(ctx context.Context, key string, body []byte, h generator.Headers) (string, error) {
	if strings.HasSuffix(key, deploy.ManifestKey) {
		return "", errors.New("stopped before the manifest")
	}
	return b.Bucket.Put(ctx, key, body, h)
}

// listFirst is a bucket that answers a read of the manifest only once a
// listing has begun, or after 10 s with an error.
type listFirst struct {
	deploy.Bucket
	listing chan struct{}
	once    *sync.Once
}

func (b listFirst) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasSuffix(key, deploy.ManifestKey) {
		select {
		case <-b.listing:
		case <-time.After(10 * time.Second):
			return nil, errors.New("the manifest was read before the listing began")
		}
	}
	return b.Bucket.Get(ctx, key)
}

func (b listFirst) List(ctx context.Context, prefix, after, through string) ([]deploy.Object, error) {
	b.once.Do(func() { close(b.listing) })
	return b.Bucket.List(ctx, prefix, after, through)
}

// failList is a bucket that cannot be listed.
type failList struct{ deploy.Bucket }

var errListDenied = errors.New("AccessDenied: not allowed to s3:ListBucket")

func (failList) List(ctx context.Context, prefix, after, through string) ([]deploy.Object, error) {
	return nil, errListDenied
}

// TestSyncPassEndsInTime syncs with a part of the bucket listed each time
// (CheckEvery 4) while every sync adds keys ahead of the part it lists:
// every key the bucket held when the pass began is still listed within 4
// syncs, the parts growing with the keys ahead of them.
func TestSyncPassEndsInTime(t *testing.T) { onEachS3(t, testSyncPassEndsInTime) }

func testSyncPassEndsInTime(t *testing.T, e *env) {
	t.Cleanup(deploy.SetPartialFrom(1000))
	const every = 4
	file := func(i, k int) deploy.File {
		p := fmt.Sprintf("media/%04d-%d.txt", i, k)
		return deploy.NewFile(p, []byte(p), generator.Headers{ContentType: "text/plain; charset=utf-8", CacheControl: generator.CacheAsset})
	}
	var files []deploy.File
	for i := range 1200 {
		files = append(files, file(i, 0))
	}
	if _, r, _ := e.syncChecking(files, every); !r.Full {
		t.Fatal("first sync listed in part; want everything listed (no manifest yet)")
	}
	listed := map[string]bool{}
	for k := 1; k <= every; k++ {
		// Beside each key of the second half: ahead of the pass until
		// its last part.
		for i := 600; i < 1200; i++ {
			files = append(files, file(i, k))
		}
		res, r, _ := e.syncChecking(files, every)
		if r.Full || res.Uploaded != 600 {
			t.Fatalf("sync %d: full listing %v, uploaded %d; want a part listed, 600 uploads", k, r.Full, res.Uploaded)
		}
		for _, o := range r.Objects {
			listed[o.Key] = true
		}
	}
	missed := 0
	for i := range 1200 {
		if !listed["site/"+file(i, 0).Path] {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("%d of the 1,200 keys the bucket held when the pass began were not listed in the %d syncs after; want every one", missed, every)
	}
}

// TestSyncCheckRoundBelowZero reads a check whose round is below 0, as a
// damaged or hand-made check.json can have: the sync still lists its share
// of the keys, not one key, which would stretch a pass over thousands of
// syncs and leave objects changed by hand unseen that long.
func TestSyncCheckRoundBelowZero(t *testing.T) { onEachS3(t, testSyncCheckRoundBelowZero) }

func testSyncCheckRoundBelowZero(t *testing.T, e *env) {
	t.Cleanup(deploy.SetPartialFrom(1000))
	const every = 4
	var files []deploy.File
	for i := range 1200 {
		p := fmt.Sprintf("media/%04d.txt", i)
		files = append(files, deploy.NewFile(p, []byte(p), generator.Headers{ContentType: "text/plain; charset=utf-8", CacheControl: generator.CacheAsset}))
	}
	e.syncChecking(files, every)
	e.put("site/"+deploy.CheckKey, []byte(`{"after":"site/media/0100.txt","round":-1000000}`))
	_, r, _ := e.syncChecking(files, every)
	// The 1,099 keys after 0100 in the 4 parts of a pass.
	if want := (1200 - 101 + every - 1) / every; r.Full || len(r.Objects) < want {
		t.Errorf("sync after a check of round -1000000: full listing %v, %d keys listed; want a part of at least %d", r.Full, len(r.Objects), want)
	}
}

// TestSyncListsNextPartEarly checks that the check a sync leaves names
// the next part to list, and that the next sync lists it while it reads
// the manifest; that a listing that fails fails the sync with its error;
// and that a check without the next part, as qdn wrote before, still
// lists in part.
func TestSyncListsNextPartEarly(t *testing.T) { onEachS3(t, testSyncListsNextPartEarly) }

func testSyncListsNextPartEarly(t *testing.T, e *env) {
	t.Cleanup(deploy.SetPartialFrom(1000))
	files := manyFiles(2500, "")
	e.syncChecking(files, 2)
	var check deploy.Check
	if err := json.Unmarshal(e.get("site/"+deploy.CheckKey), &check); err != nil {
		t.Fatal(err)
	}
	// 2,503 keys (three of them qdn's state) in halves of 1,252: the first
	// half ends at the 1,249th file, in two ranges.
	want := deploy.Check{After: "", Next: &deploy.Part{Through: "site/media/1248.txt", Bounds: []string{"site/media/0996.txt"}}}
	if diff := cmp.Diff(want, check); diff != "" {
		t.Errorf("check after a full listing (-want +got):\n%s", diff)
	}

	s, _ := e.syncer()
	s.CheckEvery = 2
	ctx := context.Background()
	bucket := s.Bucket
	s.Bucket = listFirst{Bucket: bucket, listing: make(chan struct{}), once: new(sync.Once)}
	r, err := s.Fetch(ctx)
	if err != nil {
		t.Fatalf("Fetch with the manifest read only once the listing began: %v", err)
	}
	if r.Full || r.Listed != 1251 {
		t.Errorf("Fetch listed %d keys, full %v; want the 1,251 of the first half (two of them qdn's state)", r.Listed, r.Full)
	}

	s.Bucket = failList{bucket}
	if r, err := s.Fetch(ctx); !errors.Is(err, errListDenied) || r != nil {
		t.Errorf("Fetch of a bucket that cannot be listed = %v, %v; want no remote and its error", r, err)
	}

	// A check as qdn wrote it before: where to start, not the part.
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site/" + deploy.CheckKey), Body: strings.NewReader(`{"after":""}`)}); err != nil {
		t.Fatal(err)
	}
	res, r, _ := e.syncChecking(files, 2)
	if r.Full || r.Listed != 1252 || !res.Plan.Empty() {
		t.Errorf("sync after a check without its part: full %v, listed %d, empty plan %v; want the 1,252 keys of the first half (three of them qdn's state) listed, nothing to do", r.Full, r.Listed, res.Plan.Empty())
	}
	if err := json.Unmarshal(e.get("site/"+deploy.CheckKey), &check); err != nil {
		t.Fatal(err)
	}
	want = deploy.Check{After: "site/media/1248.txt", Next: &deploy.Part{Through: "", Bounds: []string{"site/media/2248.txt"}}, Round: 1}
	if diff := cmp.Diff(want, check); diff != "" {
		t.Errorf("check after the first half (-want +got):\n%s", diff)
	}
}

// TestFilesFreeTheOutput checks that the Files of a build written to
// public/ do not keep its output alive (its maps of a million paths and
// sums, in a sync of a million pages), and still upload their bytes, read
// from public/.
func TestFilesFreeTheOutput(t *testing.T) { onEachS3(t, testFilesFreeTheOutput) }

func testFilesFreeTheOutput(t *testing.T, e *env) {
	res := e.buildForgotten(t.TempDir())
	files, err := deploy.Files(res.Output, res.Config)
	if err != nil {
		t.Fatal(err)
	}
	out := weak.Make(res.Output)
	res = nil
	runtime.GC()
	if out.Value() != nil {
		t.Errorf("the build's output is still alive beside its %d files", len(files))
	}
	if got, _ := e.sync(files); got.Uploaded != len(files) {
		t.Fatalf("sync uploaded %d; want %d", got.Uploaded, len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(e.site, "public", filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if got := e.get("site/" + f.Path); !bytes.Equal(got, want) {
			t.Errorf("bucket holds %d bytes at %s; want the %d in public/", len(got), f.Path, len(want))
		}
	}
}

// TestPutCopiesNoBody checks that an upload below the multipart size is
// sent from the bytes given, not first copied into buffers (as the
// transfer manager does, growing them as it reads): what a Put of 8 MiB
// allocates is a small part of 8 MiB. It still arrives whole.
func TestPutCopiesNoBody(t *testing.T) { onEachS3(t, testPutCopiesNoBody) }

func testPutCopiesNoBody(t *testing.T, e *env) {
	_, b := e.syncer()
	body := make([]byte, 8<<20)
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	h := generator.Headers{ContentType: "video/mp4", CacheControl: generator.CacheAsset}
	// The first request sets up the client's connections.
	if _, err := b.Put(t.Context(), "site/warm", []byte("x"), h); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := b.Put(t.Context(), "site/big.mp4", body, h); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > uint64(len(body))/4 {
		t.Errorf("a Put of %d bytes allocated %d bytes; want at most a quarter of them", len(body), n)
	}
	if got := e.get("site/big.mp4"); !bytes.Equal(got, body) {
		t.Errorf("bucket holds %d bytes; want the %d put", len(got), len(body))
	}
}

// TestManifestStreamedToS3 writes the manifest of 320,000 keys (over 16
// MiB) as a sync does, encoded as it is sent, and reads it back: the same
// entries, and fewer bytes allocated than the manifest's own.
func TestManifestStreamedToS3(t *testing.T) { onEachS3(t, testManifestStreamedToS3) }

func testManifestStreamedToS3(t *testing.T, e *env) {
	s, _ := e.syncer()
	h := generator.Headers{ContentType: "text/html; charset=utf-8", CacheControl: generator.CacheHTML}
	files := make([]deploy.File, 320_000)
	for i := range files {
		files[i] = deploy.File{Path: fmt.Sprintf("track/%07d/index.html", i), Headers: h, Hash: sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}), Size: int64(i)}
	}
	wrote, err := deploy.WriteManifest(t.Context(), s, files, "c")
	if err != nil {
		t.Fatal(err)
	}
	if wrote.Size < 16<<20 {
		t.Fatalf("manifest of %d bytes; want one over 16 MiB", wrote.Size)
	}
	if wrote.Allocated > uint64(wrote.Size)/2 {
		t.Errorf("writing a manifest of %d bytes allocated %d bytes; want at most half of them", wrote.Size, wrote.Allocated)
	}
	r, err := s.Fetch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Manifest.Entries) != len(files) {
		t.Fatalf("manifest read back has %d entries; want %d", len(r.Manifest.Entries), len(files))
	}
	for i, e := range r.Manifest.Entries {
		if f := files[i]; e.Path != f.Path || e.Hash != f.Hash || e.Size != f.Size || e.Headers != deploy.Fingerprint(h) || e.ETag != "etag" {
			t.Fatalf("entry %d read back = %+v; want %s with its hash, size %d and ETag etag", i, e, f.Path, f.Size)
		}
	}
}

// TestFilesOfUnwrittenOutput uploads the files of a build that wrote
// nothing (NoWrite): their bytes are the ones the build holds, not what an
// older public/ has, or none at all.
func TestFilesOfUnwrittenOutput(t *testing.T) { onEachS3(t, testFilesOfUnwrittenOutput) }

func testFilesOfUnwrittenOutput(t *testing.T, e *env) {
	res, err := generator.Build(t.Context(), e.site, generator.Options{Now: func() time.Time { return testNow }, NoWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.site, "public")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("public/ after a build that writes nothing: %v; want none", err)
	}
	files, err := deploy.Files(res.Output, res.Config)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.sync(files); got.Uploaded != len(files) {
		t.Fatalf("sync uploaded %d; want %d", got.Uploaded, len(files))
	}
	for _, f := range files {
		want, err := res.Output.Bytes(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.get("site/" + f.Path); !bytes.Equal(got, want) {
			t.Errorf("bucket holds %d bytes at %s; want the %d the build holds", len(got), f.Path, len(want))
		}
	}
}

// failPut is a bucket that refuses every object but qdn's state, as one
// whose disk is full would.
type failPut struct{ deploy.Bucket }

func (f failPut) Put(ctx context.Context, key string, body []byte, h generator.Headers) (string, error) {
	if strings.Contains(key, "/"+deploy.StateDir) {
		return f.Bucket.Put(ctx, key, body, h)
	}
	return "", errors.New("InsufficientStorage: No space left on device")
}

// TestSyncReportsFirstFailures syncs 30 files to a bucket that refuses
// them all: the error counts the 30 and names the first 10 only.
func TestSyncReportsFirstFailures(t *testing.T) { onEachS3(t, testSyncReportsFirstFailures) }

func testSyncReportsFirstFailures(t *testing.T, e *env) {
	s, _ := e.syncer()
	ctx := context.Background()
	release := lock(t, s, "test")
	defer release(ctx)
	p, err := plan(t, s, manyFiles(30, ""), planOpts)
	if err != nil {
		t.Fatal(err)
	}
	s.Bucket = failPut{s.Bucket}
	_, err = s.Apply(ctx, p, deploy.Deploy{Commit: "abc123"})
	if err == nil {
		t.Fatal("sync to a bucket that refuses every upload succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "30 of 30 uploads failed, the first 10 of them") || strings.Count(msg, "No space left") != 10 {
		t.Errorf("error of 30 refused uploads:\n%s\nwant their count and the first 10", msg)
	}
}
