package digesttest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func TestChain(t *testing.T) {
	b, err := os.ReadFile("../testdata/test-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseKey(b)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChain(key, "111122223333", "us-east-1", "my_trail", "bkt", "/p/")
	c.Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l, err := c.NewRecordsLog(c.Start.Add(10*time.Minute), []byte(`{"Records":[{"eventTime":"2026-01-02T03:01:00Z"},{"eventTime":"2026-01-02T03:09:00Z"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d1, err := c.AddDigest(l)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := c.AddDigest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.Key, "p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0314Z_") || len(l.Key) != len("p/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0314Z_")+16+len(".json.gz") {
		t.Errorf("log key %s", l.Key)
	}
	if d2.Key != "p/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/111122223333_CloudTrail-Digest_us-east-1_my_trail_us-east-1_20260102T050405Z.json.gz" {
		t.Errorf("digest key %s", d2.Key)
	}
	if bytes.Contains(d1.JSON, []byte("/")) && !bytes.Contains(d1.JSON, []byte(`\/`)) || bytes.Contains(bytes.ReplaceAll(d1.JSON, []byte(`\/`), nil), []byte("/")) {
		t.Errorf("slashes not escaped: %s", d1.JSON)
	}
	var f Fields
	if err := json.Unmarshal(d2.JSON, &f); err != nil {
		t.Fatal(err)
	}
	sum1 := sha256.Sum256(d1.JSON)
	if *f.PreviousDigestS3Object != d1.Key || *f.PreviousDigestHashValue != hex.EncodeToString(sum1[:]) || *f.PreviousDigestSignature != d1.Signature || f.NewestEventTime != nil {
		t.Errorf("link %+v", f)
	}
	var f1 Fields
	json.Unmarshal(d1.JSON, &f1)
	if *f1.OldestEventTime != "2026-01-02T03:01:00Z" || *f1.NewestEventTime != "2026-01-02T03:09:00Z" || f1.PreviousDigestS3Object != nil {
		t.Errorf("first digest %+v", f1)
	}
	// The signature verifies over the documented string to sign.
	sum2 := sha256.Sum256(d2.JSON)
	text := "2026-01-02T05:04:05Z\nbkt/" + d2.Key + "\n" + hex.EncodeToString(sum2[:]) + "\n" + d1.Signature
	h := sha256.Sum256([]byte(text))
	sig, _ := hex.DecodeString(d2.Signature)
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, h[:], sig); err != nil {
		t.Error(err)
	}
	files := c.Files()
	if len(files) != 5 || !bytes.Contains(files[d2.Key+SidecarSuffix], []byte(`"signature": "`+d2.Signature+`"`)) {
		t.Errorf("%d files; sidecar %s", len(files), files[d2.Key+SidecarSuffix])
	}
}
