// Package acquire stores evidence in a case: it walks sources (local
// directories, files, zip and tar archives, and the S3 source of package
// s3), stores every file verbatim with its SHA-256, reads .head.json
// sidecars into S3 fields, detects each item's kind, hands committed items
// to the indexer and writes the custody entry of the run.
//
// It never modifies a source, never follows a path out of a source root,
// and never prints: what happened is returned in an AcquireReport.
package acquire
