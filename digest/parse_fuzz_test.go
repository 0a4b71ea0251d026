package digest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDigest feeds arbitrary decompressed digest JSON to the digest
// reader: it never panics, a digest that cannot join a chain always says
// why, every finding names the digest, and every listed log is counted.
func FuzzParseDigest(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "digest", "*", "bucket", "ct", "AWSLogs", "*", "CloudTrail-Digest", "us-east-1", "2026", "03", "10", "*_20260310T07*.json.gz"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			continue
		}
		zr.Multistream(false)
		if plain, err := io.ReadAll(zr); err == nil {
			f.Add(plain)
		}
	}
	f.Add([]byte(`{"awsAccountId":"1","digestStartTime":"2026-03-10T06:41:07Z","digestEndTime":"2026-03-10T07:41:07Z",` +
		`"digestS3Bucket":"b","digestS3Object":"AWSLogs/1/CloudTrail-Digest/r/2026/03/10/1_CloudTrail-Digest_r_t_r_20260310T074107Z.json.gz",` +
		`"digestPublicKeyFingerprint":"AB","previousDigestS3Bucket":null,"previousDigestS3Object":"x","previousDigestHashValue":"zz",` +
		`"previousDigestHashAlgorithm":"MD5","previousDigestSignature":"","logFiles":[{},{"s3Object":"k","hashValue":"` +
		`0000000000000000000000000000000000000000000000000000000000000000","hashAlgorithm":"SHA-1"}]}`))
	f.Add([]byte(`{"logFiles":null} {}`))
	f.Add([]byte("{\"digestStartTime\":\n1}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		const found = "AWSLogs/1/CloudTrail-Digest/r/2026/03/10/1_CloudTrail-Digest_r_t_r_20260310T074107Z.json.gz"
		s := &summary{found: found, item: 7}
		var listed []listedLog
		probs := parseDigest(s, b, func(l listedLog) { listed = append(listed, l) })
		for _, p := range probs {
			if p.Kind != DigestInvalid || p.Object != found || p.Item != 7 || p.Detail == "" {
				t.Fatalf("bad finding %+v", p)
			}
		}
		if !s.ok {
			if len(probs) == 0 {
				t.Fatal("digest refused without a finding")
			}
			if len(listed) != 0 {
				t.Fatalf("refused digest listed %d logs", len(listed))
			}
			return
		}
		if s.start.IsZero() || s.end.IsZero() || s.start.Location().String() != "UTC" || !s.signable {
			t.Fatalf("accepted digest without times: %+v", s)
		}
		if s.logs != len(listed) {
			t.Fatalf("%d logs counted, %d listed", s.logs, len(listed))
		}
		for _, l := range listed {
			if l.Key == "" {
				t.Fatal("listed log without a key")
			}
		}
	})
}
