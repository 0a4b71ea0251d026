package digest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

// Problem kinds. The names are part of the product contract.
const (
	LogHashMismatch    = finding.LogHashMismatch    // a log's SHA-256 differs from its digest's hashValue
	LogMissing         = finding.LogMissing         // a log a digest lists is not among the evidence
	DigestMissing      = finding.DigestMissing      // a digest of the chain is not among the evidence
	DigestHashMismatch = finding.DigestHashMismatch // a digest's SHA-256 differs from its successor's previousDigestHashValue
	SignatureInvalid   = finding.SignatureInvalid   // the RSA signature does not verify
	SignatureMissing   = finding.SignatureMissing   // no signature is known for a digest (only with RequireSignatures)
	PublicKeyUnknown   = finding.PublicKeyUnknown   // no public key with the digest's fingerprint
	DigestMoved        = finding.DigestMoved        // a digest is not where it says it was delivered
	DigestInvalid      = finding.DigestInvalid      // unreadable, not gzip/JSON, missing or malformed fields
	TrailingData       = finding.TrailingData       // bytes after the first gzip member
	LogNotInDigest     = finding.LogNotInDigest     // a log inside a covered period that no digest lists
)

// Meaning returns a one-line explanation of a problem kind.
func Meaning(kind finding.Kind) string { return kind.Meaning() }

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
	// Progress, when set, advances by the bytes hashed of each digest and
	// log, from several goroutines at once.
	Progress evidence.Progress
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
	Valid  bool           `json:"valid"`
	From   time.Time      `json:"from,omitzero"`
	To     time.Time      `json:"to,omitzero"`
	Chains []ChainSummary `json:"chains"`
	// Digests counts the digests in range, each once however many copies
	// the evidence holds (one acquired from two archives is one digest);
	// DigestsChecked counts the copies read.
	Digests            int              `json:"digests"`
	DigestsChecked     int              `json:"digests_checked"`
	LogsChecked        int              `json:"logs_checked"` // log copies hashed
	SignaturesVerified int              `json:"signatures_verified"`
	SignaturesMissing  int              `json:"signatures_missing"` // digests with no signature known
	Problems           finding.Problems `json:"problems"`           // every finding, with an object and, in a case, an item
	Notices            []string         `json:"notices"`
	// Gaps are periods within a chain that no digest in the evidence
	// covers, each with its Reason: the chain was restarted (GapRestarted:
	// not an integrity problem, the digests that exist are valid) or its
	// digests are missing (GapMissing: also a DIGEST_MISSING problem).
	// Either way the logs of a gap cannot be validated.
	Gaps []Gap `json:"gaps"`
}

// The reasons of a gap.
const (
	// GapRestarted: a digest starts a new chain.
	GapRestarted = "logging or validation was off"
	// GapMissing: the chain links across the gap, but the digests that
	// cover it are not in the evidence (deleted, or not acquired).
	GapMissing = "digests are missing"
)

// Gap is a period of a chain that no digest covers.
type Gap struct {
	Account string    `json:"account"`
	Region  string    `json:"region"` // delivering region
	Trail   string    `json:"trail"`
	From    time.Time `json:"from"`  // end of the last digest before the gap
	To      time.Time `json:"to"`    // start of the first digest after it
	Hours   float64   `json:"hours"` // To - From, to the hundredth
	Reason  string    `json:"reason"`
	After   string    `json:"after"`  // the last digest before the gap
	Before  string    `json:"before"` // the digest that ends it
}

// newGap returns the gap of chain c between digests p and n.
func newGap(c chainKey, p, n *summary, reason string) Gap {
	return gapUntil(c, p, n, n.start, reason)
}

// gapUntil returns the gap of chain c from the end of digest p to time
// to, ended by digest n.
func gapUntil(c chainKey, p, n *summary, to time.Time, reason string) Gap {
	h := to.Sub(p.end).Hours()
	return Gap{Account: c.account, Region: c.region, Trail: c.trail, From: p.end.UTC(), To: to.UTC(),
		Hours: float64(int64(h*100+0.5)) / 100, Reason: reason, After: p.found, Before: n.found}
}

// span is the gap's period, short: 2025-03-11T04:00Z–10:00Z.
func (g Gap) span() string {
	const day, clock = "2006-01-02T", "15:04Z"
	to := g.To.Format(clock)
	if g.To.Format(day) != g.From.Format(day) {
		to = g.To.Format(day + clock)
	}
	return g.From.Format(day+clock) + "–" + to
}

// duration is a gap's length, short: 6 h, 2.5 h, 40 min.
func duration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// gapSummary names the gaps for the verdict line: "" when there are none.
func gapSummary(gaps []Gap) string {
	if len(gaps) == 0 {
		return ""
	}
	var total time.Duration
	spans := make([]string, 0, len(gaps))
	reasons := []string{}
	for _, g := range gaps {
		d := g.To.Sub(g.From)
		total += d
		sp := g.span()
		if len(gaps) > 1 {
			sp += " (" + duration(d) + ")"
		}
		spans = append(spans, sp)
		if !slices.Contains(reasons, g.Reason) {
			reasons = append(reasons, g.Reason)
		}
	}
	head := "1 gap of " + duration(total)
	if len(gaps) > 1 {
		head = fmt.Sprintf("%d gaps, %s in all", len(gaps), duration(total))
	}
	return "; " + head + ": " + listed(spans, 3) + ", " + strings.Join(reasons, "; ")
}

// Summary returns a one-line description of r.
func (r *Result) Summary() string {
	verdict := "valid"
	if !r.Valid {
		verdict = "problems found"
	}
	return pluralf(len(r.Chains), "chain") + ", " + pluralf(r.Digests, "digest") + ", " +
		pluralf(r.LogsChecked, "log") + ", " + pluralf(r.SignaturesVerified, "signature") + " verified, " +
		pluralf(len(r.Problems), "problem") + ": " + verdict + gapSummary(r.Gaps)
}
