package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest/digesttest"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{3, 1, 2}, 2},
		{[]time.Duration{9}, 9},
		{[]time.Duration{4, 1, 3, 2}, 2}, // (2+3)/2 in integer nanoseconds
		{[]time.Duration{10, 30}, 20},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

const validateOK = `Validating log files for trail arn:aws:cloudtrail:us-east-1:111122223333:trail/t between 2024-05-01T00:00:00Z and 2024-05-08T00:00:00Z

Results requested for 2024-05-01T00:00:00Z to 2024-05-08T00:00:00Z
Results found for 2024-05-01T00:00:00Z to 2024-05-08T00:00:00Z:

168/168 digest files valid
2016/2016 log files valid
`

func TestCheckValidateLogs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		r       execResult
		digests int
		logs    int
		wantErr string
	}{
		{"all valid", execResult{stdout: []byte(validateOK)}, 168, 2016, ""},
		{"fewer digests than built", execResult{stdout: []byte(validateOK)}, 169, 2016, "want 169/169 digest files valid"},
		{"fewer logs than built", execResult{stdout: []byte(validateOK)}, 168, 2017, "want 2017/2017 log files valid"},
		{"exit 1", execResult{code: 1, stdout: []byte(validateOK)}, 168, 2016, "exit 1"},
		{"invalid log on stderr", execResult{stdout: []byte(validateOK), stderr: []byte("Log file\ts3://b/k\tINVALID: hash value doesn't match\n")}, 168, 2016, "not all valid"},
		{"partly invalid", execResult{stdout: []byte(strings.Replace(validateOK, "2016/2016 log files valid", "2015/2016 log files valid, 1/2016 log files INVALID", 1))}, 168, 2016, "not all valid"},
		{"no digests found", execResult{stdout: []byte("Results requested for x to y\nNo digests found\n")}, 168, 2016, "want 168/168 digest files valid"},
		{"empty digests need no log line", execResult{stdout: []byte("\n3/3 digest files valid\n")}, 3, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkValidateLogs(tc.r, tc.digests, tc.logs)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckDigestVerify(t *testing.T) {
	ok := `{"valid": true, "chains": [], "digests_checked": 4, "logs_checked": 8, "signatures_verified": 4, "problems": []}`
	for _, tc := range []struct {
		name, out string
		code      int
		wantErr   string
	}{
		{"valid", ok, 0, ""},
		{"not JSON", "digests 4, logs 8", 0, "not JSON"},
		{"invalid", strings.Replace(ok, `"valid": true`, `"valid": false`, 1), 3, "valid=false"},
		{"unsigned", strings.Replace(ok, `"signatures_verified": 4`, `"signatures_verified": 0`, 1), 0, "signatures 0/4"},
		{"logs missed", strings.Replace(ok, `"logs_checked": 8`, `"logs_checked": 7`, 1), 0, "logs 7/8"},
		{"problem", strings.Replace(ok, `"problems": []`, `"problems": [{"kind":"LOG_MISSING"}]`, 1), 0, "1 problems"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkDigestVerify(execResult{code: tc.code, stdout: []byte(tc.out)}, 4, 8)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	return k
}()

func TestBuildChain(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	o := digestOpts{hours: 3, logsPerHour: 4, eventsPerLog: 5, bucket: "b", trail: "t", seed: 1}
	c, inflated, events, err := buildChain(o, testKey, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Digests) != 3 || len(c.Logs) != 12 || events != 60 {
		t.Fatalf("%d digests, %d logs, %d events; want 3, 12, 60", len(c.Digests), len(c.Logs), events)
	}
	var sum int64
	for i, d := range c.Digests {
		if want := t0.Add(time.Duration(i) * time.Hour); !d.Start.Equal(want) || !d.End.Equal(want.Add(time.Hour)) {
			t.Errorf("digest %d covers %s–%s, want %s–%s", i, d.Start, d.End, want, want.Add(time.Hour))
		}
		if len(d.Logs) != 4 {
			t.Errorf("digest %d lists %d logs, want 4", i, len(d.Logs))
		}
		for _, l := range d.Logs {
			if l.Delivered.Before(d.Start) || !l.Delivered.Before(d.End) {
				t.Errorf("digest %d (%s–%s) lists %s delivered %s", i, d.Start, d.End, l.Key, l.Delivered)
			}
			plain, err := digesttest.FirstMember(l.Body)
			if err != nil {
				t.Fatal(err)
			}
			sum += int64(len(plain))
			var doc struct{ Records []json.RawMessage }
			if err := json.Unmarshal(plain, &doc); err != nil || len(doc.Records) != 5 {
				t.Errorf("%s: %d records, err %v; want 5", l.Key, len(doc.Records), err)
			}
		}
		if d.Signature == "" || !strings.HasPrefix(d.Key, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_") {
			t.Errorf("digest %d: key %q, signature %q", i, d.Key, d.Signature)
		}
	}
	if sum != inflated {
		t.Errorf("inflated = %d, want %d", inflated, sum)
	}
}

func TestCloudTrailStub(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	o := digestOpts{hours: 2, bucket: "bkt", prefix: "pre", trail: "t"}
	arn := "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"
	s, err := startCloudTrailStub(o, arn, testKey, t0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	call := func(target string) (int, []byte) {
		req, _ := http.NewRequest("POST", s.url+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	code, b := call("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails")
	var trails struct {
		TrailList []struct{ Name, S3BucketName, S3KeyPrefix, TrailARN, HomeRegion string } `json:"trailList"`
	}
	if err := json.Unmarshal(b, &trails); code != 200 || err != nil || len(trails.TrailList) != 1 {
		t.Fatalf("DescribeTrails: %d %s (%v)", code, b, err)
	}
	if tr := trails.TrailList[0]; tr.Name != "t" || tr.S3BucketName != "bkt" || tr.S3KeyPrefix != "pre" || tr.TrailARN != arn || tr.HomeRegion != "us-east-1" {
		t.Errorf("DescribeTrails trail = %+v", tr)
	}

	code, b = call("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys")
	var keys struct {
		PublicKeyList []struct {
			Value                              string
			ValidityStartTime, ValidityEndTime int64
			Fingerprint                        string
		}
	}
	if err := json.Unmarshal(b, &keys); code != 200 || err != nil || len(keys.PublicKeyList) != 1 {
		t.Fatalf("ListPublicKeys: %d %s (%v)", code, b, err)
	}
	k := keys.PublicKeyList[0]
	der, err := base64.StdEncoding.DecodeString(k.Value)
	if err != nil {
		t.Fatalf("Value is not base64: %v", err)
	}
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil || !pub.Equal(&testKey.PublicKey) {
		t.Fatalf("Value is not the test key's PKCS#1 DER: %v", err)
	}
	if k.Fingerprint != digesttest.KeyFingerprint(&testKey.PublicKey) {
		t.Errorf("Fingerprint = %s, want %s", k.Fingerprint, digesttest.KeyFingerprint(&testKey.PublicKey))
	}
	if k.ValidityStartTime != t0.Add(-24*time.Hour).Unix() || k.ValidityEndTime != t0.Add(26*time.Hour).Unix() {
		t.Errorf("validity %d–%d", k.ValidityStartTime, k.ValidityEndTime)
	}

	code, b = call("AWSOrganizationsV20161128.DescribeOrganization")
	if code != 400 || !strings.Contains(string(b), "UnknownOperationException") {
		t.Errorf("unknown operation: %d %s", code, b)
	}
	if got, want := s.calls(), "DescribeOrganization=1 DescribeTrails=1 ListPublicKeys=1"; got != want {
		t.Errorf("calls() = %q, want %q", got, want)
	}
}

func TestSummarizeKeepsRounds(t *testing.T) {
	a := []result{{name: "x", wall: 6 * time.Second, maxRSS: 10}, {name: "x", wall: 4 * time.Second, maxRSS: 30}, {name: "x", wall: 5 * time.Second, maxRSS: 20}}
	b := []result{{wall: 20 * time.Second}, {wall: 40 * time.Second}, {wall: 25 * time.Second}}
	m := summarize(a)
	if m.wall != 5*time.Second || m.maxRSS != 30 {
		t.Fatalf("summary %+v, want 5s and the highest RSS", m)
	}
	got := roundRatios(a, b)
	want := []float64{0.3, 0.1, 0.2}
	for i := range want {
		if got[i] < want[i]-1e-9 || got[i] > want[i]+1e-9 {
			t.Fatalf("ratios %v, want %v: rounds must stay paired", got, want)
		}
	}
}
