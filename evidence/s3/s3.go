package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// API is the part of the S3 client that trailcase uses; *s3.Client
// implements it. Only read operations appear here.
type API interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	GetObjectLockConfiguration(context.Context, *s3.GetObjectLockConfigurationInput, ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	GetObjectRetention(context.Context, *s3.GetObjectRetentionInput, ...func(*s3.Options)) (*s3.GetObjectRetentionOutput, error)
	GetObjectLegalHold(context.Context, *s3.GetObjectLegalHoldInput, ...func(*s3.Options)) (*s3.GetObjectLegalHoldOutput, error)
}

// Defaults of Options.
const (
	DefaultConcurrency = 8
	// DefaultS3MemoryObject: objects up to this size are downloaded into
	// memory, larger ones into temporary files. At most 2×Concurrency
	// downloads are held at once, so memory stays below
	// 2×Concurrency×DefaultS3MemoryObject.
	DefaultS3MemoryObject = 1 << 20
	// DefaultS3PrefetchMax: larger objects are not downloaded ahead but
	// streamed straight into the case when their turn comes, so temporary
	// files stay below 2×Concurrency×DefaultS3PrefetchMax.
	DefaultS3PrefetchMax = 64 << 20
	// s3BodyAttempts bounds how often one object's download is restarted
	// after its body was cut off (request retries are the SDK's).
	s3BodyAttempts = 3
)

// Options configure an S3 source.
type Options struct {
	Include, Exclude []string // doublestar patterns on the key, applied before any request for the object
	Concurrency      int      // parallel downloads; 0 means DefaultConcurrency
	// AllVersions acquires every version of every key, not only the
	// current one.
	AllVersions bool
	TempDir     string // for downloads; "" means the system's
	MemoryMax   int64  // 0 means DefaultS3MemoryObject
	PrefetchMax int64  // 0 means DefaultS3PrefetchMax
	// Store, when set, receives the bucket's captured state and is asked
	// which object versions it holds already, so they are not downloaded
	// again.
	Store *store.Store
	// Actor, when set with Store, signs the custody entry recording the
	// bucket's captured state.
	Actor    *custody.Actor
	Endpoint string // named in error messages
}

// Stats counts what an S3 source did.
type Stats struct {
	Listed        int   `json:"listed"`
	Selected      int   `json:"selected"`
	Present       int   `json:"present"` // already in the case: not downloaded
	Downloaded    int   `json:"downloaded"`
	Failed        int   `json:"failed"`
	Bytes         int64 `json:"bytes"`
	DeleteMarkers int   `json:"delete_markers"`
}

// Source offers the objects under s3://bucket/prefix. Objects already
// in the case (same URI with version id, ETag and size) are not
// downloaded: their entry reads the stored bytes back, so acquisition
// reports them as already present.
type Source struct {
	client         API
	root           string
	bucket, prefix string
	opts           Options

	mu     sync.Mutex
	stats  Stats
	state  *evidence.Bucket
	region string
}

// ParseURI splits s3://bucket[/prefix].
func ParseURI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q: not an s3:// URI", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q: no bucket name", uri)
	}
	if len(bucket) < 3 || len(bucket) > 63 || strings.ContainsAny(bucket, " ?#*\\") {
		return "", "", fmt.Errorf("%q: %q is not a valid bucket name", uri, bucket)
	}
	return bucket, prefix, nil
}

// ObjectURI is the source URI of an object version.
func ObjectURI(bucket, key, versionID string) string {
	if versionID == "" {
		versionID = "null"
	}
	return "s3://" + bucket + "/" + key + "?versionId=" + versionID
}

// NewSource returns the source for uri (s3://bucket[/prefix]).
func NewSource(client API, uri string, opts Options) (*Source, error) {
	bucket, prefix, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	if err := evidence.ValidatePatterns(opts.Include); err != nil {
		return nil, err
	}
	if err := evidence.ValidatePatterns(opts.Exclude); err != nil {
		return nil, err
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MemoryMax <= 0 {
		opts.MemoryMax = DefaultS3MemoryObject
	}
	if opts.PrefetchMax <= 0 {
		opts.PrefetchMax = DefaultS3PrefetchMax
	}
	return &Source{client: client, root: uri, bucket: bucket, prefix: prefix, opts: opts}, nil
}

// Root is the URI the source was opened with.
func (s *Source) Root() string { return s.root }

// Stats returns the counts so far.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Bucket returns the bucket state captured by the last Walk, if any.
func (s *Source) Bucket() (evidence.Bucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return evidence.Bucket{}, false
	}
	return *s.state, true
}

