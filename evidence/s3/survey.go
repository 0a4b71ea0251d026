package s3

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// DeleteMarker is a delete marker found under the prefix.
type DeleteMarker struct {
	Key     string    `json:"key"`
	Deleted time.Time `json:"deleted"`
}

// Survey is what S3 says about the objects under a source's prefix,
// without downloading any of them: the bucket's lock and versioning state,
// each selected object's metadata, and the delete markers.
type Survey struct {
	Bucket        evidence.Bucket
	Objects       []Surveyed // in listing order
	DeleteMarkers []DeleteMarker
}

// Surveyed is one object version of a Survey; Err says why its metadata
// could not be read.
type Surveyed struct {
	Key, VersionID string
	Object         *evidence.S3Object
	Err            error
}

// Survey lists the source's objects and captures each one's metadata,
// retention and legal hold. Errors that end the whole survey (no access,
// no bucket, no credentials) are returned; an object that cannot be read
// is reported on its entry.
func (s *Source) Survey(ctx context.Context) (*Survey, error) {
	b, err := CaptureBucket(ctx, s.client, s.bucket, s.opts.Endpoint)
	if err != nil {
		return nil, err
	}
	s.state, s.region = &b, b.Region

	var all []listed
	var markers []DeleteMarker
	err = s.list(ctx, func(l listed) error { all = append(all, l); return ctx.Err() },
		func(key string, when time.Time) {
			if evidence.Selected(key, s.opts.Include, s.opts.Exclude) {
				markers = append(markers, DeleteMarker{Key: key, Deleted: when})
			}
		})
	if err != nil {
		if f := fatalS3(s.bucket, s.opts.Endpoint, err); f != nil {
			return nil, f
		}
		return nil, fmt.Errorf("list %s: %s: %w", s.root, s3Reason(err), err)
	}

	objs := make([]*evidence.S3Object, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, s.opts.Concurrency)
	var wg sync.WaitGroup
	for i, l := range all {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			objs[i], errs[i] = s.capture(ctx, l)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sv := &Survey{Bucket: b, DeleteMarkers: markers}
	for i, l := range all {
		if errs[i] != nil {
			if f := fatalS3(s.bucket, s.opts.Endpoint, errs[i]); f != nil {
				return nil, f
			}
		}
		sv.Objects = append(sv.Objects, Surveyed{Key: l.key, VersionID: l.versionID, Object: objs[i], Err: errs[i]})
	}
	return sv, nil
}
