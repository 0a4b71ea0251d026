// Package digesttest builds CloudTrail digest chains for tests and
// demonstrations: hourly digests (empty ones included), backfill digests
// and restarted chains over log bytes the caller supplies, signed the way
// CloudTrail signs them, with the S3 layout, `aws s3api head-object`
// sidecars and an `aws cloudtrail list-public-keys` file.
//
// It shares no code with package digest on purpose: it is an independent
// statement of the format, so the two check each other.
package digesttest

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Log is one CloudTrail log file.
type Log struct {
	Key       string    // S3 key
	Body      []byte    // stored bytes (normally gzip)
	Delivered time.Time // delivery time: decides which digest lists it
	// Oldest and Newest are the event times recorded in the digest; zero
	// means null.
	Oldest, Newest time.Time
	// Hash is the SHA-256 of the decompressed first gzip member (of Body
	// itself when it is not gzip): the hashValue the digest records.
	Hash [32]byte
}

// Digest is one digest file as built.
type Digest struct {
	Key        string // S3 key
	Start, End time.Time
	Backfill   bool
	Logs       []*Log
	JSON       []byte // decompressed content, one line, "/" escaped as "\/"
	Body       []byte // stored bytes (gzip)
	Signature  string // hex SHA256withRSA signature, as in S3 metadata
	// LastModified is when S3 received the digest.
	LastModified time.Time
}

// Chain builds the digests of one trail for one delivering region.
type Chain struct {
	Account, Region, Trail, HomeRegion string
	Bucket, Prefix                     string
	Org                                string // "o-…" for an organization trail, else ""
	// Period is the span of one digest; one hour unless set.
	Period time.Duration
	// Start is the start of the first digest; when zero, the delivery
	// time of the first log listed, truncated to the hour.
	Start time.Time
	// Edit, when set, may change a digest's fields before it is encoded
	// and signed (to build anomalous chains).
	Edit func(d *Digest, f *Fields)
	// LogSidecars adds head-object sidecars for logs too (digests always
	// get one).
	LogSidecars bool

	Logs    []*Log
	Digests []*Digest

	key          *rsa.PrivateKey
	rnd          *rand.Rand
	next         time.Time
	last         *Digest // previous regular digest; nil at a chain start
	lastBackfill *Digest
	restart      bool
}

// NewChain returns a builder for the digest chain of trail (home region =
// region unless HomeRegion is changed) delivering to bucket under prefix
// ("" for none). The generated names are deterministic.
func NewChain(key *rsa.PrivateKey, account, region, trail, bucket, prefix string) *Chain {
	h := fnv.New64a()
	io.WriteString(h, account+"/"+region+"/"+trail)
	return &Chain{Account: account, Region: region, Trail: trail, HomeRegion: region, Bucket: bucket,
		Prefix: strings.Trim(prefix, "/"), Period: time.Hour, key: key, rnd: rand.New(rand.NewPCG(h.Sum64(), 7))}
}

func (c *Chain) awsLogs() string {
	p := "AWSLogs/"
	if c.Prefix != "" {
		p = c.Prefix + "/AWSLogs/"
	}
	if c.Org != "" {
		p += c.Org + "/"
	}
	return p + c.Account + "/"
}

const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewLog adds a log file with the exact stored bytes body, delivered at
// delivered. Event times are read from the records when body holds
// CloudTrail JSON.
func (c *Chain) NewLog(delivered time.Time, body []byte) (*Log, error) {
	delivered = delivered.UTC()
	plain, err := FirstMember(body)
	if err != nil {
		return nil, fmt.Errorf("log delivered %s: %w", delivered, err)
	}
	var suffix [16]byte
	for i := range suffix {
		suffix[i] = letters[c.rnd.IntN(len(letters))]
	}
	l := &Log{Body: body, Delivered: delivered, Hash: sha256.Sum256(plain)}
	l.Key = fmt.Sprintf("%sCloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", c.awsLogs(), c.Region,
		delivered.Format("2006/01/02"), c.Account, c.Region, delivered.Format("20060102T1504Z"), suffix[:])
	l.Oldest, l.Newest = EventTimes(plain)
	c.Logs = append(c.Logs, l)
	return l, nil
}

// NewRecordsLog gzips a CloudTrail log document ({"Records":[…]}) and
// adds it as NewLog does.
func (c *Chain) NewRecordsLog(delivered time.Time, records []byte) (*Log, error) {
	return c.NewLog(delivered, Gzip(records))
}

// AddDigest adds the next digest of the chain, covering one period and
// listing logs (none for an empty hour).
func (c *Chain) AddDigest(logs ...*Log) (*Digest, error) {
	if c.next.IsZero() {
		c.next = c.Start.UTC()
		if c.next.IsZero() && len(logs) > 0 {
			c.next = logs[0].Delivered.Truncate(time.Hour)
		}
		if c.next.IsZero() {
			return nil, errors.New("chain has no Start")
		}
	}
	prev := c.last
	if c.restart {
		prev, c.restart = nil, false
	}
	d, err := c.build(c.next, c.next.Add(c.Period), false, logs, prev)
	if err != nil {
		return nil, err
	}
	c.next, c.last = d.End, d
	return d, nil
}