func (s *Source) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// regionOpt sends requests to the bucket's own region when HeadBucket
// named one.
func (s *Source) regionOpt() []func(*s3.Options) {
	if s.region == "" {
		return nil
	}
	return []func(*s3.Options){regionOption(s.region)}
}

// regionOption sends a request to region r, unless a custom endpoint is
// in use (S3-compatible servers have their own idea of regions).
func regionOption(r string) func(*s3.Options) {
	return func(o *s3.Options) {
		if o.BaseEndpoint == nil {
			o.Region = r
		}
	}
}

// listed is one object version offered by a listing.
type listed struct {
	key, versionID, etag string
	size                 int64
	lastModified         time.Time
	storageClass         string
	versionKnown         bool
}

// CaptureBucket reads the bucket's Object Lock configuration and
// versioning state. Errors that make the bucket unusable (credentials,
// endpoint, missing bucket, wrong region) are returned; others are
// recorded in Bucket.Errors with the state "unknown".
func CaptureBucket(ctx context.Context, client API, bucket, endpoint string, optFns ...func(*s3.Options)) (evidence.Bucket, error) {
	b := evidence.Bucket{Name: bucket, CapturedAt: time.Now().UTC()}
	hb, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, optFns...)
	if r := redirectRegion(err); r != "" {
		// Asked in the wrong region: S3 names the right one.
		optFns = append(optFns, regionOption(r))
		hb, err = client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, optFns...)
	}
	if err != nil {
		if f := fatalS3(bucket, endpoint, err); f != nil {
			return b, f
		}
		if isCode(err, "NotFound") {
			return b, fmt.Errorf("bucket %q: %w (%s)", bucket, ErrNoBucket, s3Reason(err))
		}
		// HeadBucket needs s3:ListBucket; the other calls may still work.
		b.Errors = append(b.Errors, "HeadBucket: "+s3Reason(err))
	} else if hb.BucketRegion != nil {
		b.Region = *hb.BucketRegion
	}
	if b.Region != "" {
		optFns = append(optFns, regionOption(b.Region))
	}
	lc, err := client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)}, optFns...)
	switch {
	case err == nil:
		if lc.ObjectLockConfiguration != nil {
			b.ObjectLockEnabled = string(lc.ObjectLockConfiguration.ObjectLockEnabled)
			if r := lc.ObjectLockConfiguration.Rule; r != nil && r.DefaultRetention != nil {
				b.DefaultMode = string(r.DefaultRetention.Mode)
				b.DefaultDays = aws.ToInt32(r.DefaultRetention.Days)
				b.DefaultYears = aws.ToInt32(r.DefaultRetention.Years)
			}
		}
	case isCode(err, codeLockConfigNotFound):
		b.ObjectLockEnabled = ""
	default:
		if f := fatalS3(bucket, endpoint, err); f != nil {
			return b, f
		}
		if isCode(err, codeNoSuchBucket) {
			return b, fmt.Errorf("bucket %q: %w", bucket, ErrNoBucket)
		}
		b.ObjectLockEnabled = "unknown"
		b.Errors = append(b.Errors, "GetObjectLockConfiguration: "+s3Reason(err))
	}
	v, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)}, optFns...)
	if err != nil {
		if f := fatalS3(bucket, endpoint, err); f != nil {
			return b, f
		}
		b.Versioning = "unknown"
		b.Errors = append(b.Errors, "GetBucketVersioning: "+s3Reason(err))
	} else {
		b.Versioning = string(v.Status)
	}
	return b, nil
}

// list calls emit for every selected object version under the prefix, in
// listing order, and reports delete markers through marker. It uses
// ListObjectVersions and falls back to ListObjectsV2 (no version ids)
// when listing versions is not allowed.
func (s *Source) list(ctx context.Context, emit func(listed) error, marker func(key string, when time.Time)) error {
	err := s.listVersions(ctx, emit, marker)
	if err == nil || !(isDenied(err) || isCode(err, "NotImplemented", "MethodNotAllowed")) {
		return err
	}
	return s.listCurrent(ctx, emit)
}

