// Package objectlock judges the S3 Object Lock state of evidence: from the
// metadata captured in a case, or live through package s3. Each object gets
// a status (compliance, governance, expired, none, unknown) and the
// requirements given (mode, retain-until) become findings where unmet.
//
// It never changes a lock, a bucket or a case.
package objectlock
