package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// SHA256 is the SHA-256 of some bytes. Its zero value means "not known".
type SHA256 [32]byte

// Sum256 returns the SHA-256 of b.
func Sum256(b []byte) SHA256 { return SHA256(sha256.Sum256(b)) }

// String returns the lowercase hex form.
func (h SHA256) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero value.
func (h SHA256) IsZero() bool { return h == SHA256{} }

// ParseSHA256 parses 64 hex characters.
func ParseSHA256(s string) (SHA256, error) {
	var h SHA256
	if len(s) != 64 {
		return h, fmt.Errorf("sha256 %q: want 64 hex characters, have %d", s, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("sha256 %q: %w", s, err)
	}
	return h, nil
}

// MarshalText encodes h as hex.
func (h SHA256) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes hex.
func (h *SHA256) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = SHA256{}
		return nil
	}
	v, err := ParseSHA256(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Evidence kinds. The names are part of the product contract.
const (
	KindCloudTrail        = "cloudtrail"
	KindCloudTrailDigest  = "cloudtrail-digest"
	KindCloudTrailInsight = "cloudtrail-insight"
	KindVPCFlow           = "vpcflow"
	KindELBALB            = "elb-alb"
	KindELBNLB            = "elb-nlb"
	KindELBCLB            = "elb-clb"
	KindELBALBConn        = "elb-alb-conn"
	// KindCloudWatchExport is a CloudWatch Logs export-task file: one
	// "<RFC 3339 time> <message>" per line.
	KindCloudWatchExport = "cloudwatch-export"
	// KindCloudWatchSubscription is CloudWatch Logs subscription data as
	// Firehose writes it to S3: concatenated {"messageType",…,"logEvents"}
	// objects, each possibly a gzip member of its own.
	KindCloudWatchSubscription = "cloudwatch-subscription"
	// KindConfig is an AWS Config history or snapshot file.
	KindConfig = "config"
	// KindS3Access is an S3 server access log.
	KindS3Access = "s3-access"
	// KindGuardDuty is GuardDuty findings exported to S3 (JSON Lines).
	KindGuardDuty = "guardduty"
	// KindCloudTrailCSV is the console's CloudTrail event-history CSV.
	KindCloudTrailCSV = "cloudtrail-csv"
	// KindCloudTrailLake is CloudTrail Lake query results (the output of
	// 'aws cloudtrail get-query-results').
	KindCloudTrailLake = "cloudtrail-lake"
	KindUnknown        = "unknown"
)

// HasEvents reports whether items of the kind hold events to parse.
func HasEvents(kind string) bool {
	switch kind {
	case KindCloudTrailDigest, KindUnknown, "":
		return false
	}
	return true
}

// Parse states of an item.
const (
	ParsePending = "pending" // stored, events not (yet) indexed
	ParseDone    = "done"    // events indexed (possibly with warnings)
	ParseFailed  = "failed"  // could not be parsed at all; bytes are kept
	ParseSkipped = "skipped" // not an event log (digest, unknown, test file)
)

// CaseInfo describes a case. It is written once, by init.
type CaseInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Number   string `json:"number,omitempty"`
	Examiner string `json:"examiner"`
	// Organisation is the examiner's organisation, as imaging reports name it.
	Organisation string    `json:"organisation,omitempty"`
	Description  string    `json:"description,omitempty"`
	Created      time.Time `json:"created"`
	Schema       int       `json:"schema"`
}

// Item is one evidence item: the exact bytes of one file or S3 object
// version, and what is known about where they came from.
type Item struct {
	ID     uint64 `json:"id"`
	Source string `json:"source"` // URI: absolute path, archive path!entry, or s3://bucket/key?versionId=
	Root   string `json:"root"`   // the source as the examiner named it
	Path   string `json:"path"`   // relative to the source root, or the S3 key
	Size   int64  `json:"size"`
	SHA256 SHA256 `json:"sha256"`
	Kind   string `json:"kind"`
	// Compression is "gzip" when the stored bytes are gzip, "" otherwise.
	Compression string `json:"compression,omitempty"`
	// FlowFormat is the VPC flow log format (field names, space-separated)
	// given at acquisition for flow records without a header line
	// (CloudWatch Logs exports and subscriptions); "" means the default.
	FlowFormat string `json:"flow_format,omitempty"`

	AcquiredStart time.Time `json:"acquired_start"`
	AcquiredEnd   time.Time `json:"acquired_end"`
	Examiner      string    `json:"examiner"`
	Host          string    `json:"host"`
	ToolVersion   string    `json:"tool_version"`
	Custody       uint64    `json:"custody"` // sequence of the custody entry of the run that stored it
	Note          string    `json:"note,omitempty"`
	ModTime       time.Time `json:"mod_time,omitzero"`

	S3      *S3Object `json:"s3,omitempty"`
	Sidecar *Sidecar  `json:"sidecar,omitempty"`

	ParseState string    `json:"parse_state"`
	Events     int64     `json:"events"`
	Warnings   []Warning `json:"warnings,omitempty"`
	// WarningCount counts all warnings; Warnings keeps the first few.
	WarningCount int64    `json:"warning_count,omitempty"`
	Flags        []string `json:"flags,omitempty"`

	Blob uint64 `json:"blob"`
}

// Flags set on items.
const (
	FlagTrailingData   = "trailing-data"   // bytes after the first gzip member
	FlagNotGzip        = "gz-not-gzip"     // named .gz but not gzip
	FlagTruncated      = "truncated"       // compressed stream ends early
	FlagParseWarnings  = "parse-warnings"  // some records could not be parsed
	FlagUnparseable    = "unparseable"     // nothing could be parsed
	FlagSidecarInvalid = "sidecar-invalid" // a .head.json sidecar could not be read
)

