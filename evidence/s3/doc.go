// Package s3 is trailcase's only door to Amazon S3: the S3 source of
// acquisitions (listing, versions, downloads checked against ETag and
// checksum), s3:// URIs, the bucket and object metadata captured with
// evidence (Object Lock, legal hold, versioning), and the classification
// of S3 errors into the few a user can act on.
//
// It never writes to S3 and never prints.
package s3
