package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/quickdumpnow/qdn/generator"
)

// Errors of the Bucket methods.
var (
	ErrNotFound = errors.New("no such key")
	ErrExists   = errors.New("key exists")
	ErrChanged  = errors.New("the object changed")
)

// Bucket is the storage a sync publishes to.
type Bucket interface {
	// List returns, in key order, every object whose key starts with prefix
	// and sorts after after (when not empty) and not after through (when
	// not empty).
	List(ctx context.Context, prefix, after, through string) ([]Object, error)
	// Get returns the bytes of the object at key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put writes the object at key with the headers h and returns its ETag.
	Put(ctx context.Context, key string, body []byte, h generator.Headers) (etag string, err error)
	// Delete removes the objects at keys.
	Delete(ctx context.Context, keys []string) error

	// The lock of an environment is written with conditions on the
	// object's ETag, so that two syncs cannot both hold it.

	// Create writes the object at key only if there is none, and returns
	// its ETag, or ErrExists.
	Create(ctx context.Context, key string, body []byte) (etag string, err error)
	// Read returns the bytes and the ETag of the object at key, or
	// ErrNotFound.
	Read(ctx context.Context, key string) (body []byte, etag string, err error)
	// Replace writes the object at key only if it still has the ETag etag,
	// and returns the new ETag; ErrChanged when it has another, ErrNotFound
	// when it is gone.
	Replace(ctx context.Context, key string, body []byte, etag string) (string, error)
	// DeleteIf removes the object at key only if it still has the ETag
	// etag; ErrChanged when it has another. An object already gone is not
	// an error.
	DeleteIf(ctx context.Context, key, etag string) error
}

// Streamer is a Bucket that also writes an object read from a stream of
// size bytes, which it may seek to read again: the manifest is written
// to it as it is encoded, without holding all its bytes.
type Streamer interface {
	PutFrom(ctx context.Context, key string, body io.ReadSeeker, size int64, h generator.Headers) (etag string, err error)
}

// Opener is a Bucket that also hands out the bytes of an object as they
// arrive, as S3 does: the manifest is read from it without holding all
// its bytes.
type Opener interface {
	// Open returns the bytes of the object at key and their size (-1
	// when not known), or ErrNotFound. The caller closes them.
	Open(ctx context.Context, key string) (body io.ReadCloser, size int64, err error)
}

// S3 is a Bucket in Amazon S3 or an S3-compatible server. Uploads of 16
// MiB and more go through the SDK's transfer manager, which sends them in
// parts; smaller ones are one PutObject each.
type S3 struct {
	client *s3.Client
	tm     *transfermanager.Client
	bucket string

	lists, gets, puts, deletes atomic.Int64
}

// NewS3 returns the bucket named bucket reached through client.
func NewS3(client *s3.Client, bucket string) *S3 {
	return &S3{client: client, tm: transfermanager.New(client), bucket: bucket}
}

// S3Options returns the options of an S3 client for a sync: path-style
// addressing when endpoint names an S3-compatible server, and an HTTP
// transport that keeps as many connections open as uploads run at once.
// The HTTP client is set here rather than in config.LoadDefaultConfig so
// that what the shared configuration set on it (such as AWS_CA_BUNDLE)
// stays.
func S3Options(endpoint string, concurrency int) func(*s3.Options) {
	return func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if endpoint != "" || o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// The only objects a sync reads are its own small JSON state
		// objects, which it parses; S3-compatible servers that send no
		// response checksum would otherwise make the SDK log a line for each.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		widen := func(t *http.Transport) {
			t.MaxIdleConns = max(t.MaxIdleConns, 2*concurrency)
			t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, 2*concurrency)
		}
		switch c := o.HTTPClient.(type) {
		case *awshttp.BuildableClient:
			o.HTTPClient = c.WithTransportOptions(widen)
		case nil:
			o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(widen)
		}
	}
}

