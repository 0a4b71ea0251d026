package digest_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence"
)

// weekOfDigests builds a week of hourly digests listing about 2,000 logs
// of about 30 kB each inflated (about 60 MB inflated), in memory.
func weekOfDigests(b *testing.B) ([]digest.Object, []evidence.PublicKey, int64) {
	key := testKey(b, "test-key.pem")
	c := digesttest.NewChain(key, testAccount, "us-east-1", testTrail, testBucket, testPrefix)
	c.Start = time.Date(2026, 3, 2, 0, 36, 49, 0, time.UTC)
	var inflated int64
	n := 0
	for h := range 7 * 24 {
		hs := c.Start.Add(time.Duration(h) * time.Hour)
		var logs []*digesttest.Log
		for j := range 12 {
			at := hs.Add(time.Duration(2+j*5) * time.Minute)
			var recs []string
			for k := range 42 {
				r := string(records(at.Add(time.Duration(k)*time.Second), 1, fmt.Sprintf("10.%d.%d.%d", h%250, j, k)))
				r = strings.TrimSuffix(strings.TrimPrefix(r, `{"Records":[`), `]}`)
				recs = append(recs, strings.Replace(r, `"requestParameters":null`, fmt.Sprintf(`"requestParameters":{"bucketName":"data-%d","key":"reports/%d/%d/part-%05d.csv"}`, n%17, h, j, k), 1))
			}
			doc := []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
			inflated += int64(len(doc))
			l, err := c.NewRecordsLog(at, doc)
			if err != nil {
				b.Fatal(err)
			}
			logs = append(logs, l)
			n++
		}
		if _, err := c.AddDigest(logs...); err != nil {
			b.Fatal(err)
		}
	}
	var objs []digest.Object
	for k, body := range c.Files() {
		if strings.HasSuffix(k, digesttest.SidecarSuffix) {
			continue
		}
		o := bytesObject(k, evidence.KindCloudTrail, body, nil)
		if strings.Contains(k, "CloudTrail-Digest/") {
			o.Kind = evidence.KindCloudTrailDigest
		}
		objs = append(objs, o)
	}
	// Only the newest digest keeps its metadata, as after aws s3 sync with
	// one sidecar: the rest are verified through their successors.
	last := c.Digests[len(c.Digests)-1]
	for i := range objs {
		if objs[i].Key == last.Key {
			objs[i].Metadata = map[string]string{"signature": last.Signature, "signature-algorithm": "SHA256withRSA"}
		}
	}
	keys, err := digest.ParseKeyFile(bytes.NewReader(digesttest.KeyFile(c.Start, c.Start.AddDate(0, 1, 0), &key.PublicKey)))
	if err != nil {
		b.Fatal(err)
	}
	return objs, keys, inflated
}

func BenchmarkVerify(b *testing.B) {
	objs, keys, inflated := weekOfDigests(b)
	b.SetBytes(inflated)
	b.ReportAllocs()
	var r *digest.Result
	for b.Loop() {
		var err error
		if r, err = digest.Verify(context.Background(), objs, digest.Options{Keys: keys}); err != nil {
			b.Fatal(err)
		}
	}
	if !r.Valid || r.DigestsChecked != 168 || r.LogsChecked != 2016 || r.SignaturesVerified != 168 {
		b.Fatalf("valid=%v digests=%d logs=%d signatures=%d problems=%v", r.Valid, r.DigestsChecked, r.LogsChecked, r.SignaturesVerified, r.Problems)
	}
	b.ReportMetric(float64(inflated)/1e6, "MB-inflated")
}
