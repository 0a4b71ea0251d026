// Package s3 is trailcase's only door to Amazon S3: the client and its
// retry policy (NewClient; client.go, retry.go), the S3 source of
// acquisitions (source.go, walk.go; listing in list.go; downloads checked
// against ETag and checksum in download.go; the counting listing that
// gives progress its totals, and their corrections, in estimate.go), s3:// URIs, the bucket and
// object metadata captured with evidence (Object Lock, legal hold,
// versioning; lock.go), and the classification of S3 errors into the few
// a user can act on (s3errors.go).
//
// It never writes to S3 and never prints.
package s3
