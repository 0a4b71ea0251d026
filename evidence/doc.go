// Package evidence is trailcase's vocabulary for evidence: an item's
// identity (SHA256, kinds, S3 metadata, flags), the case, the custody log
// entry, a source of files and the progress of long work.
//
// It holds values and small methods on them only. It never reads a file,
// opens a case or talks to AWS; the packages below it do: acquire (storing
// evidence), s3 (the S3 API), objectlock (retention checks), custody (the
// chain of custody), index (parsing stored items into events) and report
// (the custody report).
package evidence