func (s *Source) selected(key string) bool {
	s.count(func(st *Stats) { st.Listed++ })
	if !evidence.Selected(key, s.opts.Include, s.opts.Exclude) {
		return false
	}
	s.count(func(st *Stats) { st.Selected++ })
	return true
}

func (s *Source) listVersions(ctx context.Context, emit func(listed) error, marker func(string, time.Time)) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(s.bucket)}
	if s.prefix != "" {
		in.Prefix = aws.String(s.prefix)
	}
	p := s3.NewListObjectVersionsPaginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, s.regionOpt()...)
		if err != nil {
			return err
		}
		for _, dm := range out.DeleteMarkers {
			if aws.ToBool(dm.IsLatest) && !s.opts.AllVersions && marker != nil {
				marker(aws.ToString(dm.Key), aws.ToTime(dm.LastModified).UTC())
			}
		}
		for _, v := range out.Versions {
			if !s.opts.AllVersions && !aws.ToBool(v.IsLatest) {
				continue
			}
			key := aws.ToString(v.Key)
			if !s.selected(key) {
				continue
			}
			vid := aws.ToString(v.VersionId)
			if err := emit(listed{key: key, versionID: vid, versionKnown: vid != "", etag: aws.ToString(v.ETag),
				size: aws.ToInt64(v.Size), lastModified: aws.ToTime(v.LastModified).UTC(), storageClass: string(v.StorageClass)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Source) listCurrent(ctx context.Context, emit func(listed) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
	if s.prefix != "" {
		in.Prefix = aws.String(s.prefix)
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, s.regionOpt()...)
		if err != nil {
			return err
		}
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			if !s.selected(key) {
				continue
			}
			if err := emit(listed{key: key, etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size),
				lastModified: aws.ToTime(o.LastModified).UTC(), storageClass: string(o.StorageClass)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// s3Job is one object on its way from S3 to the case.
type s3Job struct {
	l    listed
	done chan struct{}

	entry evidence.Entry
	fatal error  // stops the walk
	file  string // downloaded into this temporary file, or
	mem   []byte // into memory
	sum   evidence.SHA256
}

// Walk captures the bucket's state, lists the objects, downloads the
// selected ones concurrently (at most 2×Concurrency held at once) and
// hands them to fn one by one in listing order.
func (s *Source) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	b, err := CaptureBucket(ctx, s.client, s.bucket, s.opts.Endpoint)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.state, s.region = &b, b.Region
	s.mu.Unlock()
	if s.opts.Store != nil && !s.opts.Store.ReadOnly() {
		if err := s.opts.Store.PutBucket(b); err != nil {
			return fmt.Errorf("record bucket %q: %w", s.bucket, err)
		}
		if s.opts.Actor != nil {
			e := s.opts.Actor.Entry("capture-s3-bucket", nil)
			e.Sources = []string{s.root}
			e.End, e.Result = time.Now().UTC(), evidence.ResultOK
			e.Detail = describeBucket(b)
			e.Data, _ = json.Marshal(b)
			if _, err := s.opts.Store.AppendCustody(e); err != nil {
				return err
			}
		}
	}

	tmp, err := os.MkdirTemp(s.opts.TempDir, "trailcase-s3-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := 2 * s.opts.Concurrency
	order := make(chan *s3Job, window)
	jobs := make(chan *s3Job)
	tokens := make(chan struct{}, window)
	var markers []evidence.Refusal
	var markersMu sync.Mutex

	var listErr error
	go func() {
		defer close(order)
		defer close(jobs)
		listErr = s.list(ctx, func(l listed) error {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			j := &s3Job{l: l, done: make(chan struct{})}
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				close(j.done)
				return ctx.Err()
			}
			return nil
		}, func(key string, when time.Time) {
			if !evidence.Selected(key, s.opts.Include, s.opts.Exclude) {
				return
			}
			s.count(func(st *Stats) { st.DeleteMarkers++ })
			markersMu.Lock()
			markers = append(markers, evidence.Refusal{Path: key, Reason: fmt.Sprintf("current version is a delete marker (deleted %s); earlier versions were not acquired", when.Format(time.RFC3339))})
			markersMu.Unlock()
		})
	}()
	var wg sync.WaitGroup
	for range s.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s.fetch(ctx, tmp, j)
				close(j.done)
			}
		}()
	}
	defer wg.Wait()
	defer cancel()

	flushMarkers := func() {
		markersMu.Lock()
		ms := markers
		markers = nil
		markersMu.Unlock()
		for _, m := range ms {
			refuse(m)
		}
	}
	for j := range order {
		<-j.done
		flushMarkers()
		if err := ctx.Err(); err != nil {
			return err
		}
		if j.fatal != nil {
			return j.fatal
		}
		err := fn(j.entry)
		if err == nil && j.fatal != nil {
			// Opening a streamed entry failed for the whole bucket.
			err = j.fatal
		}
		if j.file != "" {
			os.Remove(j.file)
		}
		j.mem = nil
		<-tokens
		if err != nil {
			return err
		}
	}
	flushMarkers()
	if err := ctx.Err(); err != nil {
		return err
	}
	if listErr != nil {
		if f := fatalS3(s.bucket, s.opts.Endpoint, listErr); f != nil {
			return f
		}
		return fmt.Errorf("list %s: %s: %w", s.root, s3Reason(listErr), listErr)
	}
	return nil
}

