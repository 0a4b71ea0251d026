package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/s3"
	"github.com/trailcase/trailcase/store"
)

func init() { s3Opener = openS3Source }

// s3MaxAttempts is how often one S3 request is tried (throttling, 5xx,
// dropped connections) with exponential backoff and jitter.
const s3MaxAttempts = 8

// newS3Client builds an S3 client from the standard credential chain and
// --profile, --region and --endpoint-url. A custom endpoint is addressed
// path-style, as S3-compatible servers expect.
func newS3Client(c *cli.Context) (*awss3.Client, string, error) {
	opts := awsConfigOptions(c)
	profile := c.String("profile")
	opts = append(opts, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = s3MaxAttempts
			o.MaxBackoff = 20 * time.Second
			// Bulk downloads hit throttling in bursts: back off, but never
			// give up on a request because a client-side quota ran out.
			o.RateLimiter = ratelimit.None
			// A refused connection or an unknown host is a wrong endpoint,
			// not a passing fault: fail at once with a clear message.
			o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(wrongEndpoint)}, o.Retryables...)
		})
	}))
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if profile != "" {
			return nil, "", withHint(fmt.Errorf("AWS configuration for profile %q: %w", profile, err), "check ~/.aws/config and ~/.aws/credentials, or run 'aws configure list --profile "+profile+"'")
		}
		return nil, "", fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		// Any region will do to ask where the bucket lives: the source
		// follows the bucket's own region from there.
		cfg.Region = "us-east-1"
	}
	endpoint := c.String("endpoint-url")
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
			endpoint = *o.BaseEndpoint
		}
		// Integrity is checked against the ETag and by SHA-256; do not
		// depend on the server sending flexible checksums.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	return client, endpoint, nil
}

// wrongEndpoint says "do not retry" for errors that retrying cannot fix.
func wrongEndpoint(err error) aws.Ternary {
	var dns *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &dns) && dns.IsNotFound) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
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
		r.e.info(r.c, "%s", bucketLine(b))
	}
	s := r.Stats()
	if s.Listed > 0 || err == nil {
		secs := time.Since(start).Seconds()
		rate := ""
		if s.Bytes > 0 && secs > 0 {
			rate = fmt.Sprintf(" (%s/s)", humanBytes(int64(float64(s.Bytes)/secs)))
		}
		r.e.info(r.c, "%s: %d object(s) listed, %d selected, %d downloaded, %s%s, %d already in the case (not downloaded again), %d failed",
			r.Root(), s.Listed, s.Selected, s.Downloaded, humanBytes(s.Bytes), rate, s.Present, s.Failed)
	}
	return err
}

// bucketLine describes a captured bucket state.
func bucketLine(b evidence.Bucket) string {
	lock := b.ObjectLockEnabled
	switch lock {
	case "":
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
	case "":
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
