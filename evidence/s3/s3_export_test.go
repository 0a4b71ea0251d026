package s3

import (
	"context"
	"io"
	"os"

	"github.com/trailcase/trailcase/evidence"
)

// CaptureBoth lists the objects under uri and captures each one's
// metadata twice: with HeadObject, as a live Object Lock check does, and
// from the GetObject that downloads it, as acquisition does (with opts,
// e.g. a PrefetchMax that makes it stream).
func CaptureBoth(ctx context.Context, client API, uri string, opts Options) (head, get []*evidence.S3Object, err error) {
	src, err := NewSource(client, uri, opts)
	if err != nil {
		return nil, nil, err
	}
	b, err := CaptureBucket(ctx, client, src.bucket, "")
	if err != nil {
		return nil, nil, err
	}
	src.state, src.region = &b, b.Region
	var all []listed
	if err := src.list(ctx, func(l listed) error { all = append(all, l); return nil }, nil); err != nil {
		return nil, nil, err
	}
	tmp, err := os.MkdirTemp(opts.TempDir, "capture-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	for _, l := range all {
		h, err := src.capture(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		j := &s3Job{l: l}
		src.fetch(ctx, tmp, j)
		if j.fatal != nil {
			return nil, nil, j.fatal
		}
		rc, err := j.entry.Open(ctx)
		if err != nil {
			return nil, nil, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if j.file != "" {
			os.Remove(j.file)
		}
		if err != nil {
			return nil, nil, err
		}
		head, get = append(head, h), append(get, j.entry.S3)
	}
	return head, get, nil
}