// Requests are the requests an S3 made, by kind.
type Requests struct {
	List   int64 `json:"list"`
	Get    int64 `json:"get"`
	Put    int64 `json:"put"`
	Delete int64 `json:"delete"`
}

// Requests returns how many requests b made so far. A multipart upload
// counts as one put.
func (b *S3) Requests() Requests {
	return Requests{List: b.lists.Load(), Get: b.gets.Load(), Put: b.puts.Load(), Delete: b.deletes.Load()}
}

// List implements Bucket with paginated ListObjectsV2 calls of 1,000 keys,
// starting after after and stopping at the first page that passes through.
func (b *S3) List(ctx context.Context, prefix, after, through string) ([]Object, error) {
	var out []Object
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1000)}
	if after != "" {
		in.StartAfter = aws.String(after)
	}
	pages := s3.NewListObjectsV2Paginator(b.client, in)
	for pages.HasMorePages() {
		b.lists.Add(1)
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", b.bucket, prefix, err)
		}
		// Room for the page at once: a range of the listing is about
		// one page, which append would copy as it grows.
		out = slices.Grow(out, len(page.Contents))
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if through != "" && key > through {
				return out, nil
			}
			out = append(out, Object{Key: key, Size: aws.ToInt64(o.Size), ETag: etag(o.ETag), LastModified: aws.ToTime(o.LastModified)})
		}
		if n := len(out); through != "" && n > 0 && out[n-1].Key == through {
			return out, nil // the next page starts past through
		}
	}
	return out, nil
}

// Get implements Bucket.
func (b *S3) Get(ctx context.Context, key string) ([]byte, error) {
	body, _, err := b.Read(ctx, key)
	return body, err
}

// multipartFrom is the size from which an upload goes through the
// transfer manager, in parts: its own threshold. A smaller one is put as
// it is, in one request; the transfer manager would first copy it into a
// buffer that it grows as it reads (some two to three times a page's
// bytes allocated, for each of a million pages).
const multipartFrom = 16 << 20

// Put implements Bucket.
func (b *S3) Put(ctx context.Context, key string, body []byte, h generator.Headers) (string, error) {
	if len(body) < multipartFrom {
		return b.PutFrom(ctx, key, bytes.NewReader(body), int64(len(body)), h)
	}
	b.puts.Add(1)
	out, err := b.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket:        aws.String(b.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(h.ContentType),
		CacheControl:  aws.String(h.CacheControl),
	})
	if err != nil {
		return "", err
	}
	return etag(out.ETag), nil
}

// PutFrom implements Streamer with one PutObject, whatever the size (up
// to S3's 5 GiB): the transfer manager would copy the parts it sends into
// buffers of their size.
func (b *S3) PutFrom(ctx context.Context, key string, body io.ReadSeeker, size int64, h generator.Headers) (string, error) {
	b.puts.Add(1)
	out, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(b.bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String(h.ContentType),
		CacheControl:  aws.String(h.CacheControl),
	})
	if err != nil {
		return "", err
	}
	return etag(out.ETag), nil
}

// etag returns an ETag without the quotes that some servers leave out.
func etag(s *string) string { return strings.Trim(aws.ToString(s), `"`) }

// Create implements Bucket with a PutObject conditional on If-None-Match: *.
func (b *S3) Create(ctx context.Context, key string, body []byte) (string, error) {
	etag, err := b.putState(ctx, key, body, &s3.PutObjectInput{IfNoneMatch: aws.String("*")})
	if err != nil {
		if preconditionFailed(err) {
			return "", fmt.Errorf("create %s: %w", key, ErrExists)
		}
		return "", fmt.Errorf("create %s: %w", key, err)
	}
	return etag, nil
}

// putState writes one of qdn's state objects (JSON, never cached) with the
// conditions of in.
func (b *S3) putState(ctx context.Context, key string, body []byte, in *s3.PutObjectInput) (string, error) {
	b.puts.Add(1)
	in.Bucket, in.Key, in.Body = aws.String(b.bucket), aws.String(key), bytes.NewReader(body)
	in.ContentType, in.CacheControl = aws.String("application/json"), aws.String("no-store")
	out, err := b.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return etag(out.ETag), nil
}

