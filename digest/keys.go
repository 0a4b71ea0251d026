package digest

import (
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// SignatureAlgorithm is the only digest signature algorithm CloudTrail uses.
const SignatureAlgorithm = "SHA256withRSA"

// StringToSign returns the text CloudTrail signs for a digest: its
// digestEndTime, digestS3Bucket "/" digestS3Object, the hex SHA-256 of the
// decompressed digest and previousDigestSignature ("null" for the first
// digest of a chain), joined by LF with no final LF.
func StringToSign(endTime, bucket, object string, sum [32]byte, previousSignature string) string {
	if previousSignature == "" {
		previousSignature = "null"
	}
	return endTime + "\n" + bucket + "/" + object + "\n" + hex.EncodeToString(sum[:]) + "\n" + previousSignature
}

// Fingerprint returns the CloudTrail fingerprint of a DER public key: the
// lowercase hex MD5 of the DER bytes.
func Fingerprint(der []byte) string {
	s := md5.Sum(der)
	return hex.EncodeToString(s[:])
}

// ParsePublicKey decodes a DER RSA public key, PKCS#1 (as documented) or
// SubjectPublicKeyInfo (as some samples are).
func ParsePublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not a DER RSA public key (PKCS#1 or SubjectPublicKeyInfo)")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA public key", k)
	}
	return rk, nil
}

// checkSignature verifies hex signature sig over the SHA-256 hashed
// string to sign with pub.
func checkSignature(pub *rsa.PublicKey, signed [32]byte, sig string) error {
	b, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, signed[:], b); err != nil {
		return errors.New("RSA signature verification failed")
	}
	return nil
}

// keyFile is the JSON printed by `aws cloudtrail list-public-keys`.
type keyFile struct {
	PublicKeyList *[]keyEntry `json:"PublicKeyList"`
	NextToken     *string     `json:"NextToken,omitempty"`
}

type keyEntry struct {
	Value             *string         `json:"Value"`
	ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
	ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
	Fingerprint       *string         `json:"Fingerprint"`
}

// maxKeyFile bounds the size of a public-keys file.
const maxKeyFile = 16 << 20

// ParseKeyFile reads the JSON printed by `aws cloudtrail list-public-keys`
// (CLI v1 epoch or v2 ISO times). Each key's fingerprint is recomputed as
// the MD5 of its DER bytes and must match the one in the file.
func ParseKeyFile(r io.Reader) ([]evidence.PublicKey, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("public-keys file larger than %d bytes", maxKeyFile)
	}
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not the JSON of aws cloudtrail list-public-keys: %w", err)
	}
	if f.PublicKeyList == nil {
		return nil, errors.New(`not the JSON of aws cloudtrail list-public-keys: no "PublicKeyList"`)
	}
	if len(*f.PublicKeyList) == 0 {
		return nil, errors.New("no public keys in the file")
	}
	var keys []evidence.PublicKey
	for i, e := range *f.PublicKeyList {
		k, err := e.key()
		if err != nil {
			return nil, fmt.Errorf("PublicKeyList[%d]: %w", i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (e keyEntry) key() (evidence.PublicKey, error) {
	var k evidence.PublicKey
	if e.Value == nil || *e.Value == "" {
		return k, errors.New(`no "Value"`)
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*e.Value))
	if err != nil {
		return k, fmt.Errorf("Value is not base64: %w", err)
	}
	if _, err := ParsePublicKey(der); err != nil {
		return k, fmt.Errorf("Value: %w", err)
	}
	k.Value = der
	k.Fingerprint = Fingerprint(der)
	if e.Fingerprint != nil && *e.Fingerprint != "" && !strings.EqualFold(*e.Fingerprint, k.Fingerprint) {
		return k, fmt.Errorf("Fingerprint %q does not match the key (MD5 of its DER bytes is %s)", *e.Fingerprint, k.Fingerprint)
	}
	if k.Start, err = keyTime(e.ValidityStartTime); err != nil {
		return k, fmt.Errorf("ValidityStartTime: %w", err)
	}
	if k.End, err = keyTime(e.ValidityEndTime); err != nil {
		return k, fmt.Errorf("ValidityEndTime: %w", err)
	}
	return k, nil
}

// keyTime reads an epoch number (CLI v1) or an ISO 8601 string (CLI v2).
func keyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if s[0] == '"' {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return time.Time{}, err
		}
		for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999-07:00", "2006-01-02 15:04:05-07:00", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(l, v); err == nil {
				return t.UTC(), nil
			}
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return epoch(f)
		}
		return time.Time{}, fmt.Errorf("unrecognised time %q", v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognised time %s", s)
	}
	return epoch(f)
}

func epoch(f float64) (time.Time, error) {
	if math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, fmt.Errorf("epoch time %v out of range", f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// WriteKeyFile writes keys in the JSON shape of `aws cloudtrail
// list-public-keys` (CLI v2: ISO times), so ParseKeyFile and the aws CLI
// agree on it.
func WriteKeyFile(w io.Writer, keys []evidence.PublicKey) error {
	type entry struct {
		Value             string `json:"Value"`
		ValidityStartTime string `json:"ValidityStartTime,omitempty"`
		ValidityEndTime   string `json:"ValidityEndTime,omitempty"`
		Fingerprint       string `json:"Fingerprint"`
	}
	out := struct {
		PublicKeyList []entry `json:"PublicKeyList"`
	}{PublicKeyList: []entry{}}
	for _, k := range keys {
		e := entry{Value: base64.StdEncoding.EncodeToString(k.Value), Fingerprint: Fingerprint(k.Value)}
		if !k.Start.IsZero() {
			e.ValidityStartTime = k.Start.UTC().Format("2006-01-02T15:04:05+00:00")
		}
		if !k.End.IsZero() {
			e.ValidityEndTime = k.End.UTC().Format("2006-01-02T15:04:05+00:00")
		}
		out.PublicKeyList = append(out.PublicKeyList, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}

// keyRing finds public keys by fingerprint.
type keyRing map[string]*ringKey

type ringKey struct {
	key evidence.PublicKey
	pub *rsa.PublicKey
	err error
}

func newKeyRing(keys []evidence.PublicKey) keyRing {
	r := keyRing{}
	for _, k := range keys {
		fp := strings.ToLower(k.Fingerprint)
		if fp == "" {
			fp = Fingerprint(k.Value)
		}
		pub, err := ParsePublicKey(k.Value)
		r[fp] = &ringKey{key: k, pub: pub, err: err}
	}
	return r
}

// signedSum is the SHA-256 of the string to sign: all a summary needs to
// keep to verify a signature later.
func signedSum(endTime, bucket, object string, sum [32]byte, previousSignature string) [32]byte {
	return sha256.Sum256([]byte(StringToSign(endTime, bucket, object, sum, previousSignature)))
}