func describeBucket(b evidence.Bucket) string {
	lock := b.ObjectLockEnabled
	if lock == "" {
		lock = "not configured"
	}
	ver := b.Versioning
	if ver == "" {
		ver = "never enabled"
	}
	s := fmt.Sprintf("bucket %s: object lock %s", b.Name, lock)
	if b.DefaultMode != "" {
		s += fmt.Sprintf(", default retention %s %s", b.DefaultMode, retentionPeriod(b.DefaultDays, b.DefaultYears))
	}
	s += ", versioning " + ver
	if len(b.Errors) > 0 {
		s += "; " + strings.Join(b.Errors, "; ")
	}
	return s
}

func retentionPeriod(days, years int32) string {
	switch {
	case years > 0 && days > 0:
		return fmt.Sprintf("%d year(s) %d day(s)", years, days)
	case years > 0:
		return fmt.Sprintf("%d year(s)", years)
	default:
		return fmt.Sprintf("%d day(s)", days)
	}
}

// failEntry makes the entry of an object that could not be acquired: its
// Open returns err, so acquisition reports it and goes on.
func failEntry(e evidence.Entry, err error) evidence.Entry {
	e.Open = func(context.Context) (io.ReadCloser, error) { return nil, err }
	return e
}

// fetch captures one object's metadata and downloads it (or finds it in
// the case already). An object version costs one GetObject: its answer
// carries the metadata HeadObject would show. Only objects listed without
// a version id in a bucket that may hold versions are asked about with
// HeadObject first, because their version id, and so whether the case
// holds them, is not known otherwise.
func (s *Source) fetch(ctx context.Context, tmp string, j *s3Job) {
	l := j.l
	uri := ObjectURI(s.bucket, l.key, l.versionID)
	j.entry = evidence.Entry{Path: l.key, URI: uri, Size: l.size, ModTime: l.lastModified}
	if ctx.Err() != nil {
		j.fatal = ctx.Err()
		return
	}
	_, versioning := s.bucketState()
	var obj *evidence.S3Object // captured ahead of the download, or nil
	if l.versionKnown || versioning == "" {
		// The listing named the version, or the bucket never had
		// versioning: every object is version "null".
		if s.present(j, uri, l.etag, l.size) {
			return
		}
	} else {
		var err error
		if obj, err = s.capture(ctx, l); err != nil {
			s.fail(j, err)
			return
		}
		uri = ObjectURI(s.bucket, l.key, obj.VersionID)
		j.entry.URI, j.entry.S3, j.entry.Size = uri, obj, obj.Size
		if s.present(j, uri, obj.ETag, obj.Size) {
			return
		}
	}
	size := l.size
	if obj != nil {
		size = obj.Size
	}
	if size > s.opts.PrefetchMax {
		// Too big to hold ahead: stream it when its turn comes.
		s.stream(j, l, obj)
		return
	}
	captured := obj != nil
	var lastErr error
	for attempt := 0; attempt < s3BodyAttempts; attempt++ {
		obj, lastErr = s.download(ctx, tmp, l, obj, j)
		if lastErr == nil || ctx.Err() != nil || s3Code(lastErr) != "" || errors.Is(lastErr, errChecksum) {
			break
		}
	}
	if lastErr != nil {
		if ctx.Err() != nil {
			j.fatal = ctx.Err()
			return
		}
		s.fail(j, lastErr)
		return
	}
	if !captured {
		s.captureLock(ctx, obj)
		uri = ObjectURI(s.bucket, l.key, obj.VersionID)
		j.entry.URI, j.entry.S3, j.entry.Size = uri, obj, obj.Size
	}
	s.count(func(st *Stats) { st.Downloaded++; st.Bytes += obj.Size })
	file, mem, sum := j.file, j.mem, j.sum
	j.entry.Open = func(context.Context) (io.ReadCloser, error) {
		var r io.ReadCloser
		if file != "" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("%s: temporary copy: %w", uri, err)
			}
			r = f
		} else {
			r = io.NopCloser(bytes.NewReader(mem))
		}
		return &sumCheckReader{rc: r, h: sha256.New(), want: sum, uri: uri}, nil
	}
}