// FlagChangedDuringRead marks an item whose file changed while it was read
// (its size or modification time differ before and after): the stored
// copy is a snapshot of a moving file.
const FlagChangedDuringRead = "changed-during-read"

// HasFlag reports whether the item carries flag f.
func (it *Item) HasFlag(f string) bool {
	for _, g := range it.Flags {
		if g == f {
			return true
		}
	}
	return false
}

// AddFlag adds f once.
func (it *Item) AddFlag(f string) {
	if !it.HasFlag(f) {
		it.Flags = append(it.Flags, f)
	}
}

// MaxItemWarnings is how many warnings an item keeps verbatim.
const MaxItemWarnings = 50

// AddWarning records w, keeping the first MaxItemWarnings.
func (it *Item) AddWarning(w Warning) {
	it.WarningCount++
	if len(it.Warnings) < MaxItemWarnings {
		it.Warnings = append(it.Warnings, w)
	}
}

// Warning is a problem found while reading an item that did not stop it
// being stored.
type Warning struct {
	Record  int64  `json:"record,omitempty"` // 1-based line or record number, 0 when not tied to one
	Message string `json:"message"`
}

// S3Object holds what S3 said about an object version when it was captured.
type S3Object struct {
	Bucket        string            `json:"bucket"`
	Key           string            `json:"key"`
	VersionID     string            `json:"version_id,omitempty"`
	ETag          string            `json:"etag,omitempty"`
	LastModified  time.Time         `json:"last_modified,omitzero"`
	Size          int64             `json:"size,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	SSE           string            `json:"sse,omitempty"`
	SSEKMSKeyID   string            `json:"sse_kms_key_id,omitempty"`
	StorageClass  string            `json:"storage_class,omitempty"`
	LockMode      string            `json:"object_lock_mode,omitempty"`
	RetainUntil   time.Time         `json:"object_lock_retain_until,omitzero"`
	LegalHold     string            `json:"object_lock_legal_hold,omitempty"`
	LockKnown     bool              `json:"object_lock_known"` // retention was readable (GetObjectRetention or its header)
	LegalKnown    bool              `json:"legal_hold_known"`  // legal hold was readable
	CapturedFrom  string            `json:"captured_from"`     // "s3" or "sidecar"
	CapturedAt    time.Time         `json:"captured_at"`
	CaptureErrors []string          `json:"capture_errors,omitempty"`
}

// Sidecar records a <object>.head.json file read with an item. Its bytes
// are kept in the case as custody data.
type Sidecar struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 SHA256 `json:"sha256"`
}

// CustodyEntry is one entry of the append-only, hash-chained custody log.
type CustodyEntry struct {
	Seq         uint64          `json:"seq"`
	Prev        SHA256          `json:"prev"` // Hash of the previous entry; zero for the first
	Action      string          `json:"action"`
	Args        []string        `json:"args,omitempty"`
	Sources     []string        `json:"sources,omitempty"`
	Items       []uint64        `json:"items,omitempty"`
	Examiner    string          `json:"examiner"`
	OSUser      string          `json:"os_user"`
	Host        string          `json:"host"`
	ToolVersion string          `json:"tool_version"`
	Revision    string          `json:"revision,omitempty"`
	Start       time.Time       `json:"start"`
	End         time.Time       `json:"end"`
	Result      string          `json:"result"`
	Detail      string          `json:"detail,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
	// Signature is the armored OpenSSH signature (SSHSIG, namespace
	// "trailcase") of the text of SignedHash: empty for an unsigned entry.
	Signature string `json:"signature,omitempty"`
	Signer    string `json:"signer,omitempty"` // the signer's public key, "ssh-ed25519 AAAA…"
	Hash      SHA256 `json:"hash"`             // SHA-256 over the entry encoded with Hash zero
}

// Custody results.
const (
	ResultOK          = "ok"
	ResultFailed      = "failed"
	ResultProblems    = "problems"
	ResultInterrupted = "interrupted"
	ResultStarted     = "started"
)

// ComputeHash returns the hash that e.Hash must hold.
func (e CustodyEntry) ComputeHash() SHA256 {
	e.Hash = SHA256{}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // only plain data: cannot fail
	}
	return Sum256(b)
}

// SignedHash returns the hash a signature of e covers: ComputeHash over e
// with Signature and Signer empty. What is signed is its lowercase hex
// (64 characters, no newline).
func (e CustodyEntry) SignedHash() SHA256 {
	e.Signature, e.Signer = "", ""
	return e.ComputeHash()
}

// Bucket records the bucket-level Object Lock and versioning state of an S3
// bucket as captured.
type Bucket struct {
	Name              string    `json:"name"`
	Region            string    `json:"region,omitempty"`
	CapturedAt        time.Time `json:"captured_at"`
	ObjectLockEnabled string    `json:"object_lock_enabled"` // "Enabled", "" = not configured, "unknown"
	DefaultMode       string    `json:"default_mode,omitempty"`
	DefaultDays       int32     `json:"default_days,omitempty"`
	DefaultYears      int32     `json:"default_years,omitempty"`
	Versioning        string    `json:"versioning"` // Enabled, Suspended, "" never enabled, "unknown"
	Errors            []string  `json:"errors,omitempty"`
}

// PublicKey is a CloudTrail public key stored in the case.
type PublicKey struct {
	Fingerprint string    `json:"fingerprint"`
	Value       []byte    `json:"value"` // DER
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	Region      string    `json:"region,omitempty"`
	Origin      string    `json:"origin,omitempty"` // file or API it came from
}
