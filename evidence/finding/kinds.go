package finding

// Kinds found by verify: the evidence items, sidecars, custody log and
// store of a case file.
const (
	ItemHashMismatch  Kind = "ITEM_HASH_MISMATCH"   // stored bytes hash differently from the recorded SHA-256
	ItemSizeMismatch  Kind = "ITEM_SIZE_MISMATCH"   // stored bytes differ in length from the recorded size
	ItemBytesMissing  Kind = "ITEM_BYTES_MISSING"   // stored bytes cannot be read
	SidecarMismatch   Kind = "SIDECAR_MISMATCH"     // a kept sidecar is missing or hashes differently
	CustodyBroken     Kind = "CUSTODY_CHAIN_BROKEN" // the custody log's hash chain or references are broken
	OrphanData        Kind = "ORPHAN_DATA"          // bytes or events no evidence item owns
	ItemRecordInvalid Kind = "ITEM_RECORD_INVALID"  // an item's record cannot be read
	StoreInconsistent Kind = "STORE_INCONSISTENT"   // the case file's own structure is damaged

	CustodySignatureInvalid Kind = "CUSTODY_SIGNATURE_INVALID" // a custody entry's SSH signature does not verify
	CustodySignerUnknown    Kind = "CUSTODY_SIGNER_UNKNOWN"    // a custody entry is signed by a key not allowed
	RecordCorrupt           Kind = "RECORD_CORRUPT"            // a stored record fails its checksum or cannot be read
	EventBlockCorrupt       Kind = "EVENT_BLOCK_CORRUPT"       // a stored block of events fails its checksum or cannot be decoded
	IndexCorrupt            Kind = "INDEX_CORRUPT"             // a posting list or chunk fails its checksum or cannot be decoded
	IndexMismatch           Kind = "INDEX_INCONSISTENT"        // the indexes and the stored events disagree
	EventCountWrong         Kind = "EVENT_COUNT_MISMATCH"      // an item holds more events than its parse recorded
)

// Kinds found by verify --deep and verify --expect-head: the events
// stored for the evidence, and the custody log against a head printed
// earlier.
const (
	EventsDiffer        Kind = "EVENTS_DIFFER"         // stored events differ from a re-parse of the item's bytes
	CustodyHeadMismatch Kind = "CUSTODY_HEAD_MISMATCH" // the custody log does not end with the head given
)

// Kinds found by digest verify: CloudTrail digest chains and the logs
// they list.
const (
	LogHashMismatch    Kind = "LOG_HASH_MISMATCH"    // a log's SHA-256 differs from its digest's hashValue
	LogMissing         Kind = "LOG_MISSING"          // a log a digest lists is not among the evidence
	DigestMissing      Kind = "DIGEST_MISSING"       // a digest of the chain is not among the evidence
	DigestHashMismatch Kind = "DIGEST_HASH_MISMATCH" // a digest's SHA-256 differs from its successor's previousDigestHashValue
	SignatureInvalid   Kind = "SIGNATURE_INVALID"    // the RSA signature does not verify
	SignatureMissing   Kind = "SIGNATURE_MISSING"    // no signature is known for a digest (only with RequireSignatures)
	PublicKeyUnknown   Kind = "PUBLIC_KEY_UNKNOWN"   // no public key with the digest's fingerprint
	DigestMoved        Kind = "DIGEST_MOVED"         // a digest is not where it says it was delivered
	DigestInvalid      Kind = "DIGEST_INVALID"       // unreadable, not gzip/JSON, missing or malformed fields
	TrailingData       Kind = "TRAILING_DATA"        // bytes after the first gzip member
	LogNotInDigest     Kind = "LOG_NOT_IN_DIGEST"    // a log inside a covered period that no digest lists
)

// Kinds found by objectlock: the S3 Object Lock state of the evidence.
const (
	LockUnknown       Kind = "OBJECT_LOCK_UNKNOWN" // retention status could not be established
	ModeNotMet        Kind = "MODE_NOT_MET"        // weaker or no retention than required
	RetentionShort    Kind = "RETENTION_TOO_SHORT" // retain-until before the required date
	NoObjects         Kind = "NO_OBJECTS"          // a requirement, but no S3 object to check
	ObjectNotReadable Kind = "OBJECT_NOT_READABLE" // live: the object's metadata could not be read
	NoRetention       Kind = "NO_RETENTION"        // no requirement given: no retention in force and no legal hold
	NoS3Metadata      Kind = "NO_S3_METADATA"      // items with no S3 metadata: their Object Lock state is unknown
)