// fail records that j's object could not be acquired. An error that
// stops all work on the bucket stops the walk; any other makes the entry
// fail. It returns the error to report.
func (s *Source) fail(j *s3Job, err error) error {
	if f := fatalS3(s.bucket, s.opts.Endpoint, err); f != nil {
		j.fatal = f
		return f
	}
	s.count(func(st *Stats) { st.Failed++ })
	j.entry = failEntry(j.entry, err)
	return err
}

// stream makes j's entry download the object when it is opened. obj is
// the object's captured metadata, or nil when the download's answer
// provides it.
func (s *Source) stream(j *s3Job, l listed, obj *evidence.S3Object) {
	captured := obj != nil
	if !captured {
		// Filled in by Open, before the entry's bytes are read.
		obj = &evidence.S3Object{}
		j.entry.S3 = obj
	}
	uri := j.entry.URI
	j.entry.Open = func(ctx context.Context) (io.ReadCloser, error) {
		vid, etag := listedVersion(l), l.etag
		if captured {
			vid, etag = obj.VersionID, obj.ETag
		}
		out, err := s.getObject(ctx, l.key, vid, etag)
		if err != nil {
			if !captured {
				// The object's first request: as when capturing it.
				return nil, s.fail(j, err)
			}
			return nil, err
		}
		if !captured {
			got := s.fromGet(l, out)
			if u := ObjectURI(s.bucket, l.key, got.VersionID); u != uri {
				out.Body.Close()
				return nil, s.fail(j, fmt.Errorf("%s: changed while it was acquired (now %s)", uri, u))
			}
			s.captureLock(ctx, got)
			*obj = *got
		}
		s.count(func(st *Stats) { st.Downloaded++; st.Bytes += obj.Size })
		return &etagCheckReader{rc: out.Body, md5: md5.New(), want: plainMD5(obj), uri: uri}, nil
	}
}

// present reports, and prepares the entry for, an object version the case
// holds already with the same ETag and size: its entry names the item, and
// acquisition records it as present without downloading it again.
func (s *Source) present(j *s3Job, uri, etag string, size int64) bool {
	if s.opts.Store == nil || etag == "" {
		return false
	}
	items, err := s.opts.Store.ItemsFromSource(uri)
	if err != nil {
		return false
	}
	for _, it := range items {
		if it.S3 == nil || it.S3.ETag != etag || it.Size != size {
			continue
		}
		s.count(func(st *Stats) { st.Present++ })
		j.entry.S3 = it.S3
		j.entry.Size = it.Size
		j.entry.Present = it.ID
		return true
	}
	return false
}

// bucketState returns the captured Object Lock and versioning states of
// the bucket, "unknown" before they were captured.
func (s *Source) bucketState() (lockEnabled, versioning string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return "unknown", "unknown"
	}
	return s.state.ObjectLockEnabled, s.state.Versioning
}

// objectHeaders are the metadata headers of a HeadObject or GetObject
// answer.
type objectHeaders struct {
	versionID, etag string
	lastModified    time.Time
	size            *int64
	sse, kmsKeyID   string
	storageClass    string
	metadata        map[string]string
	lock            lockHeaders
}

