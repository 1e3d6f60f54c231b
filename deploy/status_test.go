package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/cffunctions"
)

// expiredPage is the page of JOB-20260904-002, completed on 5 September:
// past track.expire_after (720h) at testNow, so the build no longer makes
// it.
const expiredPage = "track/qs5noppu3pcssgtaxrmprg3t4a/index.html"

// TestStatusSections publishes the example site, then changes the bucket
// behind qdn's back and leaves a failed sync's state in it: each section
// of the status, computed from one Fetch, sees what was done, and Check
// names every problem. The role may not call cloudfront:GetFunction: the
// edge section says so, as qdn status shows it, and is no problem of the
// site, while every other section still comes through.
func TestStatusSections(t *testing.T) { onEachS3(t, testStatusSections) }

func testStatusSections(t *testing.T, e *env) {
	e.sync(e.files(testNow))
	s, b := e.syncer()
	ctx := context.Background()
	res, err := generator.Build(ctx, e.site, generator.Options{Now: func() time.Time { return testNow }, NoWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	expire := res.Config.Track.ExpireAfter
	fn := deniedFunction(t)

	status := func() *deploy.Status {
		t.Helper()
		r, err := s.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l, err := deploy.ReadLock(ctx, b, e.prefix+deploy.LockKey)
		if err != nil {
			t.Fatal(err)
		}
		st := &deploy.Status{Env: "staging", Deployed: deploy.NewDeployed(r.Manifest),
			Waiting: deploy.NewWaiting(nil, nil, r, l, testNow), Drift: deploy.NewDrift(r, e.prefix),
			Expiry: deploy.NewExpiry(res.Ended, expire, testNow, r, e.prefix), Cost: deploy.NewCostStatus(nil, r.Manifest, testNow)}
		// As qdn status does, the edge section carries its error.
		if st.Edge, err = fn.Status(ctx); err != nil {
			st.Edge = deploy.EdgeStatus{Function: fn.Name, Error: err.Error()}
		}
		if want := (deploy.EdgeStatus{Function: fn.Name, Error: "needs cloudfront:GetFunction"}); st.Edge != want {
			t.Errorf("Edge without cloudfront:GetFunction = %+v; want %+v", st.Edge, want)
		}
		st.Check()
		return st
	}

	st := status()
	if !st.OK || len(st.Drift.Objects) != 0 || len(st.Expiry.Expired) != 0 || st.Waiting.Pending != nil || st.Waiting.Lock != nil {
		t.Fatalf("status after a sync = %+v; want clean", st)
	}
	if st.Deployed.Commit != "abc123" || st.Deployed.Synced == nil || !st.Deployed.Synced.Equal(testNow) {
		t.Errorf("Deployed = %+v; want commit abc123 synced at %v", st.Deployed, testNow)
	}
	// JOB-20261118-001, completed on 19 November at 14:25 in Boise, is the
	// next page to expire.
	wantNext := time.Date(2026, 11, 19, 21, 25, 0, 0, time.UTC).Add(expire)
	if st.Expiry.Next == nil || !st.Expiry.Next.Equal(wantNext) || st.Expiry.NextJob != "JOB-20261118-001" {
		t.Errorf("Expiry.Next = %v (%s); want %v (JOB-20261118-001)", st.Expiry.Next, st.Expiry.NextJob, wantNext)
	}

	// Someone edits robots.txt and deletes the about page in the console,
	// and an old sync left the expired page behind.
	e.put(e.prefix+"robots.txt", []byte("User-agent: *\nDisallow: /\n"))
	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.prefix + "about/index.html")}); err != nil {
		t.Fatal(err)
	}
	e.put(e.prefix+expiredPage, []byte("<p>old page</p>"))
	// A sync died after recording its invalidation, holding the lock.
	pending, _ := json.Marshal(deploy.Pending{ID: "x", Since: testNow.Add(-time.Hour), Paths: []string{"/about/", "/about/index.html"}})
	e.put(e.prefix+deploy.PendingKey, pending)
	lock, _ := json.Marshal(deploy.Lock{Holder: "ci@runner (pid 7)", Since: testNow.Add(-10 * time.Minute), Expires: testNow.Add(-9 * time.Minute)})
	e.put(e.prefix+deploy.LockKey, lock)

	st = status()
	wantDrift := []deploy.DriftObject{
		{Path: "about/index.html", Reason: deploy.ReasonMissing},
		{Path: "robots.txt", Reason: deploy.ReasonChangedOutside},
		{Path: expiredPage, Reason: deploy.ReasonNotInManifest},
	}
	if diff := cmp.Diff(st.Drift.Objects, wantDrift); diff != "" {
		t.Errorf("Drift (-got +want):\n%s", diff)
	}
	if len(st.Expiry.Expired) != 1 || st.Expiry.Expired[0].Job != "JOB-20260904-002" || st.Expiry.Expired[0].Path != expiredPage {
		t.Errorf("Expiry.Expired = %+v; want the page of JOB-20260904-002", st.Expiry.Expired)
	}
	if p := st.Waiting.Pending; p == nil || p.Paths != 2 || !p.Since.Equal(testNow.Add(-time.Hour)) {
		t.Errorf("Waiting.Pending = %+v; want 2 paths since an hour", p)
	}
	if l := st.Waiting.Lock; l == nil || l.Holder != "ci@runner (pid 7)" || !l.Ended {
		t.Errorf("Waiting.Lock = %+v; want ci@runner's, ended", l)
	}
	want := []string{
		"the bucket drifted from the manifest: 3 objects",
		"an invalidation of 2 paths is pending since 2026-11-22T11:00:00Z",
		"1 expired page past track.expire_after still served",
	}
	if diff := cmp.Diff(st.Problems, want); diff != "" || st.OK {
		t.Errorf("Problems (-got +want):\n%s", diff)
	}
}

