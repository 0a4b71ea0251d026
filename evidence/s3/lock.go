package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/evidence"
)

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

// captureLock completes obj's lock state, as far as its lock headers left
// it open, for the bucket's Object Lock state.
func (s *Source) captureLock(ctx context.Context, obj *evidence.S3Object) {
	lockEnabled, _ := s.bucketState()
	captureLock(ctx, s.client, obj, lockEnabled, s.regionOpt()...)
}

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