type kindInfo struct {
	level    Level
	category Category
	meaning  string
}

var kinds = map[Kind]kindInfo{
	ItemHashMismatch:  {Critical, Integrity, "the stored bytes differ from what was hashed at acquisition: they were modified"},
	ItemSizeMismatch:  {Critical, Integrity, "the stored bytes are not as long as recorded at acquisition"},
	ItemBytesMissing:  {Critical, Integrity, "the stored bytes of an item cannot be read back from the case"},
	SidecarMismatch:   {High, Integrity, "a sidecar kept with an item is missing or differs from what was recorded"},
	CustodyBroken:     {Critical, Integrity, "the custody log's hash chain, or an item's reference into it, is broken"},
	OrphanData:        {Medium, Integrity, "the case holds bytes or events that no evidence item owns"},
	ItemRecordInvalid: {High, Integrity, "an evidence item's record cannot be read"},
	StoreInconsistent: {High, Integrity, "the case file's own structure is damaged"},
	RecordCorrupt:     {High, Integrity, "a record of the case (item, check, key, bucket state) was damaged: what it says cannot be trusted"},
	EventBlockCorrupt: {High, Integrity, "stored events were damaged: the timeline would be wrong; they can be rebuilt from the evidence"},
	IndexCorrupt:      {High, Integrity, "part of the event index was damaged: queries would be wrong; it can be rebuilt from the evidence"},
	IndexMismatch:     {High, Integrity, "the event index and the stored events disagree: queries would miss or invent events"},
	EventCountWrong:   {High, Integrity, "an item holds more stored events than its parse produced"},

	CustodySignatureInvalid: {Critical, Integrity, "a custody entry's signature does not verify: the entry or its signature was altered"},
	CustodySignerUnknown:    {High, Integrity, "a custody entry is signed by a key the allowed-signers file does not list"},

	EventsDiffer:        {High, Integrity, "the events stored for an item differ from what its verbatim bytes parse to: the timeline built from them is wrong"},
	CustodyHeadMismatch: {Critical, Integrity, "the custody log does not hold, as its newest entry, the head printed earlier: entries were removed or replaced"},

	LogHashMismatch:    {Critical, Integrity, "the log's content differs from what CloudTrail recorded in the digest: it was modified"},
	LogMissing:         {High, Integrity, "a log listed in a digest is not in the evidence: it was deleted or not acquired"},
	DigestMissing:      {High, Integrity, "a digest of the chain is not in the evidence: it was deleted or not acquired"},
	DigestHashMismatch: {Critical, Integrity, "the digest's content differs from what its successor recorded: it was modified"},
	SignatureInvalid:   {Critical, Integrity, "the digest's signature does not verify: the digest or its signature was altered"},
	SignatureMissing:   {Medium, Integrity, "no signature is known for the digest (no S3 metadata and no signed successor)"},
	PublicKeyUnknown:   {Medium, Integrity, "no known CloudTrail public key has the digest's fingerprint"},
	DigestMoved:        {Medium, Integrity, "the digest is not stored where it says CloudTrail delivered it"},
	DigestInvalid:      {High, Integrity, "the digest cannot be read or lacks required fields"},
	TrailingData:       {High, Integrity, "data follows the first gzip member: CloudTrail never hashes it, so it is not trusted"},
	LogNotInDigest:     {High, Integrity, "a CloudTrail log inside a period covered by digests is listed by none: it was added"},

	LockUnknown:       {Medium, Integrity, "the object's Object Lock retention could not be established"},
	ModeNotMet:        {High, Integrity, "the object's retention is weaker than required: it can be deleted or overwritten"},
	RetentionShort:    {Medium, Integrity, "the object's retention ends before the required date"},
	NoObjects:         {Low, Coverage, "a retention requirement was given but there is no S3 object to check"},
	ObjectNotReadable: {Medium, Integrity, "the object's Object Lock metadata could not be read"},
	NoRetention:       {Medium, Integrity, "the object has no retention in force and no legal hold: it can be deleted or overwritten"},
	NoS3Metadata:      {Medium, Integrity, "items were acquired without S3 metadata (no .head.json sidecar): their Object Lock state is unknown"},
}

// Level is the default level of a finding of kind k, "" for a kind
// no built-in check reports.
func (k Kind) Level() Level { return kinds[k].level }

// Category is the default category of a finding of kind k.
func (k Kind) Category() Category { return kinds[k].category }

// Meaning is a one-line explanation of kind k, "" for a kind no built-in
// check reports.
func (k Kind) Meaning() string { return kinds[k].meaning }