// deniedFunction returns the function qdn-rewrite, published with the
// local code on the CloudFront Functions stand-in, read by a client whose
// role may not call cloudfront:GetFunction.
func deniedFunction(t *testing.T) *deploy.Function {
	t.Helper()
	srv := &cffunctions.Server{}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.Put("qdn-rewrite", edge.Code())
	srv.Publish("qdn-rewrite")
	srv.Deny("GetFunction")
	client := cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDQDNTEST", "secret", ""),
	})
	return &deploy.Function{Client: client, Name: "qdn-rewrite", Code: edge.Code()}
}

// TestNewExpiry covers what the example site does not: a job that ended at
// an unknown time, whose page is expired whatever the date, and no ended
// job at all.
func TestNewExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := &deploy.Remote{Objects: []deploy.Object{{Key: "p/track/aaa/index.html"}, {Key: "p/track/bbb/index.html"}, {Key: "p/track/ccc/index.html"}}}
	ended := []generator.EndedJob{
		{ID: "A", Token: "aaa"},                                // unknown end: expired
		{ID: "B", Token: "bbb", At: now.Add(-2 * time.Hour)},   // live for 22h more
		{ID: "C", Token: "ccc", At: now.Add(-23 * time.Hour)},  // live for 1h more
		{ID: "D", Token: "ddd", At: now.Add(-100 * time.Hour)}, // expired, not in the bucket
	}
	x := deploy.NewExpiry(ended, 24*time.Hour, now, r, "p/")
	if x.Next == nil || !x.Next.Equal(now.Add(time.Hour)) || x.NextJob != "C" {
		t.Errorf("Next = %v (%s); want %v (C)", x.Next, x.NextJob, now.Add(time.Hour))
	}
	if len(x.Expired) != 1 || x.Expired[0].Job != "A" || x.Expired[0].Ended != nil {
		t.Errorf("Expired = %+v; want A's page, ended at an unknown time", x.Expired)
	}
	x = deploy.NewExpiry(nil, 24*time.Hour, now, r, "p/")
	if x.Next != nil || len(x.Expired) != 0 {
		t.Errorf("NewExpiry without ended jobs = %+v; want nothing", x)
	}
	if b, _ := json.Marshal(x); !strings.Contains(string(b), `"expired_in_bucket":[]`) || !strings.Contains(string(b), `"next":null`) {
		t.Errorf("JSON of an empty expiry = %s; want an empty list and a null next", b)
	}
}

// TestFilesKnownSums builds the example site three times with the build
// cache, the last one in memory: the pages the cache trusts are not read
// back, and Files gives every object the hash, size and headers that
// reading and hashing each gives it.
func TestFilesKnownSums(t *testing.T) {
	site := exampleSite(t)
	cache := t.TempDir()
	ctx := context.Background()
	opt := generator.Options{Now: func() time.Time { return testNow }, CacheDir: cache}
	for range 2 {
		if _, err := generator.Build(ctx, site, opt); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // past the cache's racy window
	}
	opt.NoWrite = true
	res, err := generator.Build(ctx, site, opt)
	if err != nil {
		t.Fatal(err)
	}
	known := 0
	for _, p := range res.Output.Paths() {
		if _, _, ok := res.Output.Sum(p); ok {
			known++
		}
	}
	if known == 0 {
		t.Fatal("no page's sum is known without reading it; want the tracking pages the cache trusts")
	}
	got, err := deploy.Files(res.Output, res.Config)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(got), describe(hashEach(t, res.Output, res.Config)); !slices.Equal(got, want) {
		t.Errorf("Files of a build in memory = %q; want %q", got, want)
	}
}

// hashEach returns the files of out as reading and hashing each gives
// them, whatever the build knows of them.
func hashEach(t *testing.T, out *generator.Output, cfg *generator.Config) []deploy.File {
	t.Helper()
	var files []deploy.File
	for _, p := range out.Paths() {
		b, err := out.Bytes(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, deploy.NewFile(p, b, cfg.ObjectHeaders(p)))
	}
	return files
}

// describe returns what a plan takes of each file: path, hash, size and
// headers.
func describe(fs []deploy.File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %x %d %v", f.Path, f.Hash, f.Size, f.Headers))
	}
	return out
}