// Read implements Bucket with GetObject.
func (b *S3) Read(ctx context.Context, key string) ([]byte, string, error) {
	b.gets.Add(1)
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		if notFound(err) {
			return nil, "", fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, "", fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	body, err := readBody(out.Body, aws.ToInt64(out.ContentLength))
	if err != nil {
		return nil, "", fmt.Errorf("get %s: %w", key, err)
	}
	return body, etag(out.ETag), nil
}

// readBody reads r to its end into one slice of size bytes, as the
// response announced, rather than one that grows and is copied on the
// way: the manifest of a million keys is some 90 MB. A size that turns
// out wrong still reads every byte.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 1<<32 {
		return io.ReadAll(r)
	}
	b := make([]byte, size, size+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	// The one byte of room left over tells a body longer than announced
	// without growing b when it is not.
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// Open implements Opener with GetObject.
func (b *S3) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	b.gets.Add(1)
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		if notFound(err) {
			return nil, 0, fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, 0, fmt.Errorf("get %s: %w", key, err)
	}
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	return out.Body, size, nil
}

// Replace implements Bucket with a PutObject conditional on If-Match.
func (b *S3) Replace(ctx context.Context, key string, body []byte, match string) (string, error) {
	etag, err := b.putState(ctx, key, body, &s3.PutObjectInput{IfMatch: aws.String(`"` + match + `"`)})
	switch {
	case err == nil:
		return etag, nil
	case preconditionFailed(err):
		return "", fmt.Errorf("replace %s: %w", key, ErrChanged)
	case notFound(err):
		return "", fmt.Errorf("replace %s: %w", key, ErrNotFound)
	}
	return "", fmt.Errorf("replace %s: %w", key, err)
}

// DeleteIf implements Bucket with a DeleteObject conditional on If-Match.
func (b *S3) DeleteIf(ctx context.Context, key, match string) error {
	b.deletes.Add(1)
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket:  aws.String(b.bucket),
		Key:     aws.String(key),
		IfMatch: aws.String(`"` + match + `"`),
	})
	switch {
	case err == nil, notFound(err):
		return nil
	case preconditionFailed(err):
		return fmt.Errorf("delete %s: %w", key, ErrChanged)
	}
	return fmt.Errorf("delete %s: %w", key, err)
}

// preconditionFailed says S3 refused a conditional request: 412, or 409
// when another conditional write to the key was in flight.
func preconditionFailed(err error) bool {
	var ae smithy.APIError
	var re *awshttp.ResponseError
	return (errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict")) ||
		(errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusPreconditionFailed || re.HTTPStatusCode() == http.StatusConflict))
}

func notFound(err error) bool {
	var nsk *s3types.NoSuchKey
	var ae smithy.APIError
	var re *awshttp.ResponseError
	return errors.As(err, &nsk) || (errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey") ||
		(errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound)
}

// Delete implements Bucket with DeleteObjects calls of up to 1,000 keys.
// Every key S3 could not delete is reported.
func (b *S3) Delete(ctx context.Context, keys []string) error {
	var errs []error
	for start := 0; start < len(keys); start += 1000 {
		batch := keys[start:min(start+1000, len(keys))]
		ids := make([]s3types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			ids[i] = s3types.ObjectIdentifier{Key: aws.String(k)}
		}
		b.deletes.Add(1)
		out, err := b.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(b.bucket),
			Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("delete %d keys from %s to %s: %w", len(batch), batch[0], batch[len(batch)-1], err))
			continue
		}
		for _, e := range out.Errors {
			errs = append(errs, fmt.Errorf("delete %s: %s: %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message)))
		}
	}
	return errors.Join(errs...)
}
