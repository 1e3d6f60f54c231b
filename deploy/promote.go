package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

// ReasonNotInSource is why a promotion deletes a key of the destination.
const ReasonNotInSource = "not in the source environment"

// ErrSourceChanged is returned by a Copier when the source object is no
// longer the one the promotion read.
var ErrSourceChanged = errors.New("the source object changed since it was listed")

// Copier is storage that copies objects into itself from another bucket of
// the same service, without the bytes passing through qdn. S3 is one.
type Copier interface {
	// Copy copies src to key with its bytes and headers and returns the
	// ETag of the copy, or an error wrapping ErrSourceChanged when src no
	// longer has the ETag src.ETag.
	Copy(ctx context.Context, src CopySource, key string) (etag string, err error)
}

// CopySource names the object a Copier copies.
type CopySource struct {
	Bucket string
	Key    string
	// ETag, when set, is the ETag the object must still have.
	ETag string
}

// Copy implements Copier with CopyObject, conditional on
// x-amz-copy-source-if-match. The metadata directive is COPY, so the copy
// keeps the Content-Type and Cache-Control the source was uploaded with.
// CopyObject takes objects up to 5 GiB; a larger one fails with S3's
// error. A copy counts as a put in Requests, as S3 bills it.
func (b *S3) Copy(ctx context.Context, src CopySource, key string) (string, error) {
	b.puts.Add(1)
	segs := strings.Split(src.Key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(b.bucket),
		Key:               aws.String(key),
		CopySource:        aws.String(src.Bucket + "/" + strings.Join(segs, "/")),
		MetadataDirective: s3types.MetadataDirectiveCopy,
	}
	if src.ETag != "" {
		in.CopySourceIfMatch = aws.String(`"` + src.ETag + `"`)
	}
	out, err := b.client.CopyObject(ctx, in)
	if err != nil {
		var ae smithy.APIError
		var re *awshttp.ResponseError
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) || (errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "NoSuchKey")) ||
			(errors.As(err, &re) && re.HTTPStatusCode() == http.StatusPreconditionFailed) {
			return "", fmt.Errorf("copy s3://%s/%s to %s: %w (%v)", src.Bucket, src.Key, key, ErrSourceChanged, err)
		}
		return "", fmt.Errorf("copy s3://%s/%s to %s: %w", src.Bucket, src.Key, key, err)
	}
	if out.CopyObjectResult == nil {
		return "", fmt.Errorf("copy s3://%s/%s to %s: no result in the response", src.Bucket, src.Key, key)
	}
	return etag(out.CopyObjectResult.ETag), nil
}

// Source is the environment a promotion copies from, as one listing and
// the reads of its state objects found it.
type Source struct {
	Remote
	// Lock is the lock of a sync of the source that was running when it
	// was listed; nil when none was.
	Lock *Lock
}

// Copy is one object a promotion copies from the source to the
// destination.
type Copy struct {
	// Action holds the destination key, the path, the size and why.
	Action
	// From is the key in the source bucket and ETag the ETag the source's
	// manifest recorded for it: the copy is made only if it is still that
	// object.
	From string `json:"from"`
	ETag string `json:"etag"`
}

// Promotion is what promoting one environment (the source, such as
// staging) to another (the destination, such as production) will do. It is
// computed by NewPromotion without any I/O, is what `qdn promote --dry-run`
// prints, and is applied by Promoter.Apply.
type Promotion struct {
	// FromPrefix and Prefix are the key prefixes of the source and of the
	// destination.
	FromPrefix string `json:"from_prefix"`
	Prefix     string `json:"prefix"`
	// Commit and Dirty are what the source's manifest says was synced to
	// it; the destination's manifest says the same once promoted.
	Commit string `json:"commit,omitempty"`
	Dirty  bool   `json:"dirty,omitempty"`
	// Copies are the objects that differ, assets before HTML, each group
	// sorted by key.
	Copies []Copy `json:"copies"`
	// Deletes are the keys of the destination that the source has not.
	Deletes []Action `json:"deletes"`
	// Unchanged is how many objects the destination already holds as the
	// source does.
	Unchanged int `json:"unchanged"`
	// Invalidation is what the destination's CloudFront is asked to drop.
	Invalidation Invalidation `json:"invalidation"`

	from    *Manifest
	to      *Manifest
	pending *Pending
}

// Bytes is the number of bytes the promotion copies.
func (p *Promotion) Bytes() int64 {
	var n int64
	for _, c := range p.Copies {
		n += c.Size
	}
	return n
}

