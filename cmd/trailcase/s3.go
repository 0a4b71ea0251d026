package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/objectlock"
	"github.com/trailcase/trailcase/evidence/s3"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

func init() { s3Opener = openS3Source }

// newS3Client builds the S3 client of --profile, --region and
// --endpoint-url, and returns the endpoint it talks to ("" for AWS's own).
func newS3Client(c *cli.Context) (s3.API, string, error) {
	client, err := s3.NewClient(c.Context, awsOptions(c))
	if err != nil {
		return nil, "", awsConfigHint(err)
	}
	return client, client.Endpoint, nil
}

// openS3Source returns the source for acquire s3://bucket[/prefix].
func openS3Source(c *cli.Context, e *env, st *store.Store, uri string, include, exclude []string) (evidence.Source, error) {
	if _, _, err := s3.ParseURI(uri); err != nil {
		return nil, usageError{err.Error()}
	}
	client, endpoint, err := newS3Client(c)
	if err != nil {
		return nil, err
	}
	actor := e.actor(c, st)
	src, err := s3.NewSource(client, uri, s3.Options{
		Include: include, Exclude: exclude,
		Concurrency: c.Int("concurrency"),
		AllVersions: c.Bool("all-versions"),
		Store:       st, Actor: &actor, Endpoint: endpoint,
	})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return &reportingS3Source{Source: src, e: e, c: c}, nil
}

// reportingS3Source tells, after the walk, what the bucket looked like
// and how many objects were downloaded or found in the case already.
type reportingS3Source struct {
	*s3.Source
	e *env
	c *cli.Context
}

func (r *reportingS3Source) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	start := time.Now()
	err := r.Source.Walk(ctx, fn, refuse)
	if b, ok := r.Bucket(); ok {
		r.e.info(r.c, "%s", safe.Text(bucketLine(b)))
	}
	s := r.Stats()
	if s.Listed > 0 || err == nil {
		secs := time.Since(start).Seconds()
		rate := ""
		if s.Bytes > 0 && secs > 0 {
			rate = fmt.Sprintf(" (%s/s)", humanBytes(int64(float64(s.Bytes)/secs)))
		}
		r.e.info(r.c, "%s: %d object(s) listed, %d selected, %d downloaded, %s%s, %d already in the case (not downloaded again), %d failed",
			safe.Text(r.Root()), s.Listed, s.Selected, s.Downloaded, humanBytes(s.Bytes), rate, s.Present, s.Failed)
	}
	return err
}

// bucketLine describes a captured bucket state.
func bucketLine(b evidence.Bucket) string {
	lock := b.ObjectLockEnabled
	switch lock {
	case "", objectlock.LockNotConfigured:
		lock = "not configured"
	case "unknown":
		lock = "unknown (could not be read)"
	}
	s := fmt.Sprintf("bucket %s: object lock %s", b.Name, lock)
	if b.DefaultMode != "" {
		s += ", default retention " + b.DefaultMode
		switch {
		case b.DefaultYears > 0:
			s += fmt.Sprintf(" %d year(s)", b.DefaultYears)
		case b.DefaultDays > 0:
			s += fmt.Sprintf(" %d day(s)", b.DefaultDays)
		}
	}
	v := b.Versioning
	switch v {
	case "", objectlock.VersioningNever:
		v = "never enabled"
	case "unknown":
		v = "unknown (could not be read)"
	}
	s += ", versioning " + v
	if b.Region != "" {
		s += ", region " + b.Region
	}
	for _, e := range b.Errors {
		s += "; " + e
	}
	return s
}