// Skip leaves n periods without a digest and restarts the chain after
// them, as when logging was stopped: the next digest has null
// previousDigest fields.
func (c *Chain) Skip(n int) {
	c.next = c.next.Add(time.Duration(n) * c.Period)
	c.restart = true
}

// AddBackfill adds a backfill digest ending at end listing logs that the
// regular digests missed. Backfill digests form their own chain.
func (c *Chain) AddBackfill(end time.Time, logs ...*Log) (*Digest, error) {
	end = end.UTC()
	d, err := c.build(end.Add(-c.Period), end, true, logs, c.lastBackfill)
	if err != nil {
		return nil, err
	}
	c.lastBackfill = d
	return d, nil
}

// Fields are the fields of a digest file, in the order CloudTrail writes
// them. Nil pointers are JSON nulls.
type Fields struct {
	AWSAccountID                string     `json:"awsAccountId"`
	DigestStartTime             string     `json:"digestStartTime"`
	DigestEndTime               string     `json:"digestEndTime"`
	DigestS3Bucket              string     `json:"digestS3Bucket"`
	DigestS3Object              string     `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string     `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string     `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string    `json:"newestEventTime"`
	OldestEventTime             *string    `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string    `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string    `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string    `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string    `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string    `json:"previousDigestSignature"`
	LogFiles                    []LogEntry `json:"logFiles"`
}

// LogEntry is one logFiles entry.
type LogEntry struct {
	S3Bucket        string  `json:"s3Bucket"`
	S3Object        string  `json:"s3Object"`
	HashValue       string  `json:"hashValue"`
	HashAlgorithm   string  `json:"hashAlgorithm"`
	NewestEventTime *string `json:"newestEventTime"`
	OldestEventTime *string `json:"oldestEventTime"`
}

func str(s string) *string { return &s }

func timeStr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return str(t.UTC().Format(time.RFC3339))
}

func (c *Chain) build(start, end time.Time, backfill bool, logs []*Log, prev *Digest) (*Digest, error) {
	start, end = start.UTC(), end.UTC()
	name := fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_%s", c.Account, c.Region, c.Trail, c.HomeRegion, end.Format("20060102T150405Z"))
	if backfill {
		name += "_backfill"
	}
	d := &Digest{Start: start, End: end, Backfill: backfill, Logs: logs,
		Key:          fmt.Sprintf("%sCloudTrail-Digest/%s/%s/%s.json.gz", c.awsLogs(), c.Region, end.Format("2006/01/02"), name),
		LastModified: end.Add(time.Duration(60+c.rnd.IntN(600)) * time.Second)}
	j := Fields{AWSAccountID: c.Account, DigestStartTime: start.Format(time.RFC3339), DigestEndTime: end.Format(time.RFC3339),
		DigestS3Bucket: c.Bucket, DigestS3Object: d.Key, DigestPublicKeyFingerprint: KeyFingerprint(&c.key.PublicKey),
		DigestSignatureAlgorithm: "SHA256withRSA", LogFiles: []LogEntry{}}
	var oldest, newest time.Time
	for _, l := range logs {
		j.LogFiles = append(j.LogFiles, LogEntry{S3Bucket: c.Bucket, S3Object: l.Key, HashValue: hex.EncodeToString(l.Hash[:]),
			HashAlgorithm: "SHA-256", NewestEventTime: timeStr(l.Newest), OldestEventTime: timeStr(l.Oldest)})
		if !l.Oldest.IsZero() && (oldest.IsZero() || l.Oldest.Before(oldest)) {
			oldest = l.Oldest
		}
		if l.Newest.After(newest) {
			newest = l.Newest
		}
	}
	j.NewestEventTime, j.OldestEventTime = timeStr(newest), timeStr(oldest)
	if prev != nil {
		sum := sha256.Sum256(prev.JSON)
		j.PreviousDigestS3Bucket, j.PreviousDigestS3Object = str(c.Bucket), str(prev.Key)
		j.PreviousDigestHashValue, j.PreviousDigestHashAlgorithm = str(hex.EncodeToString(sum[:])), str("SHA-256")
		j.PreviousDigestSignature = str(prev.Signature)
	}
	if c.Edit != nil {
		c.Edit(d, &j)
	}
	var err error
	if d.JSON, err = MarshalDigest(j); err != nil {
		return nil, err
	}
	d.Body = Gzip(d.JSON)
	prevSig := "null"
	if j.PreviousDigestSignature != nil {
		prevSig = *j.PreviousDigestSignature
	}
	if d.Signature, err = Sign(c.key, j.DigestEndTime, j.DigestS3Bucket, j.DigestS3Object, d.JSON, prevSig); err != nil {
		return nil, err
	}
	c.Digests = append(c.Digests, d)
	return d, nil
}

// MarshalDigest encodes v on one line with "/" escaped as "\/", as
// CloudTrail writes digest files.
func MarshalDigest(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return bytes.ReplaceAll(out, []byte("/"), []byte(`\/`)), nil
}

