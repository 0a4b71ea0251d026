package s3

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/evidence"
)

// Size lists the prefix once, holding nothing, and returns how many
// selected object versions it holds and their bytes: what Walk, listing
// it again, is expected to offer. The current objects are counted with
// ListObjectsV2, which lists no older versions (ListObjectVersions when
// it is refused, and for AllVersions). Objects written or deleted between the
// two listings make this an estimate; Walk corrects it through the
// function handed to Correct.
func (s *Source) Size(ctx context.Context, include, exclude []string) (files, bytes int64, err error) {
	if s.region == "" {
		r, err := s.bucketRegion(ctx)
		if err != nil {
			return 0, 0, err
		}
		s.mu.Lock()
		s.region = r
		s.mu.Unlock()
	}
	count := func(l listed) error {
		if evidence.Selected(l.key, include, exclude) {
			files, bytes = files+1, bytes+max(l.size, 0)
		}
		return nil
	}
	if !s.opts.AllVersions {
		// The current objects are what ListObjectVersions' latest
		// versions are, without the older versions' pages.
		err = s.listCurrent(ctx, false, count)
	}
	if s.opts.AllVersions || err != nil {
		files, bytes = 0, 0
		err = s.listing(ctx, false, count, nil)
	}
	if err != nil {
		if f := fatalS3(s.bucket, s.opts.Endpoint, err); f != nil {
			return 0, 0, f
		}
		return 0, 0, fmt.Errorf("list %s: %s: %w", s.root, s3Reason(err), err)
	}
	s.mu.Lock()
	s.est = &estimate{include: include, exclude: exclude, files: files, bytes: bytes}
	s.mu.Unlock()
	return files, bytes, nil
}

// Correct sets the function the next Walk corrects Size's count with.
func (s *Source) Correct(fn func(files, bytes int64)) {
	s.mu.Lock()
	s.correct = fn
	s.mu.Unlock()
}

// bucketRegion asks the bucket's region with HeadBucket, following S3's
// redirect when asked in the wrong one; "" when S3 does not say.
func (s *Source) bucketRegion(ctx context.Context) (string, error) {
	in := &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}
	hb, err := s.client.HeadBucket(ctx, in)
	if r := redirectRegion(err); r != "" {
		return r, nil
	}
	if err != nil {
		if f := fatalS3(s.bucket, s.opts.Endpoint, err); f != nil {
			return "", f
		}
		return "", nil // HeadBucket needs s3:ListBucket, as listing does: the listing says why
	}
	return aws.ToString(hb.BucketRegion), nil
}

// takeEstimate returns the count of the last Size with the function that
// corrects it, for one Walk; nil when either is missing.
func (s *Source) takeEstimate() *estimate {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.est
	s.est = nil
	if e == nil || s.correct == nil {
		return nil
	}
	e.correct = s.correct
	return e
}

// estimate follows a walk's listing against the count Size made: it
// raises the announced totals before an object past them is offered, and
// lowers them to what was listed once the listing ends. Only the lister
// calls it.
type estimate struct {
	correct          func(files, bytes int64)
	include, exclude []string
	files, bytes     int64 // announced so far
	listedFiles      int64
	listedBytes      int64
}

// listed counts l, which is about to be offered.
func (e *estimate) listed(l listed) {
	if !evidence.Selected(l.key, e.include, e.exclude) {
		return
	}
	e.listedFiles++
	e.listedBytes += max(l.size, 0)
	df, db := max(e.listedFiles-e.files, 0), max(e.listedBytes-e.bytes, 0)
	if df > 0 || db > 0 {
		e.files, e.bytes = e.files+df, e.bytes+db
		e.correct(df, db)
	}
}

// end lowers the totals to what the whole listing held.
func (e *estimate) end() {
	df, db := e.listedFiles-e.files, e.listedBytes-e.bytes // never positive
	if df < 0 || db < 0 {
		e.files, e.bytes = e.listedFiles, e.listedBytes
		e.correct(df, db)
	}
}
