// Package evidence acquires evidence into a case: it walks sources (local
// directories, files, zip and tar archives, S3 prefixes), stores every file
// verbatim with its SHA-256, records S3 metadata and .head.json sidecars,
// detects each item's kind, indexes its events and writes the custody log.
//
// It never modifies a source, never follows a path out of a source root,
// and never prints: results and problems are returned to the caller.
package evidence
