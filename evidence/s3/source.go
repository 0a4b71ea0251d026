package s3

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"

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

	mu      sync.Mutex
	stats   Stats
	state   *evidence.Bucket
	region  string
	est     *estimate                // the count of the last Size, for the next Walk
	correct func(files, bytes int64) // corrects Size's count (Correct)
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
