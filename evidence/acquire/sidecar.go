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
// is the object's path; the bucket is not part of head-object output.
func ParseSidecar(b []byte, key string) (*evidence.S3Object, error) {
	if len(b) > maxSidecar {
		return nil, fmt.Errorf("sidecar larger than %d bytes", maxSidecar)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var h headObject
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("not head-object JSON: %w", err)
	}
	o := &evidence.S3Object{
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