func headHeaders(h *s3.HeadObjectOutput) objectHeaders {
	return objectHeaders{
		versionID: aws.ToString(h.VersionId), etag: aws.ToString(h.ETag), lastModified: aws.ToTime(h.LastModified),
		size: h.ContentLength, sse: string(h.ServerSideEncryption), kmsKeyID: aws.ToString(h.SSEKMSKeyId),
		storageClass: string(h.StorageClass), metadata: h.Metadata,
		lock: lockHeaders{mode: string(h.ObjectLockMode), until: aws.ToTime(h.ObjectLockRetainUntilDate), hold: string(h.ObjectLockLegalHoldStatus)},
	}
}

func getHeaders(g *s3.GetObjectOutput) objectHeaders {
	return objectHeaders{
		versionID: aws.ToString(g.VersionId), etag: aws.ToString(g.ETag), lastModified: aws.ToTime(g.LastModified),
		size: g.ContentLength, sse: string(g.ServerSideEncryption), kmsKeyID: aws.ToString(g.SSEKMSKeyId),
		storageClass: string(g.StorageClass), metadata: g.Metadata,
		lock: lockHeaders{mode: string(g.ObjectLockMode), until: aws.ToTime(g.ObjectLockRetainUntilDate), hold: string(g.ObjectLockLegalHoldStatus)},
	}
}

// newObject records the metadata of listed object l from the headers of
// a request for it; the lock headers are applied, the lock calls are
// left to captureLock.
func (s *Source) newObject(l listed, h objectHeaders) *evidence.S3Object {
	obj := &evidence.S3Object{
		Bucket:       s.bucket,
		Key:          l.key,
		VersionID:    h.versionID,
		ETag:         h.etag,
		LastModified: h.lastModified.UTC(),
		Size:         aws.ToInt64(h.size),
		SSE:          h.sse,
		SSEKMSKeyID:  h.kmsKeyID,
		StorageClass: h.storageClass,
		CapturedFrom: "s3",
		CapturedAt:   time.Now().UTC(),
	}
	if obj.VersionID == "" {
		obj.VersionID = l.versionID
	}
	if obj.VersionID == "" {
		obj.VersionID = "null"
	}
	if obj.StorageClass == "" {
		obj.StorageClass = l.storageClass
	}
	if len(h.metadata) > 0 {
		obj.Metadata = make(map[string]string, len(h.metadata))
		for k, v := range h.metadata {
			obj.Metadata[strings.ToLower(strings.TrimPrefix(strings.ToLower(k), "x-amz-meta-"))] = v
		}
	}
	h.lock.apply(obj)
	return obj
}

// fromGet records the metadata of listed object l from a GetObject
// answer.
func (s *Source) fromGet(l listed, out *s3.GetObjectOutput) *evidence.S3Object {
	obj := s.newObject(l, getHeaders(out))
	if out.ContentLength == nil {
		// No length announced (chunked, by an S3-compatible server): the
		// listing's size is the expected one.
		obj.Size = l.size
	}
	return obj
}

// captureLock completes obj's lock state, as far as its lock headers left
// it open, for the bucket's Object Lock state.
func (s *Source) captureLock(ctx context.Context, obj *evidence.S3Object) {
	lockEnabled, _ := s.bucketState()
	captureLock(ctx, s.client, obj, lockEnabled, s.regionOpt()...)
}

// capture reads one object version's metadata with HeadObject and its
// lock state.
func (s *Source) capture(ctx context.Context, l listed) (*evidence.S3Object, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(l.key)}
	if l.versionKnown && l.versionID != "null" {
		in.VersionId = aws.String(l.versionID)
	}
	head, err := s.client.HeadObject(ctx, in, s.regionOpt()...)
	if err != nil {
		return nil, objectError(s.bucket, l, "HeadObject", err)
	}
	obj := s.newObject(l, headHeaders(head))
	s.captureLock(ctx, obj)
	return obj, nil
}

// objectError describes a failed request for one object.
func objectError(bucket string, l listed, op string, err error) error {
	uri := ObjectURI(bucket, l.key, l.versionID)
	switch {
	case isGone(err):
		return fmt.Errorf("%s: deleted after it was listed (%s: %s): %w", uri, op, s3Reason(err), err)
	case isDenied(err):
		return fmt.Errorf("%s: access denied (%s: %s): %w", uri, op, s3Reason(err), err)
	case isCode(err, codePreconditionFailed):
		return fmt.Errorf("%s: changed while it was acquired (ETag no longer matches): %w", uri, err)
	}
	return fmt.Errorf("%s: %s: %w", uri, op, err)
}

