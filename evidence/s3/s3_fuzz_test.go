package s3_test

import (
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence/s3"
)

func FuzzParseS3URI(f *testing.F) {
	for _, s := range []string{"s3://logs", "s3://logs/AWSLogs/111122223333/", "s3://", "s3:///k", "s3://a/b?c", "s3://bucket/\xff\x00", "http://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, p, err := s3.ParseURI(s)
		if err != nil {
			return
		}
		if b == "" || strings.Contains(b, "/") || "s3://"+b+"/"+p != s && "s3://"+b != s {
			t.Fatalf("%q -> %q %q", s, b, p)
		}
	})
}
