// Package objectlock judges the S3 Object Lock state of evidence: from the
// metadata captured in a case, or live through package s3. Each object gets
// a status (compliance, governance, expired, none, unknown) and the
// requirements given (mode, retain-until) become findings where unmet.
// Without a requirement, every object version must still be protected:
// one with neither retention in force nor a legal hold, or whose state is
// unknown (including items acquired without any S3 metadata), is a finding.
//
// It never changes a lock, a bucket or a case.
package objectlock