// listedVersion is the version id the listing gave l, or "".
func listedVersion(l listed) string {
	if l.versionKnown {
		return l.versionID
	}
	return ""
}

// getObject starts the download of key's version vid ("" or "null": the
// current version), provided its ETag is still etag (when not "").
func (s *Source) getObject(ctx context.Context, key, vid, etag string) (*s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if vid != "" && vid != "null" {
		in.VersionId = aws.String(vid)
	}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.GetObject(ctx, in, s.regionOpt()...)
	if err != nil {
		return nil, objectError(s.bucket, listed{key: key, versionID: vid}, "GetObject", err)
	}
	return out, nil
}

var errChecksum = errors.New("downloaded bytes do not match")

// plainMD5 returns the hex MD5 an ETag stands for, or "" when the ETag is
// not an MD5 of the content (multipart uploads, SSE-KMS, SSE-C).
func plainMD5(o *evidence.S3Object) string {
	e := strings.Trim(o.ETag, `"`)
	if len(e) != 32 || (o.SSE != "" && o.SSE != string(types.ServerSideEncryptionAes256)) {
		return ""
	}
	if _, err := hex.DecodeString(e); err != nil {
		return ""
	}
	return strings.ToLower(e)
}

// download fetches listed object l into memory or a temporary file. obj
// is its metadata when captured already (by HeadObject or an earlier
// attempt): the download then asks for that version and ETag. Otherwise
// it asks for the listed version and ETag, and the answer's headers give
// the returned metadata, also when the body could not be read.
func (s *Source) download(ctx context.Context, tmp string, l listed, obj *evidence.S3Object, j *s3Job) (*evidence.S3Object, error) {
	vid, etag := listedVersion(l), l.etag
	if obj != nil {
		vid, etag = obj.VersionID, obj.ETag
	}
	out, err := s.getObject(ctx, l.key, vid, etag)
	if err != nil {
		return obj, err
	}
	body := out.Body
	defer body.Close()
	if obj == nil {
		obj = s.fromGet(l, out)
	}
	sh, mh := sha256.New(), md5.New()
	var w io.Writer
	var f *os.File
	var buf *bytes.Buffer
	if obj.Size <= s.opts.MemoryMax {
		buf = bytes.NewBuffer(make([]byte, 0, obj.Size))
		w = buf
	} else {
		f, err = os.CreateTemp(tmp, "obj-")
		if err != nil {
			return obj, fmt.Errorf("temporary file: %w", err)
		}
		w = f
	}
	n, err := io.Copy(io.MultiWriter(w, sh, mh), body)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	uri := ObjectURI(s.bucket, l.key, obj.VersionID)
	if err != nil {
		return obj, fmt.Errorf("%s: download: %w", uri, err)
	}
	if n != obj.Size {
		if f != nil {
			os.Remove(f.Name())
		}
		return obj, fmt.Errorf("%s: download: read %d bytes, S3 announced %d", uri, n, obj.Size)
	}
	if want := plainMD5(obj); want != "" {
		if got := hex.EncodeToString(mh.Sum(nil)); got != want {
			if f != nil {
				os.Remove(f.Name())
			}
			return obj, fmt.Errorf("%s: %w its ETag (MD5 %s, ETag %s)", uri, errChecksum, got, want)
		}
	}
	sh.Sum(j.sum[:0])
	if f != nil {
		j.file = f.Name()
	} else {
		j.mem = buf.Bytes()
	}
	return obj, nil
}

// sumCheckReader re-checks a downloaded copy's SHA-256 as it is stored.
type sumCheckReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want evidence.SHA256
	uri  string
	what string // the problem a mismatch means
}

func (r *sumCheckReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF {
		var got evidence.SHA256
		r.h.Sum(got[:0])
		if got != r.want {
			what := r.what
			if what == "" {
				what = "the temporary copy changed before it was stored"
			}
			return n, fmt.Errorf("%s: %s (sha256 %s, expected %s)", r.uri, what, got, r.want)
		}
	}
	return n, err
}

func (r *sumCheckReader) Close() error { return r.rc.Close() }