// Empty says the promotion changes nothing and invalidates nothing.
func (p *Promotion) Empty() bool {
	return len(p.Copies) == 0 && len(p.Deletes) == 0 && len(p.Invalidation.Paths) == 0
}

// NotReadyError refuses to promote a source that is not exactly what its
// last complete sync published: a sync is running, one did not finish, or
// the bucket was changed by something else than qdn.
type NotReadyError struct {
	// Problem says what is wrong.
	Problem string
	// Lock is the running sync's lock, when that is the problem.
	Lock *Lock
	// Keys are the keys that differ from the manifest, when that is the
	// problem.
	Keys []string
}

func (e *NotReadyError) Error() string {
	if len(e.Keys) == 0 {
		return e.Problem
	}
	const show = 5
	keys := e.Keys
	more := ""
	if len(keys) > show {
		keys, more = keys[:show], fmt.Sprintf(" and %d more", len(e.Keys)-show)
	}
	return fmt.Sprintf("%s: %s%s", e.Problem, strings.Join(keys, ", "), more)
}

// PromoteOptions tune NewPromotion: FromPrefix is the source's key prefix,
// and PlanOptions are those of a sync of the destination (Prefix is the
// destination's).
type PromoteOptions struct {
	FromPrefix string
	// LeaseNow is the time by which the lease of a lock in the source is
	// judged; zero judges none ended.
	LeaseNow time.Time
	PlanOptions
}

// NewPromotion decides what promoting from to to does.
//
// The source must be what its last sync published: a manifest, no lock, no
// pending invalidation, and a listing that agrees with the manifest key for
// key, in ETag and size. Otherwise a *NotReadyError says why, since the
// bytes checked on the source would not be the bytes that go live.
//
// Every object of the source's manifest is compared with the destination
// as a sync compares a local file: by the content hash and header
// fingerprint of the two manifests, and by the destination's listing. One
// that differs is copied; a key under the destination's prefix that the
// source has not is deleted (within opt.MaxDeletes, or a
// *TooManyDeletesError); the viewer URIs of every replaced or deleted
// object, with those the destination has pending, are invalidated.
func NewPromotion(from *Source, to *Remote, opt PromoteOptions) (*Promotion, error) {
	if err := checkSource(from, opt.FromPrefix, opt.LeaseNow); err != nil {
		return nil, err
	}
	if !to.Full {
		// Objects outside the part listed would look missing.
		return nil, errors.New("promote needs every key of the destination listed: fetch it with CheckEvery 0")
	}
	toManifest := to.Manifest
	if toManifest == nil {
		toManifest = &Manifest{}
	}
	p := &Promotion{
		FromPrefix: opt.FromPrefix, Prefix: opt.Prefix,
		Commit: from.Manifest.Commit, Dirty: from.Manifest.Dirty,
		Copies: []Copy{}, Deletes: []Action{},
		from: from.Manifest, to: toManifest, pending: to.Pending,
	}
	toObjects := objectsUnder(to.Objects, opt.Prefix)
	changed := map[string]bool{}
	var assets, html []Copy
	for _, e := range from.Manifest.Entries {
		path := e.Path
		key := opt.Prefix + path
		reason := changeReason(path, e, toObjects, toManifest, key)
		if reason == "" {
			p.Unchanged++
			continue
		}
		c := Copy{Action: Action{Key: key, Path: path, Size: e.Size, Reason: reason}, From: opt.FromPrefix + path, ETag: e.ETag}
		// The source's listing gives no Content-Type; the extension tells
		// HTML apart, as the generator writes it.
		if strings.HasSuffix(path, ".html") {
			html = append(html, c)
		} else {
			assets = append(assets, c)
		}
		if reason != ReasonNew {
			changed[path] = true
		}
	}
	for _, group := range [][]Copy{assets, html} {
		sort.Slice(group, func(i, j int) bool { return group[i].Key < group[j].Key })
		p.Copies = append(p.Copies, group...)
	}
	for key, o := range toObjects {
		path := strings.TrimPrefix(key, opt.Prefix)
		if _, ok := from.Manifest.Lookup(path); ok {
			continue
		}
		p.Deletes = append(p.Deletes, Action{Key: key, Path: path, Size: o.Size, Reason: ReasonNotInSource})
		changed[path] = true
	}
	sortActions(p.Deletes)
	if opt.MaxDeletes >= 0 && len(p.Deletes) > opt.MaxDeletes {
		return p, &TooManyDeletesError{Deletes: p.Deletes, Max: opt.MaxDeletes, Op: "promotion"}
	}
	if opt.Invalidate {
		p.Invalidation = planInvalidation(changed, to.Pending, toManifest, opt.PlanOptions)
	} else {
		p.Invalidation = Invalidation{Paths: []string{}, Exact: []string{}}
	}
	return p, nil
}

