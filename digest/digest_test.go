package digest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

// The aws-cli test vector for the string to sign.
func TestStringToSign(t *testing.T) {
	got := digest.StringToSign("a", "b", "c", sha256.Sum256([]byte("abc")), "")
	want := "a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	got = digest.StringToSign("a", "b", "c", sha256.Sum256([]byte("abc")), "00ff")
	if !strings.HasSuffix(got, "\n00ff") {
		t.Errorf("previous signature not last: %q", got)
	}
}

func bytesObject(key, kind string, b []byte, meta map[string]string) digest.Object {
	return digest.Object{Key: key, Kind: kind, Metadata: meta, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

func findings(r *digest.Result) []expectFinder {
	var out []expectFinder
	for _, p := range r.Problems {
		out = append(out, expectFinder{p.Kind, p.Object})
	}
	sortFindings(out)
	return out
}

const elasticDigest = "../../shared/samples/elastic-integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-cloudtrail-digest-json.log"

// The elastic sample is a real digest (decompressed) whose
// previousDigestHashValue has 63 characters. It is read in place.
func TestElasticSample(t *testing.T) {
	b, err := os.ReadFile(elasticDigest)
	if os.IsNotExist(err) {
		t.Skip("samples folder absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	const key = "AWSLogs/123456789123/CloudTrail-Digest/us-west-2/2020/09/11/123456789123_CloudTrail-Digest_us-west-2_leh-ct-test_us-west-2_20200911T193649Z.json.gz"
	logs := []string{
		"AWSLogs/123456789123/CloudTrail/us-west-2/2020/09/11/123456789123_CloudTrail_us-west-2_20200911T1835Z_OPJhVNodH1gY760s.json.gz",
		"AWSLogs/123456789123/CloudTrail/us-west-2/2020/09/11/123456789123_CloudTrail_us-west-2_20200911T1915Z_TIKlbLnJ6IwUxqxw.json.gz",
		"AWSLogs/123456789123/CloudTrail/us-west-2/2020/09/11/123456789123_CloudTrail_us-west-2_20200911T1930Z_l2pGqVS53QcGdAkp.json.gz",
	}
	for _, tt := range []struct {
		name string
		obj  digest.Object
		want []expectFinder
	}{
		{"where it says", bytesObject(key, evidence.KindCloudTrailDigest, b, nil), []expectFinder{
			{digest.LogMissing, logs[0]}, {digest.LogMissing, logs[1]}, {digest.LogMissing, logs[2]}, {digest.DigestInvalid, key}}},
		{"as found", bytesObject("test-cloudtrail-digest-json.log", evidence.KindCloudTrailDigest, b, nil), []expectFinder{
			{digest.LogMissing, logs[0]}, {digest.LogMissing, logs[1]}, {digest.LogMissing, logs[2]},
			{digest.DigestInvalid, "test-cloudtrail-digest-json.log"}, {digest.DigestMoved, "test-cloudtrail-digest-json.log"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := digest.Verify(context.Background(), []digest.Object{tt.obj}, digest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sortFindings(tt.want)
			if got := findings(r); !slices.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
			for _, p := range r.Problems {
				if p.Kind == digest.DigestInvalid && !strings.Contains(p.Detail, "previousDigestHashValue") && !strings.Contains(p.Detail, "63 characters") {
					t.Errorf("detail %q does not name the short hash", p.Detail)
				}
			}
			if r.Valid || r.DigestsChecked != 1 || len(r.Chains) != 1 || r.Chains[0].Trail != "leh-ct-test" || r.Chains[0].Logs != 3 {
				t.Errorf("result %+v", r)
			}
		})
	}
}

func TestParseKeyFile(t *testing.T) {
	key := testKey(t, "test-key.pem")
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	b64 := base64.StdEncoding.EncodeToString
	fp := digest.Fingerprint(der)
	tests := []struct {
		name, in string
		fp       string
		start    time.Time
		err      string
	}{
		{"cli v2 iso", `{"PublicKeyList":[{"Value":"` + b64(der) + `","ValidityStartTime":"2026-01-01T00:00:00+00:00","ValidityEndTime":"2026-02-01T00:00:00+00:00","Fingerprint":"` + fp + `"}]}`, fp, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"cli v1 epoch", `{"PublicKeyList":[{"Value":"` + b64(der) + `","ValidityStartTime":1767225600.0,"ValidityEndTime":1769904000.0,"Fingerprint":"` + strings.ToUpper(fp) + `"}]}`, fp, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"spki value", `{"PublicKeyList":[{"Value":"` + b64(spki) + `"}]}`, digest.Fingerprint(spki), time.Time{}, ""},
		{"wrong fingerprint", `{"PublicKeyList":[{"Value":"` + b64(der) + `","Fingerprint":"00112233445566778899aabbccddeeff"}]}`, "", time.Time{}, `PublicKeyList[0]: Fingerprint "00112233445566778899aabbccddeeff" does not match the key`},
		{"not base64", `{"PublicKeyList":[{"Value":"%%%"}]}`, "", time.Time{}, "PublicKeyList[0]: Value is not base64"},
		{"not a key", `{"PublicKeyList":[{"Value":"` + b64([]byte("hello")) + `"}]}`, "", time.Time{}, "PublicKeyList[0]: Value: not a DER RSA public key"},
		{"ec key", `{"PublicKeyList":[{"Value":"` + b64(ecDER) + `"}]}`, "", time.Time{}, "PublicKeyList[0]: Value: a *ecdsa.PublicKey, not an RSA public key"},
		{"bad time", `{"PublicKeyList":[{"Value":"` + b64(der) + `","ValidityStartTime":"yesterday"}]}`, "", time.Time{}, `PublicKeyList[0]: ValidityStartTime: unrecognised time "yesterday"`},
		{"wrong shape", `[{"Value":"x"}]`, "", time.Time{}, "not the JSON of aws cloudtrail list-public-keys"},
		{"no list", `{"Keys":[]}`, "", time.Time{}, `no "PublicKeyList"`},
		{"empty list", `{"PublicKeyList":[]}`, "", time.Time{}, "no public keys in the file"},
		{"no value", `{"PublicKeyList":[{}]}`, "", time.Time{}, `PublicKeyList[0]: no "Value"`},
		{"not json", `PublicKeyList`, "", time.Time{}, "not the JSON of aws cloudtrail list-public-keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := digest.ParseKeyFile(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0].Fingerprint != tt.fp || !keys[0].Start.Equal(tt.start) {
				t.Errorf("got %+v", keys)
			}
		})
	}
}

func TestWriteKeyFileRoundTrip(t *testing.T) {
	key := testKey(t, "test-key.pem")
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	in := []evidence.PublicKey{{Fingerprint: digest.Fingerprint(der), Value: der,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}}
	var b bytes.Buffer
	if err := digest.WriteKeyFile(&b, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"ValidityStartTime": "2026-01-01T00:00:00+00:00"`) {
		t.Errorf("not the aws CLI shape:\n%s", b.String())
	}
	out, err := digest.ParseKeyFile(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Fingerprint != in[0].Fingerprint || !bytes.Equal(out[0].Value, der) || !out[0].End.Equal(in[0].End) {
		t.Errorf("round trip: %+v", out)
	}
	// The generator's key file agrees.
	gen, err := digest.ParseKeyFile(bytes.NewReader(digesttest.KeyFile(in[0].Start, in[0].End, &key.PublicKey)))
	if err != nil || gen[0].Fingerprint != digesttest.KeyFingerprint(&key.PublicKey) || gen[0].Fingerprint != in[0].Fingerprint {
		t.Errorf("generator key file: %+v %v", gen, err)
	}
}

// Bad digests give findings, never a panic or an error.
func TestBadDigests(t *testing.T) {
	const key = "AWSLogs/1/CloudTrail-Digest/r/2026/01/01/1_CloudTrail-Digest_r_t_r_20260101T010000Z.json.gz"
	good := `{"awsAccountId":"1","digestStartTime":"2026-01-01T00:00:00Z","digestEndTime":"2026-01-01T01:00:00Z","digestS3Bucket":"b","digestS3Object":"` + key + `","digestPublicKeyFingerprint":"aa","digestSignatureAlgorithm":"SHA256withRSA","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}`
	tests := []struct {
		name   string
		body   []byte
		meta   map[string]string
		want   []finding.Kind
		detail string
	}{
		{"not gzip, not json", []byte("PK\x03\x04 zip"), nil, []finding.Kind{digest.DigestInvalid}, "invalid JSON"},

		{"corrupt gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}, nil, []finding.Kind{digest.DigestInvalid}, "cannot read the digest"},
		{"invalid json", digesttest.Gzip([]byte(`{"awsAccountId":`)), nil, []finding.Kind{digest.DigestInvalid}, "line 1: JSON ends early"},
		{"missing fields", digesttest.Gzip([]byte(`{"awsAccountId":"1"}`)), nil, []finding.Kind{digest.DigestInvalid}, "missing required field(s): digestStartTime, digestEndTime, digestS3Bucket, digestS3Object, logFiles"},
		{"wrong type", digesttest.Gzip([]byte(`{"awsAccountId":1}`)), nil, []finding.Kind{digest.DigestInvalid}, "line 1, column 18: json: cannot unmarshal number"},
		{"two documents", digesttest.Gzip([]byte(good + good)), nil, []finding.Kind{digest.DigestInvalid}, "more than one JSON value"},
		{"bad time", digesttest.Gzip([]byte(strings.Replace(good, `"2026-01-01T00:00:00Z"`, `"yesterday"`, 1))), nil, []finding.Kind{digest.DigestInvalid}, `digestStartTime "yesterday"`},
		{"bad log entry", digesttest.Gzip([]byte(strings.Replace(good, `"logFiles":[]`, `"logFiles":[{"s3Bucket":"b","s3Object":"x.json.gz","hashValue":"zz"},{}]`, 1))), nil, []finding.Kind{digest.DigestInvalid, digest.DigestInvalid, digest.LogMissing}, "logFiles[0] (x.json.gz): hashValue"},
		{"signature not hex", digesttest.Gzip([]byte(good)), map[string]string{"signature": "xyz"}, []finding.Kind{digest.PublicKeyUnknown}, "fingerprint aa"},
		{"trailing data", append(digesttest.Gzip([]byte(good)), 0), nil, []finding.Kind{digest.TrailingData}, "1 bytes after the first gzip member"},
		{"other algorithm", digesttest.Gzip([]byte(strings.Replace(good, "SHA256withRSA", "SHA1withRSA", 1))), map[string]string{"signature": "00"}, []finding.Kind{digest.SignatureInvalid}, `"SHA1withRSA"`},
		{"partly null", digesttest.Gzip([]byte(strings.Replace(good, `"previousDigestS3Bucket":null`, `"previousDigestS3Bucket":"b"`, 1))), nil, []finding.Kind{digest.DigestInvalid}, "partly null"},
	}
	other := testKey(t, "test-key.pem")
	der := x509.MarshalPKCS1PublicKey(&other.PublicKey)
	keys := []evidence.PublicKey{{Fingerprint: digest.Fingerprint(der), Value: der}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := digest.Verify(context.Background(), []digest.Object{bytesObject(key, evidence.KindCloudTrailDigest, tt.body, tt.meta)}, digest.Options{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []finding.Kind
			found := false
			for _, p := range r.Problems {
				kinds = append(kinds, p.Kind)
				found = found || strings.Contains(p.Detail, tt.detail)
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, tt.want) || !found || r.Valid {
				t.Errorf("got %+v, want kinds %v with detail %q", r.Problems, tt.want, tt.detail)
			}
		})
	}
}

func TestNoDigests(t *testing.T) {
	r, err := digest.Verify(context.Background(), nil, digest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Valid || len(r.Chains) != 0 || len(r.Notices) != 1 || !strings.Contains(r.Notices[0], "no CloudTrail digest files") {
		t.Errorf("%+v", r)
	}
	b, _ := json.Marshal(r)
	for _, f := range []string{`"valid":true`, `"chains":[]`, `"digests_checked":0`, `"logs_checked":0`, `"signatures_verified":0`, `"problems":[]`} {
		if !bytes.Contains(b, []byte(f)) {
			t.Errorf("JSON lacks %s: %s", f, b)
		}
	}
}

type errObject struct{}

func TestReadError(t *testing.T) {
	o := digest.Object{Key: "AWSLogs/1/CloudTrail-Digest/r/2026/01/01/1_CloudTrail-Digest_r_t_r_20260101T010000Z.json.gz", Kind: evidence.KindCloudTrailDigest,
		Open: func() (io.ReadCloser, error) { return nil, os.ErrPermission }}
	_, err := digest.Verify(context.Background(), []digest.Object{o}, digest.Options{})
	if err == nil || !strings.Contains(err.Error(), `read "AWSLogs/1/`) || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := digest.Verify(ctx, loadDir(t, filepath.Join(corpusDir, "intact", "bucket")), digest.Options{})
	if err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
}

// The range limits which digests and logs are checked.
func TestRange(t *testing.T) {
	objs := loadDir(t, filepath.Join(corpusDir, "log-modified", "bucket"))
	keys := loadKeys(t)
	from := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: keys, From: from})
	if err != nil {
		t.Fatal(err)
	}
	// Hour 2 (07:41-08:41) with the modified log is outside the range.
	if !r.Valid || r.DigestsChecked != 5 || r.Chains[0].Start != time.Date(2026, 3, 10, 8, 41, 7, 0, time.UTC) {
		t.Errorf("from %s: valid=%v digests=%d chains=%+v problems=%+v", from, r.Valid, r.DigestsChecked, r.Chains, r.Problems)
	}
	r, err = digest.Verify(context.Background(), objs, digest.Options{Keys: keys, To: from})
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid || r.DigestsChecked != 4 || len(r.Problems) != 1 || r.Problems[0].Kind != digest.LogHashMismatch {
		t.Errorf("to %s: valid=%v digests=%d problems=%+v", from, r.Valid, r.DigestsChecked, r.Problems)
	}
}

// Without keys nothing is signature-verified; that is a notice, or a
// problem with RequireSignatures.
func TestNoKeys(t *testing.T) {
	objs := loadDir(t, filepath.Join(corpusDir, "log-deleted", "bucket"))
	r, err := digest.Verify(context.Background(), objs, digest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.SignaturesVerified != 0 || len(r.Problems) != 1 || !slices.ContainsFunc(r.Notices, func(s string) bool { return strings.Contains(s, "no public keys given") }) {
		t.Errorf("%+v", r)
	}
	r, err = digest.Verify(context.Background(), objs, digest.Options{RequireSignatures: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range r.Problems {
		if p.Kind == digest.PublicKeyUnknown {
			n++
		}
	}
	if n != 8 {
		t.Errorf("%d PUBLIC_KEY_UNKNOWN, want 8: %+v", n, r.Problems)
	}
}

// A digest acquired twice (same bytes) counts once; a log acquired twice
// is hashed twice and a changed copy is reported with its item.
func TestDuplicates(t *testing.T) {
	objs := loadDir(t, filepath.Join(corpusDir, "intact", "bucket"))
	var extra []digest.Object
	for i, o := range objs {
		objs[i].Item = uint64(i + 1)
		if o.Kind == evidence.KindCloudTrailDigest && strings.Contains(o.Key, "us-west-2") {
			c := o
			c.Key = "copy/" + o.Key
			c.Metadata = nil
			c.Item = 1000
			extra = append(extra, c)
		}
	}
	var log digest.Object
	for _, o := range objs {
		if o.Kind == evidence.KindCloudTrail {
			log = o
			break
		}
	}
	log.Item = 2000
	log.Key = "other/" + log.Key
	log.Open = func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(digesttest.Gzip([]byte(`{"Records":[]}`)))), nil
	}
	objs = append(append(objs, extra...), log)
	r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	if r.DigestsChecked != 55+6 || len(r.Chains) != 3 || len(r.Problems) != 1 || r.Problems[0].Kind != digest.LogHashMismatch || r.Problems[0].Item != 2000 {
		t.Errorf("digests=%d chains=%d problems=%+v", r.DigestsChecked, len(r.Chains), r.Problems)
	}
	for _, c := range r.Chains {
		if c.Region == "us-west-2" && (c.Digests != 6 || c.SignaturesVerified != 6) {
			t.Errorf("duplicated chain %+v", c)
		}
	}
}

func TestIntactSummary(t *testing.T) {
	r, err := digest.Verify(context.Background(), loadDir(t, filepath.Join(corpusDir, "intact", "bucket")), digest.Options{Keys: loadKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Valid || len(r.Notices) != 0 || len(r.Chains) != 3 {
		t.Fatalf("%+v", r)
	}
	want := []digest.ChainSummary{
		{Account: testAccount, Region: "us-east-1", Trail: testTrail, HomeRegion: "us-east-1", Bucket: testBucket,
			Start: time.Date(2026, 3, 2, 0, 36, 49, 0, time.UTC), End: time.Date(2026, 3, 4, 0, 36, 49, 0, time.UTC),
			First:   "ct/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_org-audit_trail.v2_us-east-1_20260302T013649Z.json.gz",
			Last:    "ct/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/04/111122223333_CloudTrail-Digest_us-east-1_org-audit_trail.v2_us-east-1_20260304T003649Z.json.gz",
			Digests: 48, EmptyDigests: 9, Logs: 59, SignaturesVerified: 48},
		{Account: testAccount, Region: "us-east-1", Trail: testTrail, HomeRegion: "us-east-1", Backfill: true, Bucket: testBucket,
			Start: time.Date(2026, 3, 3, 5, 36, 49, 0, time.UTC), End: time.Date(2026, 3, 3, 6, 36, 49, 0, time.UTC),
			First:   "ct/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/03/111122223333_CloudTrail-Digest_us-east-1_org-audit_trail.v2_us-east-1_20260303T063649Z_backfill.json.gz",
			Last:    "ct/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/03/111122223333_CloudTrail-Digest_us-east-1_org-audit_trail.v2_us-east-1_20260303T063649Z_backfill.json.gz",
			Digests: 1, Logs: 1, SignaturesVerified: 1},
		{Account: testAccount, Region: "us-west-2", Trail: testTrail, HomeRegion: "us-east-1", Bucket: testBucket,
			Start: time.Date(2026, 3, 2, 0, 36, 56, 0, time.UTC), End: time.Date(2026, 3, 2, 6, 36, 56, 0, time.UTC),
			First:   "ct/AWSLogs/111122223333/CloudTrail-Digest/us-west-2/2026/03/02/111122223333_CloudTrail-Digest_us-west-2_org-audit_trail.v2_us-east-1_20260302T013656Z.json.gz",
			Last:    "ct/AWSLogs/111122223333/CloudTrail-Digest/us-west-2/2026/03/02/111122223333_CloudTrail-Digest_us-west-2_org-audit_trail.v2_us-east-1_20260302T063656Z.json.gz",
			Digests: 6, EmptyDigests: 5, Logs: 1, SignaturesVerified: 6},
	}
	for i := range want {
		if i >= len(r.Chains) || r.Chains[i] != want[i] {
			t.Errorf("chain %d:\n got %+v\nwant %+v", i, r.Chains[i], want[i])
		}
	}
	if r.LogsChecked != 61 || r.SignaturesVerified != 55 || r.DigestsChecked != 55 {
		t.Errorf("logs=%d signatures=%d digests=%d", r.LogsChecked, r.SignaturesVerified, r.DigestsChecked)
	}
}

// Chains built here show how Verify reads organization trails, restarts,
// time gaps and the start of the acquired period.
func TestChainShapes(t *testing.T) {
	key := testKey(t, "test-key.pem")
	keys := loadKeys(t)
	build := func(edit func(c *digesttest.Chain, h int)) *digesttest.Chain {
		c := digesttest.NewChain(key, testAccount, "eu-west-1", "t", testBucket, "")
		c.Start = time.Date(2026, 3, 10, 5, 41, 7, 0, time.UTC)
		for h := range 5 {
			if edit != nil {
				edit(c, h)
			}
			at := c.Start.Add(time.Duration(h)*time.Hour + 20*time.Minute)
			l, err := c.NewRecordsLog(at, records(at, 1, "192.0.2.1"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.AddDigest(l); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	objects := func(files map[string][]byte) []digest.Object {
		var objs []digest.Object
		for k, b := range files {
			if strings.HasSuffix(k, digesttest.SidecarSuffix) {
				continue
			}
			var meta map[string]string
			if sc, ok := files[k+digesttest.SidecarSuffix]; ok {
				var h struct{ Metadata map[string]string }
				json.Unmarshal(sc, &h)
				meta = h.Metadata
			}
			kind := evidence.KindCloudTrail
			if strings.Contains(k, "CloudTrail-Digest/") {
				kind = evidence.KindCloudTrailDigest
			}
			objs = append(objs, bytesObject(k, kind, b, meta))
		}
		return objs
	}
	t.Run("organization trail", func(t *testing.T) {
		c := build(func(c *digesttest.Chain, h int) { c.Org = "o-a1b2c3d4e5" })
		r, err := digest.Verify(context.Background(), objects(c.Files()), digest.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Valid || len(r.Chains) != 1 || r.Chains[0].Organization != "o-a1b2c3d4e5" || r.SignaturesVerified != 5 || r.LogsChecked != 5 {
			t.Errorf("%+v", r)
		}
		if !strings.HasPrefix(c.Digests[0].Key, "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/") {
			t.Errorf("key %s", c.Digests[0].Key)
		}
	})
	t.Run("restart", func(t *testing.T) {
		c := build(func(c *digesttest.Chain, h int) {
			if h == 3 {
				c.Skip(2)
			}
		})
		r, err := digest.Verify(context.Background(), objects(c.Files()), digest.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Valid || r.SignaturesVerified != 5 || !slices.ContainsFunc(r.Notices, func(s string) bool { return strings.Contains(s, "starts a new chain") }) {
			t.Errorf("%+v", r)
		}
		if len(r.Gaps) != 1 || r.Gaps[0].Reason != digest.GapRestarted || r.Gaps[0].Hours <= 0 || !strings.Contains(r.Summary(), ": valid; 1 gap of ") {
			t.Errorf("gaps %+v, summary %q", r.Gaps, r.Summary())
		}
	})
	t.Run("time gap between linked digests", func(t *testing.T) {
		c := build(nil)
		c2 := digesttest.NewChain(key, testAccount, "eu-west-1", "t", testBucket, "")
		c2.Start = c.Start
		c2.Edit = func(d *digesttest.Digest, f *digesttest.Fields) {
			if d.End.Equal(c.Digests[3].End) {
				s := d.Start.Add(30 * time.Minute).Format(time.RFC3339)
				f.DigestStartTime = s
			}
		}
		for h := range 5 {
			if _, err := c2.AddDigest(c.Digests[h].Logs...); err != nil {
				t.Fatal(err)
			}
		}
		files := c.Files()
		maps(files, c2.Files())
		r, err := digest.Verify(context.Background(), objects(files), digest.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		want := []expectFinder{{digest.DigestMissing, c2.Digests[3].Key}}
		if got := findings(r); !slices.Equal(got, want) || !strings.Contains(r.Problems[0].Detail, "no digest covers deliveries from 2026-03-10T08:41:07Z to 2026-03-10T09:11:07Z") {
			t.Errorf("got %+v", r.Problems)
		}
		if len(r.Gaps) != 1 || r.Gaps[0].Reason != digest.GapMissing || r.Gaps[0].Hours != 0.5 || r.Gaps[0].Before != c2.Digests[3].Key {
			t.Errorf("gaps %+v", r.Gaps)
		}
	})
	t.Run("deleted digests leave a gap", func(t *testing.T) {
		c := build(nil)
		files := c.Files()
		delete(files, c.Digests[1].Key)
		delete(files, c.Digests[2].Key)
		r, err := digest.Verify(context.Background(), objects(files), digest.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Gaps) != 1 {
			t.Fatalf("gaps %+v", r.Gaps)
		}
		g := r.Gaps[0]
		if g.Reason != digest.GapMissing || !g.From.Equal(c.Digests[0].End) || g.After != c.Digests[0].Key || g.Before != c.Digests[3].Key ||
			g.To.Sub(c.Digests[2].End).Abs() > 15*time.Minute || g.Account != testAccount {
			t.Errorf("gap %+v; digests end %s, %s", g, c.Digests[0].End, c.Digests[2].End)
		}
		if s := r.Summary(); !strings.Contains(s, "problems found; 1 gap of ") || !strings.HasSuffix(s, ", "+digest.GapMissing) {
			t.Errorf("summary %q", s)
		}
	})
	t.Run("acquired period starts mid-chain", func(t *testing.T) {
		c := build(nil)
		files := c.Files()
		delete(files, c.Digests[0].Key)
		delete(files, c.Digests[0].Logs[0].Key)
		r, err := digest.Verify(context.Background(), objects(files), digest.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Valid || r.DigestsChecked != 4 || !slices.ContainsFunc(r.Notices, func(s string) bool { return strings.Contains(s, "is the oldest digest of its chain in the evidence") }) {
			t.Errorf("%+v", r)
		}
	})
}