// etagCheckReader checks a streamed download against its ETag's MD5.
type etagCheckReader struct {
	rc   io.ReadCloser
	md5  hash.Hash
	want string
	uri  string
}

func (r *etagCheckReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.md5.Write(p[:n])
	if err == io.EOF && r.want != "" {
		if got := hex.EncodeToString(r.md5.Sum(nil)); got != r.want {
			return n, fmt.Errorf("%s: %w its ETag (MD5 %s, ETag %s)", r.uri, errChecksum, got, r.want)
		}
	}
	return n, err
}

func (r *etagCheckReader) Close() error { return r.rc.Close() }

// lockHeaders are the x-amz-object-lock-* headers of a HeadObject or
// GetObject answer.
type lockHeaders struct {
	mode  string
	until time.Time
	hold  string
}

// apply records the headers. A header that is absent says nothing: S3
// shows them only to callers allowed to read them, and no hold header
// when no hold was ever set.
func (h lockHeaders) apply(o *evidence.S3Object) {
	if h.mode != "" {
		o.LockMode, o.RetainUntil, o.LockKnown = h.mode, h.until.UTC(), true
	}
	if h.hold != "" {
		o.LegalHold, o.LegalKnown = h.hold, true
	}
}

// captureLock asks S3 for the version's retention and legal hold, on top
// of what the lock headers showed. lockEnabled is the bucket's Object Lock state
// ("Enabled", "" when not configured, "unknown"). Failed calls are
// recorded in CaptureErrors and leave the state unknown unless a header
// told it.
func captureLock(ctx context.Context, client API, o *evidence.S3Object, lockEnabled string, optFns ...func(*s3.Options)) {
	if lockEnabled == "" {
		// A bucket without Object Lock cannot hold locked versions.
		if !o.LockKnown {
			o.LockKnown = true
		}
		if !o.LegalKnown {
			o.LegalKnown = true
		}
		return
	}
	var vid *string
	if o.VersionID != "" && o.VersionID != "null" {
		vid = aws.String(o.VersionID)
	}
	// An HTTP 500 here is a broken server (moto cannot read retention),
	// not a passing fault: do not retry it.
	opts := append(append([]func(*s3.Options){}, optFns...), noRetryOn500)
	ret, err := client.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key), VersionId: vid}, opts...)
	switch {
	case err == nil && ret.Retention != nil && ret.Retention.Mode != "":
		o.LockKnown = true
		o.LockMode = string(ret.Retention.Mode)
		o.RetainUntil = aws.ToTime(ret.Retention.RetainUntilDate).UTC()
	case err == nil:
		// S3 answers "no retention" with NoSuchObjectLockConfiguration; an
		// empty answer (some S3-compatible servers) says nothing.
		o.CaptureErrors = append(o.CaptureErrors, "GetObjectRetention: answer without a retention")
	case isCode(err, codeNoLockConfig, codeInvalidRequest):
		// No retention on this version, or no Object Lock on the bucket.
		o.LockKnown, o.LockMode, o.RetainUntil = true, "", time.Time{}
	default:
		o.CaptureErrors = append(o.CaptureErrors, "GetObjectRetention: "+s3Reason(err))
	}
	hold, err := client.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key), VersionId: vid}, opts...)
	switch {
	case err == nil && hold.LegalHold != nil && hold.LegalHold.Status != "":
		o.LegalKnown = true
		o.LegalHold = string(hold.LegalHold.Status)
	case err == nil:
		o.CaptureErrors = append(o.CaptureErrors, "GetObjectLegalHold: answer without a status")
	case isCode(err, codeNoLockConfig, codeInvalidRequest):
		o.LegalKnown, o.LegalHold = true, ""
	default:
		o.CaptureErrors = append(o.CaptureErrors, "GetObjectLegalHold: "+s3Reason(err))
	}
}

// noRetryOn500 wraps the client's retryer so an HTTP 500 is final.
func noRetryOn500(o *s3.Options) {
	if o.Retryer != nil {
		o.Retryer = no500Retryer{o.Retryer}
	}
}

type no500Retryer struct{ aws.Retryer }

func (r no500Retryer) IsErrorRetryable(err error) bool {
	if s3Status(err) == 500 {
		return false
	}
	return r.Retryer.IsErrorRetryable(err)
}

func (r no500Retryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.Retryer.GetInitialToken(), nil
}
