package acquire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// headObject is the JSON printed by `aws s3api head-object` (CLI v1 and
// v2). Only the fields trailcase records are decoded.
type headObject struct {
	// Bucket and Key are not printed by head-object; a sidecar written by
	// another tool may carry them, and then they are taken as said.
	Bucket                    string            `json:"Bucket"`
	Key                       string            `json:"Key"`
	LastModified              string            `json:"LastModified"`
	ContentLength             *int64            `json:"ContentLength"`
	ETag                      string            `json:"ETag"`
	VersionID                 string            `json:"VersionId"`
	Metadata                  map[string]string `json:"Metadata"`
	ServerSideEncryption      string            `json:"ServerSideEncryption"`
	SSEKMSKeyID               string            `json:"SSEKMSKeyId"`
	StorageClass              string            `json:"StorageClass"`
	ObjectLockMode            string            `json:"ObjectLockMode"`
	ObjectLockRetainUntilDate string            `json:"ObjectLockRetainUntilDate"`
	ObjectLockLegalHoldStatus string            `json:"ObjectLockLegalHoldStatus"`
}

// ParseSidecar reads a saved head-object output into S3 fields. The key
// is the object's path unless the sidecar names one; the bucket is empty
// unless the sidecar names it (head-object output does not): Address
// places the object in its bucket.
func ParseSidecar(b []byte, key string) (*evidence.S3Object, error) {
	if len(b) > maxSidecar {
		return nil, fmt.Errorf("sidecar larger than %d bytes", maxSidecar)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var h headObject
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("not head-object JSON: %w", err)
	}
	if h.Key != "" {
		key = h.Key
	}
	o := &evidence.S3Object{
		Bucket:       h.Bucket,
		Key:          key,
		VersionID:    h.VersionID,
		ETag:         h.ETag,
		Metadata:     h.Metadata,
		SSE:          h.ServerSideEncryption,
		SSEKMSKeyID:  h.SSEKMSKeyID,
		StorageClass: h.StorageClass,
		LockMode:     h.ObjectLockMode,
		LegalHold:    h.ObjectLockLegalHoldStatus,
		CapturedFrom: "sidecar",
	}
	if h.ContentLength != nil {
		o.Size = *h.ContentLength
	}
	var errs []string
	if h.LastModified != "" {
		t, err := parseS3Time(h.LastModified)
		if err != nil {
			errs = append(errs, "LastModified: "+err.Error())
		}
		o.LastModified = t
	}
	if h.ObjectLockRetainUntilDate != "" {
		t, err := parseS3Time(h.ObjectLockRetainUntilDate)
		if err != nil {
			errs = append(errs, "ObjectLockRetainUntilDate: "+err.Error())
		}
		o.RetainUntil = t
	}
	// A sidecar shows lock headers only when the caller could read them and
	// they were set: their absence means "unknown", never "unlocked".
	o.LockKnown = h.ObjectLockMode != ""
	o.LegalKnown = h.ObjectLockLegalHoldStatus != ""
	// Metadata keys are case-insensitive in S3; normalise to lower case.
	if len(o.Metadata) > 0 {
		m := make(map[string]string, len(o.Metadata))
		for k, v := range o.Metadata {
			m[strings.ToLower(strings.TrimPrefix(strings.ToLower(k), "x-amz-meta-"))] = v
		}
		o.Metadata = m
	}
	if len(errs) > 0 {
		o.CaptureErrors = errs
		return o, fmt.Errorf("sidecar: %s", strings.Join(errs, "; "))
	}
	return o, nil
}

var s3TimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05-07:00",
	"2006-01-02T15:04:05.000Z",
	time.RFC1123,
	time.RFC1123Z,
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"2006-01-02 15:04:05-07:00",
	"2006-01-02T15:04:05",
}

func parseS3Time(s string) (time.Time, error) {
	for _, l := range s3TimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}

// awsLogs is the folder every AWS log delivery writes under, right after
// the bucket or the prefix the examiner gave the trail.
const awsLogs = "AWSLogs"

// Address places an object read from a local copy in S3. location is where
// it was read (an absolute path, or an archive followed by "!/" and the
// entry name), path its name in the source, bucket the bucket its sidecar
// names ("" when it names none). The bucket is the sidecar's, else the
// folder before AWSLogs/ when it is named like a bucket (as
// `aws s3 sync s3://B/ B/` leaves it); the key is what follows the
// bucket's folder, else starts at AWSLogs/. A prefix folder named like a
// bucket (a trail writing to B/logs/AWSLogs/ copied from inside B) is
// taken for the bucket: a sidecar naming its Bucket and Key says better.
// When neither is known the bucket is "" and the key is path.
func Address(location, path, bucket string) (string, string) {
	segs := strings.Split(location, "/")
	last := len(segs) - 1
	if bucket != "" {
		for i := last - 1; i >= 0; i-- {
			if segs[i] == bucket {
				return bucket, strings.Join(segs[i+1:], "/")
			}
		}
	}
	for i := last - 1; i >= 0; i-- {
		if segs[i] != awsLogs {
			continue
		}
		if bucket == "" && i > 0 && validBucket(segs[i-1]) {
			bucket = segs[i-1]
		}
		if bucket == "" {
			break
		}
		return bucket, strings.Join(segs[i:], "/")
	}
	return bucket, path
}

// validBucket reports whether s follows the S3 bucket naming rules: 3 to
// 63 lower-case letters, digits, dots and hyphens, beginning and ending
// with a letter or digit.
func validBucket(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '.' && c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// S3Fields returns the S3 fields of it as they are presented: an item whose
// fields came from a sidecar before acquisition placed it in its bucket
// gets the bucket and key Address derives from where it was read. The
// stored item is never changed; nil when it has no S3 fields.
func S3Fields(it evidence.Item) *evidence.S3Object {
	if it.S3 == nil || it.S3.Bucket != "" || it.S3.CapturedFrom != "sidecar" {
		return it.S3
	}
	o := *it.S3
	o.Bucket, o.Key = Address(it.Source, o.Key, "")
	return &o
}

// S3URI is the address of an S3 object version, s3://bucket/key with
// ?versionId=… when the version is known; "" when the bucket is not
// known, so an address never reads s3:///.
func S3URI(o *evidence.S3Object) string {
	if o == nil || o.Bucket == "" {
		return ""
	}
	u := "s3://" + o.Bucket + "/" + o.Key
	if o.VersionID != "" {
		u += "?versionId=" + o.VersionID
	}
	return u
}
