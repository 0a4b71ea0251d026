package digest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
)

// digestJSON is the decoded digest file. Pointers tell null or missing
// fields from empty ones.
type digestJSON struct {
	AWSAccountID                *string    `json:"awsAccountId"`
	DigestStartTime             *string    `json:"digestStartTime"`
	DigestEndTime               *string    `json:"digestEndTime"`
	DigestS3Bucket              *string    `json:"digestS3Bucket"`
	DigestS3Object              *string    `json:"digestS3Object"`
	DigestPublicKeyFingerprint  *string    `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    *string    `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string    `json:"newestEventTime"`
	OldestEventTime             *string    `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string    `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string    `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string    `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string    `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string    `json:"previousDigestSignature"`
	LogFiles                    *[]logJSON `json:"logFiles"`
}

type logJSON struct {
	S3Bucket      *string `json:"s3Bucket"`
	S3Object      *string `json:"s3Object"`
	HashValue     *string `json:"hashValue"`
	HashAlgorithm *string `json:"hashAlgorithm"`
}

// listedLog is one logFiles entry, checked.
type listedLog struct {
	Bucket, Key string
	Sum         [32]byte
	SumOK       bool // hashValue was 64 hex characters
}

// summary is what is kept of one digest after it was read: no log list,
// no decoded JSON.
type summary struct {
	obj   int    // index into the objects
	found string // where it was found (Object.Key)
	item  uint64
	sum   [32]byte // SHA-256 of the decompressed digest
	// hashed is set when sum is known (the digest could be decompressed).
	hashed bool
	// ok is set when the digest could be parsed well enough to join a chain.
	ok  bool
	loc location

	bucket, object string // digestS3Bucket, digestS3Object
	start, end     time.Time
	fingerprint    string
	algorithm      string

	prevNull               bool
	prevBucket, prevObject string
	prevSum                [32]byte
	prevSumOK              bool
	prevSig                string

	metaSig, metaAlg string
	signed           [32]byte // SHA-256 of the string to sign
	signable         bool

	logs    int // entries in logFiles
	inRange bool

	// Set while walking the chain.
	succ     *summary
	dup      bool
	sigState int
}

// Signature states.
const (
	sigUnchecked = iota
	sigVerified
	sigFailed
	sigMissing
)

// parseDigest decodes the decompressed digest b found as obj. It returns
// the summary, the listed logs, and the problems found. A digest that
// cannot join a chain comes back with ok unset and a DIGEST_INVALID
// problem.
func parseDigest(s *summary, b []byte, emit func(listedLog)) []finding.Finding {
	p := &digestParser{s: s}
	var d digestJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		p.invalid("not a digest: invalid JSON: %v", jsonError(b, err))
		return p.probs
	}
	if dec.More() {
		p.invalid("not a digest: more than one JSON value")
		return p.probs
	}
	endS, ok := p.header(&d)
	if !ok {
		return p.probs
	}
	p.previous(&d)
	prevSig := "null"
	if d.PreviousDigestSignature != nil {
		prevSig = *d.PreviousDigestSignature
	}
	s.signed = signedSum(endS, s.bucket, s.object, s.sum, prevSig)
	s.signable = true
	p.logFiles(&d, emit)
	s.ok = true
	return p.probs
}

// digestParser fills a summary from a decoded digest, collecting the
// DIGEST_INVALID problems it finds.
type digestParser struct {
	s     *summary
	probs []finding.Finding
}

func (p *digestParser) invalid(format string, args ...any) {
	p.probs = append(p.probs, problem(DigestInvalid, p.s.found, p.s.item, fmt.Sprintf(format, args...)))
}

// header reads the digest's own fields: account, period, where it was
// delivered, key fingerprint and algorithm. It returns digestEndTime as
// written, and false when the digest cannot join a chain.
func (p *digestParser) header(d *digestJSON) (string, bool) {
	s := p.s
	var missing []string
	req := func(name string, v *string) string {
		if v == nil || *v == "" {
			missing = append(missing, name)
			return ""
		}
		return *v
	}
	account := req("awsAccountId", d.AWSAccountID)
	startS := req("digestStartTime", d.DigestStartTime)
	endS := req("digestEndTime", d.DigestEndTime)
	s.bucket = req("digestS3Bucket", d.DigestS3Bucket)
	s.object = req("digestS3Object", d.DigestS3Object)
	if d.LogFiles == nil {
		missing = append(missing, "logFiles")
	}
	if len(missing) > 0 {
		p.invalid("missing required field(s): %s", strings.Join(missing, ", "))
		return "", false
	}
	var err error
	if s.start, err = time.Parse(time.RFC3339, startS); err != nil {
		p.invalid("digestStartTime %q is not an RFC 3339 time", startS)
		return "", false
	}
	if s.end, err = time.Parse(time.RFC3339, endS); err != nil {
		p.invalid("digestEndTime %q is not an RFC 3339 time", endS)
		return "", false
	}
	s.start, s.end = s.start.UTC(), s.end.UTC()
	if !s.end.After(s.start) {
		p.invalid("digestEndTime %s is not after digestStartTime %s", endS, startS)
	}
	loc, ok := parseDigestName(s.object)
	if !ok {
		if loc, ok = parseDigestName(s.found); !ok {
			p.invalid("digestS3Object %q is not a CloudTrail digest key", s.object)
			return "", false
		}
		p.invalid("digestS3Object %q is not a CloudTrail digest key", s.object)
	}
	s.loc = loc
	if loc.Account != account {
		p.invalid("awsAccountId %s differs from the account %s in digestS3Object", account, loc.Account)
	}
	if !loc.Time.Equal(s.end) {
		p.invalid("digestEndTime %s differs from the time %s in digestS3Object", endS, loc.Time.Format(time.RFC3339))
	}
	if d.DigestPublicKeyFingerprint != nil {
		s.fingerprint = strings.ToLower(*d.DigestPublicKeyFingerprint)
	}
	if s.fingerprint == "" {
		p.invalid("no digestPublicKeyFingerprint")
	}
	if d.DigestSignatureAlgorithm != nil {
		s.algorithm = *d.DigestSignatureAlgorithm
	}
	return endS, true
}

// previous reads the previous digest's fields: all null at the start of
// a chain.
func (p *digestParser) previous(d *digestJSON) {
	s := p.s
	prev := []*string{d.PreviousDigestS3Bucket, d.PreviousDigestS3Object, d.PreviousDigestHashValue, d.PreviousDigestSignature}
	nulls := 0
	for _, v := range prev {
		if v == nil {
			nulls++
		}
	}
	switch {
	case nulls == len(prev):
		s.prevNull = true
	case nulls > 0:
		p.invalid("previousDigest fields are partly null")
	}
	if d.PreviousDigestS3Bucket != nil {
		s.prevBucket = *d.PreviousDigestS3Bucket
	}
	if d.PreviousDigestS3Object != nil {
		s.prevObject = *d.PreviousDigestS3Object
	}
	if d.PreviousDigestHashValue != nil {
		if sum, err := parseHex256(*d.PreviousDigestHashValue); err != nil {
			p.invalid("previousDigestHashValue: %v", err)
		} else {
			s.prevSum, s.prevSumOK = sum, true
		}
	}
	if d.PreviousDigestHashAlgorithm != nil && *d.PreviousDigestHashAlgorithm != "SHA-256" {
		p.invalid("previousDigestHashAlgorithm %q is not SHA-256", *d.PreviousDigestHashAlgorithm)
	}
	if d.PreviousDigestSignature != nil {
		s.prevSig = strings.ToLower(*d.PreviousDigestSignature)
		if _, err := hex.DecodeString(s.prevSig); err != nil || s.prevSig == "" {
			p.invalid("previousDigestSignature is not hex")
		}
	}
}

// logFiles checks and emits each entry of logFiles.
func (p *digestParser) logFiles(d *digestJSON, emit func(listedLog)) {
	for i, l := range *d.LogFiles {
		var e listedLog
		if l.S3Object == nil || *l.S3Object == "" {
			p.invalid("logFiles[%d]: no s3Object", i)
			continue
		}
		e.Key = *l.S3Object
		if l.S3Bucket != nil {
			e.Bucket = *l.S3Bucket
		}
		if l.HashValue == nil {
			p.invalid("logFiles[%d] (%s): no hashValue", i, e.Key)
		} else if sum, err := parseHex256(*l.HashValue); err != nil {
			p.invalid("logFiles[%d] (%s): hashValue: %v", i, e.Key, err)
		} else {
			e.Sum, e.SumOK = sum, true
		}
		if l.HashAlgorithm != nil && *l.HashAlgorithm != "SHA-256" {
			p.invalid("logFiles[%d] (%s): hashAlgorithm %q is not SHA-256", i, e.Key, *l.HashAlgorithm)
			e.SumOK = false
		}
		p.s.logs++
		emit(e)
	}
}

// parseHex256 reads a lowercase or uppercase hex SHA-256.
func parseHex256(v string) ([32]byte, error) {
	var sum [32]byte
	if len(v) != 64 {
		return sum, fmt.Errorf("%q has %d characters, want 64 hex characters", v, len(v))
	}
	if _, err := hex.Decode(sum[:], []byte(v)); err != nil {
		return sum, fmt.Errorf("%q is not hex", v)
	}
	return sum, nil
}

// jsonError adds the line and column to a JSON syntax error.
func jsonError(b []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: JSON ends early", 1+bytes.Count(b, []byte{'\n'}))
	default:
		return err
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}
