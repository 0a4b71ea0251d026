package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/s3"
	"github.com/trailcase/trailcase/evidence/s3test"
	"github.com/trailcase/trailcase/store"
)

// BenchmarkS3Acquire measures acquisition throughput from a local
// moto_server: 200 objects of 1 MiB, with 1 and 8 parallel downloads.
// Run: go test ./evidence -run '^$' -bench S3Acquire -benchtime 2x
func BenchmarkS3Acquire(b *testing.B) {
	const objects, size = 200, 1 << 20
	srv := s3test.Moto(b)
	raw := s3test.Client(srv.URL)
	ctx := context.Background()
	if _, err := raw.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	for i := range objects {
		body[0] = byte(i)
		if _, err := raw.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("obj/%04d.log", i)),
			Body: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
	// Requests per object, reported as metrics.
	client := newCountingS3(raw)
	report := func(b *testing.B) {
		n := client.take()
		per := float64(b.N * objects)
		for _, op := range []string{"GetObject", "HeadObject"} {
			b.ReportMetric(float64(n[op])/per, op+"/object")
		}
	}
	// Download only (no case): what S3 and the pipeline deliver.
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("walk/concurrency=%d", conc), func(b *testing.B) {
			b.SetBytes(objects * size)
			client.take()
			defer report(b)
			buf := make([]byte, 1<<20)
			for b.Loop() {
				src, err := s3.NewSource(client, "s3://bench/obj/", s3.Options{Concurrency: conc})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				err = src.Walk(ctx, func(e evidence.Entry) error {
					rc, err := e.Open(ctx)
					if err != nil {
						return err
					}
					defer rc.Close()
					for {
						if _, err := rc.Read(buf); err != nil {
							break
						}
					}
					n++
					return nil
				}, func(evidence.Refusal) {})
				if err != nil || n != objects {
					b.Fatalf("walked %d: %v", n, err)
				}
			}
		})
	}
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("acquire/concurrency=%d", conc), func(b *testing.B) {
			b.SetBytes(objects * size)
			client.take()
			defer report(b)
			for i := 0; b.Loop(); i++ {
				st, err := store.Create(filepath.Join(b.TempDir(), fmt.Sprintf("c%d.tcase", i)), evidence.CaseInfo{Name: "b", Examiner: "e"})
				if err != nil {
					b.Fatal(err)
				}
				src, err := s3.NewSource(client, "s3://bench/obj/", s3.Options{Concurrency: conc, Store: st})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := acquire.Acquire(ctx, st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: testActor})
				if err != nil || len(rep.Stored) != objects {
					b.Fatalf("stored %d: %v %v", len(rep.Stored), err, rep.Failed)
				}
				st.Close()
			}
		})
	}
}