// Sign returns the hex SHA256withRSA (PKCS#1 v1.5) signature CloudTrail
// puts in a digest's S3 metadata: over digestEndTime, bucket "/" object,
// the hex SHA-256 of the decompressed digest and the previous digest's
// signature ("null" for the first), joined by LF.
func Sign(key *rsa.PrivateKey, endTime, bucket, object string, decompressed []byte, previousSignature string) (string, error) {
	sum := sha256.Sum256(decompressed)
	text := strings.Join([]string{endTime, bucket + "/" + object, hex.EncodeToString(sum[:]), previousSignature}, "\n")
	h := sha256.Sum256([]byte(text))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// KeyFingerprint is CloudTrail's fingerprint of a public key: the hex MD5
// of its PKCS#1 DER encoding.
func KeyFingerprint(pub *rsa.PublicKey) string {
	s := md5.Sum(x509.MarshalPKCS1PublicKey(pub))
	return hex.EncodeToString(s[:])
}

// Gzip compresses b as one gzip member with a zero header time.
func Gzip(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// FirstMember returns the decompressed first gzip member of b, or b
// itself when it is not gzip.
func FirstMember(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return io.ReadAll(zr)
}

// EventTimes returns the oldest and newest eventTime of a CloudTrail log
// document, or zero times when it has none or is not one.
func EventTimes(doc []byte) (oldest, newest time.Time) {
	var v struct {
		Records []struct {
			EventTime string `json:"eventTime"`
		} `json:"Records"`
	}
	if json.Unmarshal(doc, &v) != nil {
		return
	}
	for _, r := range v.Records {
		t, err := time.Parse(time.RFC3339, r.EventTime)
		if err != nil {
			continue
		}
		t = t.UTC()
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		if t.After(newest) {
			newest = t
		}
	}
	return
}

// Sidecar returns the `aws s3api head-object` JSON of an object with the
// given bytes, user metadata (nil for none) and last-modified time.
func Sidecar(body []byte, metadata map[string]string, lastModified time.Time) []byte {
	sum := md5.Sum(body)
	v := struct {
		AcceptRanges  string            `json:"AcceptRanges"`
		LastModified  string            `json:"LastModified"`
		ContentLength int               `json:"ContentLength"`
		ETag          string            `json:"ETag"`
		VersionID     *string           `json:"VersionId"`
		ContentType   string            `json:"ContentType"`
		SSE           string            `json:"ServerSideEncryption"`
		Metadata      map[string]string `json:"Metadata"`
	}{"bytes", lastModified.UTC().Format("2006-01-02T15:04:05+00:00"), len(body), `"` + hex.EncodeToString(sum[:]) + `"`,
		nil, "application/octet-stream", "AES256", metadata}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	b, _ := json.MarshalIndent(v, "", "    ")
	return append(b, '\n')
}

// SidecarSuffix names a head-object sidecar: <object>.head.json.
const SidecarSuffix = ".head.json"

// Files returns the chain's S3 objects and sidecars by key.
func (c *Chain) Files() map[string][]byte {
	files := map[string][]byte{}
	for _, l := range c.Logs {
		files[l.Key] = l.Body
		if c.LogSidecars {
			files[l.Key+SidecarSuffix] = Sidecar(l.Body, nil, l.Delivered)
		}
	}
	for _, d := range c.Digests {
		files[d.Key] = d.Body
		files[d.Key+SidecarSuffix] = Sidecar(d.Body, map[string]string{"signature": d.Signature, "signature-algorithm": "SHA256withRSA"}, d.LastModified)
	}
	return files
}

// WriteDir writes the chain's objects and sidecars under dir in the S3
// layout (dir stands for the bucket).
func (c *Chain) WriteDir(dir string) error { return WriteFiles(dir, c.Files()) }

// WriteFiles writes files (slash-separated names) under dir.
func WriteFiles(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(path.Clean(n)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// KeyFile returns the JSON of `aws cloudtrail list-public-keys` (CLI v2
// shape) listing the public keys, each valid from start to end.
func KeyFile(start, end time.Time, keys ...*rsa.PublicKey) []byte {
	type entry struct {
		Value             string `json:"Value"`
		ValidityStartTime string `json:"ValidityStartTime"`
		ValidityEndTime   string `json:"ValidityEndTime"`
		Fingerprint       string `json:"Fingerprint"`
	}
	var v struct {
		PublicKeyList []entry `json:"PublicKeyList"`
	}
	for _, k := range keys {
		v.PublicKeyList = append(v.PublicKeyList, entry{base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(k)),
			start.UTC().Format("2006-01-02T15:04:05+00:00"), end.UTC().Format("2006-01-02T15:04:05+00:00"), KeyFingerprint(k)})
	}
	b, _ := json.MarshalIndent(v, "", "    ")
	return append(b, '\n')
}

// ParseKey reads a PEM "RSA PRIVATE KEY" (PKCS#1) or "PRIVATE KEY"
// (PKCS#8) block.
func ParseKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA key", k)
	}
	return rk, nil
}
