package s3

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/evidence"
)

// listed is one object version offered by a listing.
type listed struct {
	key, versionID, etag string
	size                 int64
	lastModified         time.Time
	storageClass         string
	versionKnown         bool
}

// list calls emit for every selected object version under the prefix, in
// listing order, and reports delete markers through marker. It uses
// ListObjectVersions and falls back to ListObjectsV2 (no version ids)
// when listing versions is not allowed.
func (s *Source) list(ctx context.Context, emit func(listed) error, marker func(key string, when time.Time)) error {
	return s.listing(ctx, true, emit, marker)
}

// listing is list; with counted, every key listed and selected is counted
// in the source's Stats.
func (s *Source) listing(ctx context.Context, counted bool, emit func(listed) error, marker func(key string, when time.Time)) error {
	err := s.listVersions(ctx, counted, emit, marker)
	if err == nil || !(isDenied(err) || isCode(err, "NotImplemented", "MethodNotAllowed")) {
		return err
	}
	return s.listCurrent(ctx, counted, emit)
}

func (s *Source) selected(key string, counted bool) bool {
	if counted {
		s.count(func(st *Stats) { st.Listed++ })
	}
	if !evidence.Selected(key, s.opts.Include, s.opts.Exclude) {
		return false
	}
	if counted {
		s.count(func(st *Stats) { st.Selected++ })
	}
	return true
}

// listPrefix is the Prefix of a list request: none for a whole bucket.
func (s *Source) listPrefix() *string {
	if s.prefix == "" {
		return nil
	}
	return aws.String(s.prefix)
}

func (s *Source) listVersions(ctx context.Context, counted bool, emit func(listed) error, marker func(string, time.Time)) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(s.bucket), Prefix: s.listPrefix()}
	return eachPage(ctx, s3.NewListObjectVersionsPaginator(s.client, in), s.regionOpt(), func(out *s3.ListObjectVersionsOutput) error {
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
			if !s.selected(key, counted) {
				continue
			}
			vid := aws.ToString(v.VersionId)
			if err := emit(listed{key: key, versionID: vid, versionKnown: vid != "", etag: aws.ToString(v.ETag),
				size: aws.ToInt64(v.Size), lastModified: aws.ToTime(v.LastModified).UTC(), storageClass: string(v.StorageClass)}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Source) listCurrent(ctx context.Context, counted bool, emit func(listed) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: s.listPrefix()}
	return eachPage(ctx, s3.NewListObjectsV2Paginator(s.client, in), s.regionOpt(), func(out *s3.ListObjectsV2Output) error {
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			if !s.selected(key, counted) {
				continue
			}
			if err := emit(listed{key: key, etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size),
				lastModified: aws.ToTime(o.LastModified).UTC(), storageClass: string(o.StorageClass)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// pager is an S3 list paginator.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*s3.Options)) (O, error)
}

// eachPage calls fn with every page p lists, requested with opts.
func eachPage[O any](ctx context.Context, p pager[O], opts []func(*s3.Options), fn func(O) error) error {
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, opts...)
		if err != nil {
			return err
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}
