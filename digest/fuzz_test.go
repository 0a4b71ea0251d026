package digest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence"
)

// FuzzDigest feeds arbitrary bytes to Verify as a digest (gzip or plain)
// next to one log: it must never panic and must report something sound.
func FuzzDigest(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(corpusDir, "*", "bucket", "ct", "AWSLogs", "*", "CloudTrail-Digest", "us-east-1", "2026", "03", "10", "*_20260310T0[78]*.json.gz"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b, false)
			if plain, err := digesttest.FirstMember(b); err == nil {
				f.Add(plain, true)
			}
		}
	}
	if b, err := os.ReadFile(elasticDigest); err == nil {
		f.Add(b, true)
	}
	f.Add([]byte(`{"logFiles":[{}]}`), true)
	keys := loadKeys(f)
	const key = "ct/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/10/111122223333_CloudTrail-Digest_us-east-1_org-audit_trail.v2_us-east-1_20260310T074107Z.json.gz"
	log := digesttest.Gzip([]byte(`{"Records":[]}`))
	f.Fuzz(func(t *testing.T, b []byte, gz bool) {
		if gz {
			b = digesttest.Gzip(b)
		}
		objs := []digest.Object{
			bytesObject(key, evidence.KindCloudTrailDigest, b, map[string]string{"signature": strings.Repeat("ab", 256)}),
			bytesObject("ct/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/10/111122223333_CloudTrail_us-east-1_20260310T0656Z_mKdRnNnlIpCqLb0y.json.gz", evidence.KindCloudTrail, log, nil),
		}
		r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if r.Valid != (len(r.Problems) == 0) || r.DigestsChecked > 1 {
			t.Fatalf("inconsistent result %+v", r)
		}
		for _, p := range r.Problems {
			if digest.Meaning(p.Kind) == "" || p.Object == "" || p.Detail == "" {
				t.Fatalf("bad finding %+v", p)
			}
		}
	})
}

// FuzzParseKeyFile: never panic; every key returned is usable and its
// fingerprint is the MD5 of its bytes.
func FuzzParseKeyFile(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(corpusDir, "public-keys.json")); err == nil {
		f.Add(b)
		f.Add(bytes.Replace(b, []byte(`"20`), []byte(`17`), 1))
	}
	f.Add([]byte(`{"PublicKeyList":[{"Value":"AA==","ValidityStartTime":1e300}]}`))
	f.Add([]byte(`{"PublicKeyList":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := digest.ParseKeyFile(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, k := range keys {
			if _, err := digest.ParsePublicKey(k.Value); err != nil || k.Fingerprint != digest.Fingerprint(k.Value) {
				t.Fatalf("key %+v: %v", k, err)
			}
		}
	})
}
