// Package digest validates CloudTrail log-file integrity offline, from
// copies of the digest files and logs: what `aws cloudtrail validate-logs`
// checks online, plus the previous-digest hash link, time continuity,
// consecutive deleted digests, trailing gzip data, logs that no digest
// lists, and local copies whose S3 metadata was saved in sidecars.
//
// Verify walks each chain of digests (per account, delivering region,
// trail and home region; backfill digests apart) and returns every
// problem it finds as a finding.Finding, never stopping at the first.
// It keeps only a small summary per digest, so memory does not grow with
// the length of a chain beyond that.
//
// The package reads evidence through Object.Open and never writes it; it
// never prints, exits, reads flags or touches the network. Fetching keys
// from AWS is the command line's job; ParseKeyFile and WriteKeyFile read
// and write the JSON shape of `aws cloudtrail list-public-keys`.
package digest