// checkSource returns a *NotReadyError unless the source under prefix is
// exactly what its last sync published. A lock whose lease ended by now was
// left by a sync that died: the next sync of the source takes it over.
func checkSource(from *Source, prefix string, now time.Time) error {
	switch {
	case from.Lock != nil && !now.IsZero() && now.After(from.Lock.ends()):
		return &NotReadyError{Problem: fmt.Sprintf("a sync that did not finish left its lock (%s took %s at %s; its lease ended at %s)",
			from.Lock.Holder, prefix+LockKey, from.Lock.Since.UTC().Format(time.RFC3339), from.Lock.ends().UTC().Format(time.RFC3339))}
	case from.Lock != nil:
		return &NotReadyError{Problem: fmt.Sprintf("a sync is in progress (%s holds the lock %s since %s)",
			from.Lock.Holder, prefix+LockKey, from.Lock.Since.UTC().Format(time.RFC3339)), Lock: from.Lock}
	case from.Pending != nil:
		return &NotReadyError{Problem: fmt.Sprintf("a sync that did not finish left a pending invalidation (%s, since %s)",
			prefix+PendingKey, from.Pending.Since.UTC().Format(time.RFC3339))}
	case from.Manifest == nil:
		return &NotReadyError{Problem: "no sync of it completed: it has no " + prefix + ManifestKey}
	}
	objects := objectsUnder(from.Objects, prefix)
	var differ []string
	for _, e := range from.Manifest.Entries {
		key := prefix + e.Path
		if o, ok := objects[key]; !ok || o.ETag != e.ETag || o.Size != e.Size {
			differ = append(differ, key)
		}
	}
	for key := range objects {
		if _, ok := from.Manifest.Lookup(strings.TrimPrefix(key, prefix)); !ok {
			differ = append(differ, key)
		}
	}
	if len(differ) > 0 {
		sort.Strings(differ)
		return &NotReadyError{Problem: "its bucket was changed since its last sync", Keys: differ}
	}
	return nil
}

// objectsUnder returns the objects of a listing under prefix, by key, but
// for qdn's own state.
func objectsUnder(objs []Object, prefix string) map[string]Object {
	m := map[string]Object{}
	for _, o := range objs {
		if strings.HasPrefix(o.Key, prefix) && !strings.HasPrefix(o.Key, prefix+StateDir) {
			m[o.Key] = o
		}
	}
	return m
}

// Promoter promotes one environment to another in the same storage
// service.
//
// It never writes to the source. A sync of the source that starts during a
// promotion is not locked out (that would need write access to the
// source); instead each copy is conditional on the ETag the source's
// manifest recorded, and a copy whose result is not that object stops the
// promotion before the destination's manifest is written, so the next
// promotion copies it again.
type Promoter struct {
	// From is the source: its Bucket and Prefix are read.
	From *Syncer
	// FromBucket is the name of the source's bucket, for the copies.
	FromBucket string
	// LeaseNow is the clock by which the lease of a lock in the source is
	// judged, as the source's syncs wrote it; nil means the real one.
	LeaseNow func() time.Time
	// To is the destination. Its Bucket must be a Copier; its lock,
	// pending invalidation, manifest, Invalidator, Concurrency, clock and
	// Progress are those of a sync.
	To *Syncer
}

