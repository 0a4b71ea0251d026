package digest

import (
	"io"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// FromCase returns the case's CloudTrail logs and digests as Objects.
// Their S3 metadata comes from the item's S3 fields, captured from S3 or
// from a .head.json sidecar; their bytes are read from the case on Open.
func FromCase(st *store.Store) ([]Object, error) {
	items, err := st.AllItems()
	if err != nil {
		return nil, err
	}
	var objs []Object
	for _, it := range items {
		switch it.Kind {
		case evidence.KindCloudTrail, evidence.KindCloudTrailDigest, evidence.KindCloudTrailInsight:
		default:
			continue
		}
		o := Object{Item: it.ID, Key: it.Path, Kind: it.Kind}
		if it.S3 != nil {
			o.Bucket = it.S3.Bucket
			o.Metadata = it.S3.Metadata
			if it.S3.Key != "" && it.S3.Bucket != "" {
				o.Key = it.S3.Key
			}
		}
		item := it
		o.Open = func() (io.ReadCloser, error) { return io.NopCloser(st.OpenBlob(item)), nil }
		objs = append(objs, o)
	}
	return objs, nil
}
