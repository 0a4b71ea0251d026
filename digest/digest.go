package digest

import (
	"io"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// Problem kinds. The names are part of the product contract.
const (
	LogHashMismatch    = "LOG_HASH_MISMATCH"    // a log's SHA-256 differs from its digest's hashValue
	LogMissing         = "LOG_MISSING"          // a log a digest lists is not among the evidence
	DigestMissing      = "DIGEST_MISSING"       // a digest of the chain is not among the evidence
	DigestHashMismatch = "DIGEST_HASH_MISMATCH" // a digest's SHA-256 differs from its successor's previousDigestHashValue
	SignatureInvalid   = "SIGNATURE_INVALID"    // the RSA signature does not verify
	SignatureMissing   = "SIGNATURE_MISSING"    // no signature is known for a digest (only with RequireSignatures)
	PublicKeyUnknown   = "PUBLIC_KEY_UNKNOWN"   // no public key with the digest's fingerprint
	DigestMoved        = "DIGEST_MOVED"         // a digest is not where it says it was delivered
	DigestInvalid      = "DIGEST_INVALID"       // unreadable, not gzip/JSON, missing or malformed fields
	TrailingData       = "TRAILING_DATA"        // bytes after the first gzip member
	LogNotInDigest     = "LOG_NOT_IN_DIGEST"    // a log inside a covered period that no digest lists
)

// Meaning returns a one-line explanation of a problem kind.
func Meaning(kind string) string {
	switch kind {
	case LogHashMismatch:
		return "the log's content differs from what CloudTrail recorded in the digest: it was modified"
	case LogMissing:
		return "a log listed in a digest is not in the evidence: it was deleted or not acquired"
	case DigestMissing:
		return "a digest of the chain is not in the evidence: it was deleted or not acquired"
	case DigestHashMismatch:
		return "the digest's content differs from what its successor recorded: it was modified"
	case SignatureInvalid:
		return "the digest's signature does not verify: the digest or its signature was altered"
	case SignatureMissing:
		return "no signature is known for the digest (no S3 metadata and no signed successor)"
	case PublicKeyUnknown:
		return "no known CloudTrail public key has the digest's fingerprint"
	case DigestMoved:
		return "the digest is not stored where it says CloudTrail delivered it"
	case DigestInvalid:
		return "the digest cannot be read or lacks required fields"
	case TrailingData:
		return "data follows the first gzip member: CloudTrail never hashes it, so it is not trusted"
	case LogNotInDigest:
		return "a CloudTrail log inside a period covered by digests is listed by none: it was added"
	}
	return ""
}

// Object is one file the validator may look at: a digest or a CloudTrail log.
type Object struct {
	Item     uint64            // evidence item id (0 outside a case)
	Bucket   string            // S3 bucket when known (S3 acquisition or sidecar), else ""
	Key      string            // S3 key, or the path relative to the source root for local copies
	Kind     string            // evidence.KindCloudTrailDigest, evidence.KindCloudTrail, ...
	Metadata map[string]string // S3 user metadata when captured ("signature", "signature-algorithm"), else nil
	// Open returns the exact stored bytes (normally gzip).
	Open func() (io.ReadCloser, error)
}

// Options control Verify.
type Options struct {
	// From and To limit the check to digests whose period overlaps
	// [From, To] and to logs delivered in it. Zero means unbounded.
	From, To time.Time
	// RequireSignatures makes a digest whose signature cannot be checked
	// (no signature known, no public keys) a problem instead of a notice.
	RequireSignatures bool
	// Keys are the CloudTrail public keys to verify signatures with.
	Keys []evidence.PublicKey
	// Progress, when set, is called after each digest and each log is
	// checked, from any goroutine, with running totals.
	Progress func(digests, logs int64)
}

// Finding is one problem found.
type Finding struct {
	Kind   string `json:"kind"`
	Object string `json:"object"` // S3 key or path of the object concerned
	Detail string `json:"detail"`
	Item   uint64 `json:"item,omitempty"` // evidence item holding the object, when it is in the evidence
}

// ChainSummary describes one chain of digests as checked.
type ChainSummary struct {
	Account      string    `json:"account"`
	Organization string    `json:"organization,omitempty"`
	Region       string    `json:"region"`      // delivering region
	Trail        string    `json:"trail"`       // trail name
	HomeRegion   string    `json:"home_region"` // trail home region
	Backfill     bool      `json:"backfill,omitempty"`
	Bucket       string    `json:"bucket"`
	Start        time.Time `json:"start"` // earliest digestStartTime checked
	End          time.Time `json:"end"`   // latest digestEndTime checked
	First        string    `json:"first"` // oldest digest checked
	Last         string    `json:"last"`  // newest digest checked
	Digests      int       `json:"digests"`
	EmptyDigests int       `json:"empty_digests"` // digests listing no log
	Logs         int       `json:"logs"`          // log files listed
	// SignaturesVerified counts digests whose signature verified, from S3
	// metadata or from a verified successor's previousDigestSignature.
	SignaturesVerified int `json:"signatures_verified"`
}

// Result is what Verify found.
type Result struct {
	Valid              bool           `json:"valid"`
	From               time.Time      `json:"from,omitzero"`
	To                 time.Time      `json:"to,omitzero"`
	Chains             []ChainSummary `json:"chains"`
	DigestsChecked     int            `json:"digests_checked"`
	LogsChecked        int            `json:"logs_checked"` // log copies hashed
	SignaturesVerified int            `json:"signatures_verified"`
	SignaturesMissing  int            `json:"signatures_missing"` // digests with no signature known
	Problems           []Finding      `json:"problems"`
	Notices            []string       `json:"notices"`
}

// Summary returns a one-line description of r.
func (r *Result) Summary() string {
	verdict := "valid"
	if !r.Valid {
		verdict = "problems found"
	}
	return pluralf(len(r.Chains), "chain") + ", " + pluralf(r.DigestsChecked, "digest") + ", " +
		pluralf(r.LogsChecked, "log") + ", " + pluralf(r.SignaturesVerified, "signature") + " verified, " +
		pluralf(len(r.Problems), "problem") + ": " + verdict
}