// Fetch lists the source and the destination, and reads their manifests,
// pending invalidations and the source's lock.
func (p *Promoter) Fetch(ctx context.Context) (*Source, *Remote, error) {
	var (
		from = &Source{}
		to   *Remote
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		r, err := p.From.Fetch(gctx)
		if err != nil {
			return err
		}
		from.Remote = *r
		for _, o := range r.Objects {
			if o.Key != p.From.Prefix+LockKey {
				continue
			}
			// The lock was in the listing: the sync was running then,
			// even if it has finished since.
			from.Lock = &Lock{Holder: "a sync that has released the lock since", Since: o.LastModified}
			b, err := p.From.Bucket.Get(gctx, o.Key)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", o.Key, err)
			}
			if err := json.Unmarshal(b, from.Lock); err != nil {
				from.Lock.Holder = "unknown (unreadable lock: " + err.Error() + ")"
			}
		}
		return nil
	})
	g.Go(func() error {
		r, err := p.To.Fetch(gctx)
		to = r
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

// Plan returns what promoting from over to does (see NewPromotion), with
// the prefixes of the two environments and whether the destination has an
// Invalidator.
func (p *Promoter) Plan(from *Source, to *Remote, opt PlanOptions) (*Promotion, error) {
	opt.Prefix = p.To.Prefix
	opt.Invalidate = p.To.Invalidator != nil
	if opt.Now.IsZero() {
		opt.Now = p.To.now()
	}
	leaseNow := time.Now()
	if p.LeaseNow != nil {
		leaseNow = p.LeaseNow()
	}
	return NewPromotion(from, to, PromoteOptions{FromPrefix: p.From.Prefix, LeaseNow: leaseNow, PlanOptions: opt})
}

// PromoteResult is what Promoter.Apply did.
type PromoteResult struct {
	Promotion   *Promotion `json:"promotion"`
	Copied      int        `json:"copied"`
	CopiedBytes int64      `json:"copied_bytes"`
	Deleted     int        `json:"deleted"`
	Unchanged   int        `json:"unchanged"`
	// InvalidationID is the CloudFront invalidation made on the
	// destination, if any, and CallerReference its CallerReference.
	InvalidationID  string `json:"invalidation_id,omitempty"`
	CallerReference string `json:"caller_reference,omitempty"`
}

// Apply carries out pr as a sync would, with copies for uploads (see
// Syncer.Apply). The caller holds the destination's lock.
//
// A server that ignores x-amz-copy-source-if-match is caught too: a
// single-part object's ETag is the MD5 of its bytes, and its copy's too, so
// a copy whose ETag is not the one the source's manifest recorded stops the
// promotion.
func (p *Promoter) Apply(ctx context.Context, pr *Promotion) (*PromoteResult, error) {
	res := &PromoteResult{Promotion: pr, Unchanged: pr.Unchanged}
	copier, ok := p.To.Bucket.(Copier)
	if !ok {
		return res, fmt.Errorf("promote: the destination's storage cannot copy objects server-side")
	}
	writes := make([]Action, len(pr.Copies))
	from := map[string]Copy{}
	assets := 0
	for i, c := range pr.Copies {
		writes[i] = c.Action
		from[c.Key] = c
		if !strings.HasSuffix(c.Path, ".html") {
			assets++
		}
	}
	c := change{
		verb: "copy", writes: writes, assets: assets, deletes: pr.Deletes,
		pending: pr.pending, inv: pr.Invalidation, firstSync: pr.to.Version == 0,
		// The destination's check, which a promotion does not read.
		dropCheck: true,
		write: func(ctx context.Context, a Action) (string, error) {
			c := from[a.Key]
			etag, err := copier.Copy(ctx, CopySource{Bucket: p.FromBucket, Key: c.From, ETag: c.ETag}, c.Key)
			if err == nil && !strings.Contains(c.ETag, "-") && etag != c.ETag {
				err = fmt.Errorf("copy %s to %s: %w: the copy has ETag %s, the source's manifest %s", c.From, c.Key, ErrSourceChanged, etag, c.ETag)
			}
			return etag, err
		},
		manifest: func(etags []string) *Manifest {
			byKey := make(map[string]string, len(writes))
			for i, a := range writes {
				byKey[a.Key] = etags[i]
			}
			return p.nextManifest(pr, byKey)
		},
	}
	done, err := p.To.apply(ctx, c)
	res.Copied, res.CopiedBytes, res.Deleted = done.written, done.bytes, done.deleted
	res.CallerReference, res.InvalidationID = done.ref, done.id
	return res, err
}

// nextManifest is the destination's manifest once pr is applied: the
// source's entries, with the ETags of the copies.
func (p *Promoter) nextManifest(pr *Promotion, etags map[string]string) *Manifest {
	m := &Manifest{Version: manifestVersion, Commit: pr.from.Commit, Dirty: pr.from.Dirty, Synced: p.To.now().UTC(),
		Entries: make([]Entry, len(pr.from.Entries))}
	for i, e := range pr.from.Entries {
		if etag, ok := etags[pr.Prefix+e.Path]; ok {
			e.ETag = etag
			m.Entries[i] = e
			continue
		}
		m.Entries[i], _ = pr.to.Lookup(e.Path)
	}
	m.Invalidated = p.To.countInvalidated(pr.to.Invalidated, len(pr.Invalidation.Paths))
	return m
}
