package s3_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/objectlock"
	"github.com/trailcase/trailcase/evidence/s3"
)

// fakeS3 answers S3 requests (path-style) for one bucket with AWS XML,
// with faults injected per key.
type fakeS3 struct {
	mu       sync.Mutex
	bucket   string
	objects  map[string]string // key -> body
	lock     bool              // bucket has Object Lock
	retained map[string]string // key -> retention mode (COMPLIANCE…)
	holds    map[string]string // key -> ON/OFF
	// faults
	denied      map[string]bool   // HEAD/GET refused
	gone        map[string]bool   // listed, but deleted before HEAD
	slowDowns   map[string]int    // GETs answered 503 SlowDown before success
	corrupt     map[string]bool   // GET body differs from the ETag
	retDenied   map[string]bool   // GetObjectRetention refused
	ret500      map[string]bool   // GetObjectRetention answers HTTP 500 (as moto does)
	badCreds    bool              // everything: InvalidAccessKeyId
	lockDenied  bool              // GetObjectLockConfiguration refused
	requests    map[string]int    // "METHOD key" -> count
	extraHeader map[string]string // key -> header values
	// versioning is the bucket's versioning status when not "" (else
	// Enabled with lock, none without).
	versioning     string
	versionsDenied bool              // ListObjectVersions refused: ListObjectsV2 is used
	unversioned    bool              // no version ids: "null" in listings, no x-amz-version-id
	afterList      map[string]string // key -> body it gets once listed
	afterHead      map[string]string // key -> body it gets after a HEAD
	ifMatch        map[string]string // key -> If-Match of its last GET
	lists          int               // listing requests answered
	beforeList     func(n int)       // called, f.mu held, before answering listing request n (from 1)
}

func newFakeS3(bucket string) *fakeS3 {
	return &fakeS3{bucket: bucket, objects: map[string]string{}, retained: map[string]string{}, holds: map[string]string{},
		denied: map[string]bool{}, gone: map[string]bool{}, slowDowns: map[string]int{}, corrupt: map[string]bool{},
		retDenied: map[string]bool{}, ret500: map[string]bool{}, requests: map[string]int{},
		afterList: map[string]string{}, afterHead: map[string]string{}, ifMatch: map[string]string{}}
}

func etagOf(body string) string {
	sum := md5.Sum([]byte(body))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func s3Err(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>R1</RequestId><HostId>H1</HostId></Error>`, code, code)
}

const lastMod = "Wed, 01 May 2024 10:00:00 GMT"

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	f.requests[r.Method+" "+key]++
	if f.badCreds {
		if r.Method == http.MethodHead {
			w.WriteHeader(403)
			return
		}
		s3Err(w, 403, "InvalidAccessKeyId")
		return
	}
	if bucket != f.bucket {
		s3Err(w, 404, "NoSuchBucket")
		return
	}
	if key == "" {
		if q.Has("versions") && !f.versionsDenied || q.Get("list-type") == "2" {
			f.lists++
			if f.beforeList != nil {
				f.beforeList(f.lists)
			}
		}
		switch {
		case r.Method == http.MethodHead:
			w.Header().Set("x-amz-bucket-region", "eu-west-1")
		case q.Has("object-lock"):
			if f.lockDenied {
				s3Err(w, 403, "AccessDenied")
				return
			}
			if !f.lock {
				s3Err(w, 404, "ObjectLockConfigurationNotFoundError")
				return
			}
			fmt.Fprint(w, `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>7</Years></DefaultRetention></Rule></ObjectLockConfiguration>`)
		case q.Has("versioning"):
			if f.versioning != "" {
				fmt.Fprintf(w, `<VersioningConfiguration><Status>%s</Status></VersioningConfiguration>`, f.versioning)
			} else if f.lock {
				fmt.Fprint(w, `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
			} else {
				fmt.Fprint(w, `<VersioningConfiguration/>`)
			}
		case q.Has("versions") && f.versionsDenied:
			s3Err(w, 403, "AccessDenied")
		case q.Get("list-type") == "2":
			keys := make([]string, 0, len(f.objects))
			for k := range f.objects {
				if strings.HasPrefix(k, q.Get("prefix")) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			var b strings.Builder
			fmt.Fprintf(&b, `<ListBucketResult><Name>%s</Name><IsTruncated>false</IsTruncated><KeyCount>%d</KeyCount>`, f.bucket, len(keys))
			for _, k := range keys {
				fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>%s</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`,
					k, etagOf(f.objects[k]), len(f.objects[k]))
			}
			b.WriteString(`</ListBucketResult>`)
			fmt.Fprint(w, b.String())
			f.changeListed(keys)
		case q.Has("versions"):
			keys := make([]string, 0, len(f.objects))
			for k := range f.objects {
				if strings.HasPrefix(k, q.Get("prefix")) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			var b strings.Builder
			fmt.Fprintf(&b, `<ListVersionsResult><Name>%s</Name><IsTruncated>false</IsTruncated>`, f.bucket)
			for _, k := range keys {
				vid := "v-" + strings.ReplaceAll(k, "/", "_")
				if f.unversioned {
					vid = "null"
				}
				fmt.Fprintf(&b, `<Version><Key>%s</Key><VersionId>%s</VersionId><IsLatest>true</IsLatest><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>%s</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Version>`,
					k, vid, etagOf(f.objects[k]), len(f.objects[k]))
			}
			b.WriteString(`</ListVersionsResult>`)
			fmt.Fprint(w, b.String())
			f.changeListed(keys)
		default:
			s3Err(w, 400, "InvalidRequest")
		}
		return
	}
	body, ok := f.objects[key]
	if !ok || f.gone[key] {
		if r.Method == http.MethodHead {
			w.WriteHeader(404)
			return
		}
		s3Err(w, 404, "NoSuchKey")
		return
	}
	if q.Has("retention") {
		switch {
		case !f.lock:
			s3Err(w, 400, "InvalidRequest")
		case f.retDenied[key]:
			s3Err(w, 403, "AccessDenied")
		case f.ret500[key]:
			f.requests["RETENTION "+key]++
			s3Err(w, 500, "InternalError")
		case f.retained[key] != "":
			fmt.Fprintf(w, `<Retention><Mode>%s</Mode><RetainUntilDate>2031-05-01T00:00:00.000Z</RetainUntilDate></Retention>`, f.retained[key])
		default:
			s3Err(w, 404, "NoSuchObjectLockConfiguration")
		}
		return
	}
	if q.Has("legal-hold") {
		switch {
		case !f.lock:
			s3Err(w, 400, "InvalidRequest")
		case f.holds[key] != "":
			fmt.Fprintf(w, `<LegalHold><Status>%s</Status></LegalHold>`, f.holds[key])
		default:
			s3Err(w, 404, "NoSuchObjectLockConfiguration")
		}
		return
	}
	if f.denied[key] {
		if r.Method == http.MethodHead {
			w.WriteHeader(403)
			return
		}
		s3Err(w, 403, "AccessDenied")
		return
	}
	if m := r.Header.Get("If-Match"); m != "" {
		if r.Method == http.MethodGet {
			f.ifMatch[key] = m
		}
		if m != etagOf(body) {
			if r.Method == http.MethodHead {
				w.WriteHeader(412)
				return
			}
			s3Err(w, 412, "PreconditionFailed")
			return
		}
	}
	h := w.Header()
	h.Set("ETag", etagOf(body))
	h.Set("Last-Modified", lastMod)
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if !f.unversioned {
		h.Set("x-amz-version-id", "v-"+strings.ReplaceAll(key, "/", "_"))
	}
	h.Set("x-amz-meta-Signature", "abc123")
	h.Set("x-amz-server-side-encryption", "aws:kms")
	h.Set("x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:eu-west-1:111122223333:key/k1")
	if f.corrupt[key] {
		// SSE-S3: the ETag is the MD5 of the content.
		h.Set("x-amz-server-side-encryption", "AES256")
		h.Del("x-amz-server-side-encryption-aws-kms-key-id")
	}
	if r.Method == http.MethodHead {
		if b, ok := f.afterHead[key]; ok {
			f.objects[key] = b
			delete(f.afterHead, key)
		}
		return
	}
	if f.slowDowns[key] > 0 {
		f.slowDowns[key]--
		s3Err(w, 503, "SlowDown")
		return
	}
	if f.corrupt[key] {
		body = strings.ToUpper(body)
	}
	fmt.Fprint(w, body)
}

// changeListed gives the listed keys named in afterList their new body.
func (f *fakeS3) changeListed(keys []string) {
	for _, k := range keys {
		if b, ok := f.afterList[k]; ok {
			f.objects[k] = b
			delete(f.afterList, k)
		}
	}
}

func (f *fakeS3) count(method, key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[method+" "+key]
}

// fastClient retries quickly, so fault tests take milliseconds.
func fastClient(endpoint string) *awss3.Client {
	return awss3.New(awss3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIATEST", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 4
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		}),
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

func failedPaths(rep *acquire.AcquireReport) map[string]string {
	m := map[string]string{}
	for _, f := range rep.Failed {
		m[f.Path] = f.Error
	}
	return m
}

func TestS3Faults(t *testing.T) {
	f := newFakeS3("logs")
	for _, k := range []string{"a/ok1.log", "a/ok2.log", "a/denied.log", "a/slow.log", "a/gone.log", "a/corrupt.log"} {
		f.objects[k] = "content of " + k + "\n"
	}
	f.denied["a/denied.log"] = true
	f.gone["a/gone.log"] = true
	f.slowDowns["a/slow.log"] = 2
	f.corrupt["a/corrupt.log"] = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := fastClient(srv.URL)
	st := newTestCase(t)

	rep, src := acquireS3(t, st, client, "s3://logs/a/", s3.Options{Concurrency: 3})
	failed := failedPaths(rep)
	want := map[string]string{
		"a/denied.log":  "access denied (GetObject: AccessDenied, HTTP 403)",
		"a/gone.log":    "deleted after it was listed (GetObject: NoSuchKey, HTTP 404)",
		"a/corrupt.log": "downloaded bytes do not match its ETag",
	}
	if len(failed) != len(want) {
		t.Errorf("failed %v", failed)
	}
	for k, w := range want {
		if !strings.Contains(failed[k], w) {
			t.Errorf("%s: error %q, want it to contain %q", k, failed[k], w)
		}
	}
	if len(rep.Stored) != 3 {
		t.Fatalf("stored %+v", rep.Stored)
	}
	// Throttled twice, then fetched: the SDK retried with backoff.
	if n := f.count("GET", "a/slow.log"); n != 3 {
		t.Errorf("slow.log fetched %d times, want 3", n)
	}
	if s := src.Stats(); s.Downloaded != 3 || s.Failed != 3 || s.Listed != 6 {
		t.Errorf("stats %+v", s)
	}
	it := itemByKey(t, st, "a/ok1.log")
	o := it.S3
	if o.VersionID != "v-a_ok1.log" || o.SSE != "aws:kms" || o.SSEKMSKeyID == "" || o.Metadata["signature"] != "abc123" ||
		!o.LastModified.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("captured %+v", o)
	}
	// The bucket has no Object Lock: known unlocked, no per-object lock calls.
	if !o.LockKnown || !o.LegalKnown || f.count("GET", "a/ok1.log") != 1 {
		t.Errorf("lock %+v, GETs %d", o, f.count("GET", "a/ok1.log"))
	}
	b, _ := st.Buckets()
	if len(b) != 1 || b[0].Region != "eu-west-1" || b[0].ObjectLockEnabled != "" {
		t.Errorf("bucket %+v", b)
	}

	// The faults go away; running again fetches only what is missing.
	f.mu.Lock()
	f.denied, f.gone, f.corrupt = map[string]bool{}, map[string]bool{}, map[string]bool{}
	f.mu.Unlock()
	rep, src = acquireS3(t, st, client, "s3://logs/a/", s3.Options{})
	if len(rep.Stored) != 3 || len(rep.Present) != 3 || len(rep.Failed) != 0 {
		t.Errorf("second run: stored %d present %d failed %v", len(rep.Stored), len(rep.Present), rep.Failed)
	}
	if s := src.Stats(); s.Downloaded != 3 || s.Present != 3 {
		t.Errorf("second run stats %+v", s)
	}
	if n := f.count("GET", "a/ok1.log"); n != 1 {
		t.Errorf("ok1.log downloaded %d times", n)
	}
	chk, err := st.Check(context.Background(), nil)
	if err != nil || len(chk.Problems) != 0 || chk.Items != 6 {
		t.Errorf("case check: %v %+v", err, chk)
	}
}

func TestS3ObjectLockStates(t *testing.T) {
	f := newFakeS3("locked")
	for _, k := range []string{"compliance.log", "governance.log", "none.log", "denied.log", "held.log", "broken.log"} {
		f.objects[k] = k
	}
	f.lock = true
	f.retained["compliance.log"] = "COMPLIANCE"
	f.retained["governance.log"] = "GOVERNANCE"
	f.retDenied["denied.log"] = true
	f.holds["held.log"] = "ON"
	f.ret500["broken.log"] = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := fastClient(srv.URL)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	r, err := objectlock.Live(context.Background(), client, "s3://locked", objectlock.LiveOptions{}, objectlock.Requirements{}, now)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]objectlock.Object{}
	for _, o := range r.Objects {
		status[o.Key] = o
	}
	for k, want := range map[string]string{"compliance.log": "compliance", "governance.log": "governance", "none.log": "none", "denied.log": "unknown", "held.log": "none", "broken.log": "unknown"} {
		if status[k].Status != want {
			t.Errorf("%s: status %q, want %q", k, status[k].Status, want)
		}
	}
	if o := status["held.log"]; o.LegalHold != "ON" || !o.LegalHoldKnown {
		t.Errorf("held: %+v", o)
	}
	if o := status["denied.log"]; len(o.CaptureErrors) != 1 || o.CaptureErrors[0] != "GetObjectRetention: AccessDenied, HTTP 403" {
		t.Errorf("denied: %+v", o.CaptureErrors)
	}
	// A 500 from GetObjectRetention is recorded, not retried, not fatal.
	if o := status["broken.log"]; len(o.CaptureErrors) != 1 || o.CaptureErrors[0] != "GetObjectRetention: InternalError, HTTP 500" || f.count("RETENTION", "broken.log") != 1 {
		t.Errorf("broken: %+v, %d requests", o.CaptureErrors, f.count("RETENTION", "broken.log"))
	}
	if b := r.Buckets[0]; b.ObjectLockEnabled != "Enabled" || b.DefaultMode != "COMPLIANCE" || b.DefaultYears != 7 || b.Versioning != "Enabled" {
		t.Errorf("bucket %+v", b)
	}
	// Without requirements the unknown status fails, and so does no retention.
	if r.OK || len(r.Problems) != 3 || r.Problems[0].Kind != objectlock.ProblemUnknown || r.Problems[1].Kind != objectlock.ProblemUnknown || r.Problems[2].Kind != objectlock.ProblemNoRetention {
		t.Errorf("problems %+v", r.Problems)
	}
	// Retain-until 2031-05-01: a 2030 requirement passes, 2032 fails.
	r, _ = objectlock.Live(context.Background(), client, "s3://locked", objectlock.LiveOptions{Include: []string{"compliance.log"}},
		objectlock.Requirements{Mode: "COMPLIANCE", Until: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, now)
	if !r.OK {
		t.Errorf("compliance until 2030: %+v", r.Problems)
	}
	r, _ = objectlock.Live(context.Background(), client, "s3://locked", objectlock.LiveOptions{Include: []string{"compliance.log"}},
		objectlock.Requirements{Until: time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)}, now)
	if r.OK || r.Problems[0].Kind != objectlock.ProblemUntil {
		t.Errorf("compliance until 2032: %+v", r.Problems)
	}
	// After retain-until, the retention protects nothing.
	r, _ = objectlock.Live(context.Background(), client, "s3://locked", objectlock.LiveOptions{Include: []string{"governance.log"}},
		objectlock.Requirements{Mode: "GOVERNANCE"}, time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	if r.OK || r.Objects[0].Status != objectlock.StatusExpired || r.Problems[0].Kind != objectlock.ProblemMode {
		t.Errorf("expired: %+v %+v", r.Objects, r.Problems)
	}

	// Lock configuration unreadable: unknown, not fatal.
	f.mu.Lock()
	f.lockDenied = true
	f.mu.Unlock()
	b, err := s3.CaptureBucket(context.Background(), client, "locked", "")
	if err != nil || b.ObjectLockEnabled != "unknown" || len(b.Errors) != 1 || !strings.Contains(b.Errors[0], "AccessDenied") {
		t.Errorf("lock denied: %v %+v", err, b)
	}
}

func TestS3FatalErrors(t *testing.T) {
	f := newFakeS3("logs")
	f.objects["x.log"] = "x"
	f.badCreds = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := fastClient(srv.URL)

	st := newTestCase(t)
	rep, _ := acquireS3(t, st, client, "s3://logs", s3.Options{Endpoint: srv.URL})
	if len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0].Error, `bucket "logs": credentials rejected by S3 (InvalidAccessKeyId, HTTP 403): check --profile`) {
		t.Errorf("bad credentials: %+v", rep.Failed)
	}
	_, err := objectlock.Live(context.Background(), client, "s3://logs", objectlock.LiveOptions{}, objectlock.Requirements{}, time.Now())
	if !errors.Is(err, s3.ErrCredentials) {
		t.Errorf("live bad credentials: %v", err)
	}

	_, err = objectlock.Live(context.Background(), fastClient(srv.URL), "s3://other", objectlock.LiveOptions{}, objectlock.Requirements{}, time.Now())
	if !errors.Is(err, s3.ErrCredentials) {
		t.Errorf("other bucket, bad credentials: %v", err)
	}
	f.mu.Lock()
	f.badCreds = false
	f.mu.Unlock()
	_, err = objectlock.Live(context.Background(), client, "s3://other", objectlock.LiveOptions{}, objectlock.Requirements{}, time.Now())
	if !errors.Is(err, s3.ErrNoBucket) || !strings.Contains(err.Error(), `bucket "other"`) {
		t.Errorf("no bucket: %v", err)
	}

	// Nothing listens there.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()
	_, err = objectlock.Live(context.Background(), fastClient(dead), "s3://logs", objectlock.LiveOptions{Endpoint: dead}, objectlock.Requirements{}, time.Now())
	if !errors.Is(err, s3.ErrUnreachable) || !strings.Contains(err.Error(), `bucket "logs"`) || !strings.Contains(err.Error(), dead) {
		t.Errorf("unreachable: %v", err)
	}
	items, _ := st.AllItems()
	if len(items) != 0 {
		t.Errorf("items after failures: %d", len(items))
	}
}

func TestParseS3URI(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, prefix string
		ok                 bool
	}{
		{"s3://logs", "logs", "", true},
		{"s3://logs/", "logs", "", true},
		{"s3://logs/AWSLogs/1/", "logs", "AWSLogs/1/", true},
		{"s3://", "", "", false},
		{"s3:///x", "", "", false},
		{"http://logs/x", "", "", false},
		{"s3://a/x", "", "", false},
		{"s3://bad?bucket/x", "", "", false},
	} {
		b, p, err := s3.ParseURI(tc.in)
		if (err == nil) != tc.ok || b != tc.bucket || p != tc.prefix {
			t.Errorf("%q: %q %q %v", tc.in, b, p, err)
		}
	}
	if got := s3.ObjectURI("b", "k/x.gz", ""); got != "s3://b/k/x.gz?versionId=null" {
		t.Errorf("uri %q", got)
	}
}

func TestEvaluateLock(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	future := now.AddDate(1, 0, 0)
	past := now.AddDate(-1, 0, 0)
	for _, tc := range []struct {
		name   string
		obj    evidence.S3Object
		req    objectlock.Requirements
		status string
		kinds  []finding.Kind
	}{
		{"compliance", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: future}, objectlock.Requirements{Mode: "COMPLIANCE"}, "compliance", nil},
		{"governance satisfies governance", evidence.S3Object{LockKnown: true, LockMode: "GOVERNANCE", RetainUntil: future}, objectlock.Requirements{Mode: "GOVERNANCE"}, "governance", nil},
		{"compliance satisfies governance", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: future}, objectlock.Requirements{Mode: "GOVERNANCE"}, "compliance", nil},
		{"governance fails compliance", evidence.S3Object{LockKnown: true, LockMode: "GOVERNANCE", RetainUntil: future}, objectlock.Requirements{Mode: "COMPLIANCE"}, "governance", []finding.Kind{objectlock.ProblemMode}},
		{"expired", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: past}, objectlock.Requirements{Mode: "COMPLIANCE"}, "expired", []finding.Kind{objectlock.ProblemMode}},
		{"expired, no requirement", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: past}, objectlock.Requirements{}, "expired", []finding.Kind{objectlock.ProblemNoRetention}},
		{"until too short", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: future}, objectlock.Requirements{Until: future.AddDate(1, 0, 0)}, "compliance", []finding.Kind{objectlock.ProblemUntil}},
		{"none, until", evidence.S3Object{LockKnown: true}, objectlock.Requirements{Until: future}, "none", []finding.Kind{objectlock.ProblemUntil}},
		{"none, mode and until", evidence.S3Object{LockKnown: true}, objectlock.Requirements{Mode: "GOVERNANCE", Until: future}, "none", []finding.Kind{objectlock.ProblemMode, objectlock.ProblemUntil}},
		{"unknown, no requirement", evidence.S3Object{}, objectlock.Requirements{}, "unknown", []finding.Kind{objectlock.ProblemUnknown}},
		{"unknown sidecar", evidence.S3Object{CapturedFrom: "sidecar", LegalKnown: true, LegalHold: "ON"}, objectlock.Requirements{Mode: "GOVERNANCE"}, "unknown", []finding.Kind{objectlock.ProblemUnknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, probs := objectlock.Evaluate(&tc.obj, tc.req, now)
			var kinds []finding.Kind
			for _, p := range probs {
				kinds = append(kinds, p.Kind)
			}
			if lo.Status != tc.status || !slices.Equal(kinds, tc.kinds) || lo.OK != (len(tc.kinds) == 0) {
				t.Errorf("status %q problems %v, want %q %v", lo.Status, kinds, tc.status, tc.kinds)
			}
		})
	}
	for _, m := range []string{"compliance", " GOVERNANCE", ""} {
		if _, err := objectlock.ParseMode(m); err != nil {
			t.Errorf("%q: %v", m, err)
		}
	}
	if _, err := objectlock.ParseMode("strict"); err == nil {
		t.Error("mode strict accepted")
	}
}

// TestS3DownloadPaths acquires the same objects held in memory, in
// temporary files and streamed, and gets the same items.
func TestS3DownloadPaths(t *testing.T) {
	f := newFakeS3("logs")
	for i := range 20 {
		f.objects[fmt.Sprintf("k/%02d.log", i)] = strings.Repeat(fmt.Sprint(i), 100+i)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := fastClient(srv.URL)
	var first []acquire.StoredItem
	for _, tc := range []struct {
		name string
		opts s3.Options
	}{
		{"memory", s3.Options{Concurrency: 4}},
		{"files", s3.Options{Concurrency: 3, MemoryMax: 1, TempDir: t.TempDir()}},
		{"streamed", s3.Options{Concurrency: 2, MemoryMax: 1, PrefetchMax: 1}},
		{"serial", s3.Options{Concurrency: 1, MemoryMax: 150, TempDir: t.TempDir()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestCase(t)
			rep, _ := acquireS3(t, st, client, "s3://logs", tc.opts)
			if len(rep.Stored) != 20 || len(rep.Failed) != 0 {
				t.Fatalf("stored %d failed %v", len(rep.Stored), rep.Failed)
			}
			for i, it := range rep.Stored {
				if want := fmt.Sprintf("k/%02d.log", i); it.Path != want {
					t.Errorf("item %d is %s, want %s (listing order)", i, it.Path, want)
				}
				if first != nil && (it.SHA256 != first[i].SHA256 || it.Source != first[i].Source) {
					t.Errorf("%s differs: %+v %+v", it.Path, it, first[i])
				}
			}
			if first == nil {
				first = rep.Stored
			}
			if tc.opts.TempDir != "" {
				left, _ := filepath.Glob(filepath.Join(tc.opts.TempDir, "*"))
				if len(left) != 0 {
					t.Errorf("temporary files left: %v", left)
				}
			}
		})
	}
}

// TestS3Interrupted: cancelling mid-walk keeps what was stored, leaves no
// temporary file, and the next run completes the acquisition.
func TestS3Interrupted(t *testing.T) {
	f := newFakeS3("logs")
	for i := range 30 {
		f.objects[fmt.Sprintf("k/%02d.log", i)] = strings.Repeat("x", 2000+i)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := fastClient(srv.URL)
	st := newTestCase(t)
	tmp := t.TempDir()
	src, err := s3.NewSource(client, "s3://logs", s3.Options{Store: st, Concurrency: 4, MemoryMax: 1, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	wrapped := walkHook{src, func() {
		if n++; n == 5 {
			cancel()
		}
	}}
	rep, err := acquire.Acquire(ctx, st, acquire.AcquireOptions{Sources: []evidence.Source{wrapped}, Actor: testActor})
	if !errors.Is(err, context.Canceled) || rep == nil || !rep.Interrupted {
		t.Fatalf("interrupted run: %v %+v", err, rep)
	}
	stored := len(rep.Stored)
	if stored < 4 || stored > 5 {
		t.Errorf("stored %d before the interruption", stored)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	rep, _ = acquireS3(t, st, client, "s3://logs", s3.Options{Concurrency: 4})
	if len(rep.Stored) != 30-stored || len(rep.Present) != stored {
		t.Errorf("completing run: stored %d present %d (first run stored %d)", len(rep.Stored), len(rep.Present), stored)
	}
}

// walkHook calls hook after each entry is handled.
type walkHook struct {
	evidence.Source
	hook func()
}

func (w walkHook) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	return w.Source.Walk(ctx, func(e evidence.Entry) error {
		err := fn(e)
		w.hook()
		return err
	}, refuse)
}

// countingS3 counts the requests made through it, per operation.
type countingS3 struct {
	s3.API
	mu sync.Mutex
	n  map[string]int
}

func newCountingS3(c s3.API) *countingS3 { return &countingS3{API: c, n: map[string]int{}} }

func (c *countingS3) add(op string) {
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
}

// take returns the counts so far and starts again from zero.
func (c *countingS3) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func (c *countingS3) HeadBucket(ctx context.Context, in *awss3.HeadBucketInput, o ...func(*awss3.Options)) (*awss3.HeadBucketOutput, error) {
	c.add("HeadBucket")
	return c.API.HeadBucket(ctx, in, o...)
}

func (c *countingS3) GetObjectLockConfiguration(ctx context.Context, in *awss3.GetObjectLockConfigurationInput, o ...func(*awss3.Options)) (*awss3.GetObjectLockConfigurationOutput, error) {
	c.add("GetObjectLockConfiguration")
	return c.API.GetObjectLockConfiguration(ctx, in, o...)
}

func (c *countingS3) GetBucketVersioning(ctx context.Context, in *awss3.GetBucketVersioningInput, o ...func(*awss3.Options)) (*awss3.GetBucketVersioningOutput, error) {
	c.add("GetBucketVersioning")
	return c.API.GetBucketVersioning(ctx, in, o...)
}

func (c *countingS3) ListObjectVersions(ctx context.Context, in *awss3.ListObjectVersionsInput, o ...func(*awss3.Options)) (*awss3.ListObjectVersionsOutput, error) {
	c.add("ListObjectVersions")
	return c.API.ListObjectVersions(ctx, in, o...)
}

func (c *countingS3) ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, o ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error) {
	c.add("ListObjectsV2")
	return c.API.ListObjectsV2(ctx, in, o...)
}

func (c *countingS3) HeadObject(ctx context.Context, in *awss3.HeadObjectInput, o ...func(*awss3.Options)) (*awss3.HeadObjectOutput, error) {
	c.add("HeadObject")
	return c.API.HeadObject(ctx, in, o...)
}

func (c *countingS3) GetObject(ctx context.Context, in *awss3.GetObjectInput, o ...func(*awss3.Options)) (*awss3.GetObjectOutput, error) {
	c.add("GetObject")
	return c.API.GetObject(ctx, in, o...)
}

func (c *countingS3) GetObjectRetention(ctx context.Context, in *awss3.GetObjectRetentionInput, o ...func(*awss3.Options)) (*awss3.GetObjectRetentionOutput, error) {
	c.add("GetObjectRetention")
	return c.API.GetObjectRetention(ctx, in, o...)
}

func (c *countingS3) GetObjectLegalHold(ctx context.Context, in *awss3.GetObjectLegalHoldInput, o ...func(*awss3.Options)) (*awss3.GetObjectLegalHoldOutput, error) {
	c.add("GetObjectLegalHold")
	return c.API.GetObjectLegalHold(ctx, in, o...)
}

// TestS3RequestCounts: an object version to download costs one GetObject
// (and the lock calls of a locked bucket), no HeadObject; one the case
// holds already costs no object request at all.
func TestS3RequestCounts(t *testing.T) {
	const n = 12
	bucketOps := map[string]int{"HeadBucket": 1, "GetObjectLockConfiguration": 1, "GetBucketVersioning": 1, "ListObjectVersions": 1}
	withListV2 := map[string]int{"ListObjectsV2": 1}
	for _, tc := range []struct {
		name         string
		opts         s3.Options
		setup        func(*fakeS3)
		first, again map[string]int // object requests of the first and the second run
		extra        map[string]int // bucket requests beyond bucketOps, each run
		versionID    string         // of the first object
	}{
		{name: "memory", opts: s3.Options{Concurrency: 4},
			first: map[string]int{"GetObject": n}, versionID: "v-k_00.log"},
		{name: "temporary files", opts: s3.Options{Concurrency: 3, MemoryMax: 1, TempDir: t.TempDir()},
			first: map[string]int{"GetObject": n}, versionID: "v-k_00.log"},
		{name: "streamed", opts: s3.Options{Concurrency: 2, MemoryMax: 1, PrefetchMax: 1},
			first: map[string]int{"GetObject": n}, versionID: "v-k_00.log"},
		{name: "unversioned bucket", setup: func(f *fakeS3) { f.unversioned = true },
			first: map[string]int{"GetObject": n}, versionID: "null"},
		{name: "listed without versions, bucket never versioned", setup: func(f *fakeS3) { f.unversioned, f.versionsDenied = true, true },
			first: map[string]int{"GetObject": n}, extra: withListV2, versionID: "null"},
		{name: "listed without versions, streamed", opts: s3.Options{PrefetchMax: 1},
			setup: func(f *fakeS3) { f.unversioned, f.versionsDenied = true, true },
			first: map[string]int{"GetObject": n}, extra: withListV2, versionID: "null"},
		// The version id is only known by asking: HeadObject, then the
		// download if the case lacks that version.
		{name: "listed without versions, versioned bucket", setup: func(f *fakeS3) { f.versioning, f.versionsDenied = "Enabled", true },
			first: map[string]int{"HeadObject": n, "GetObject": n}, again: map[string]int{"HeadObject": n}, extra: withListV2, versionID: "v-k_00.log"},
		{name: "object lock", setup: func(f *fakeS3) { f.lock = true },
			first: map[string]int{"GetObject": n, "GetObjectRetention": n, "GetObjectLegalHold": n}, versionID: "v-k_00.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3("logs")
			for i := range n {
				f.objects[fmt.Sprintf("k/%02d.log", i)] = strings.Repeat(fmt.Sprint(i), 50+i)
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			client := newCountingS3(fastClient(srv.URL))
			st := newTestCase(t)
			wantRun := func(objects map[string]int) map[string]int {
				m := map[string]int{}
				for _, add := range []map[string]int{bucketOps, tc.extra, objects} {
					for k, v := range add {
						m[k] += v
					}
				}
				return m
			}

			rep, src := acquireS3(t, st, client, "s3://logs/k/", tc.opts)
			if len(rep.Stored) != n || len(rep.Failed) != 0 {
				t.Fatalf("first run: stored %d failed %v", len(rep.Stored), rep.Failed)
			}
			if s := src.Stats(); s.Downloaded != n || s.Present != 0 || s.Failed != 0 {
				t.Errorf("first run stats %+v", s)
			}
			if got, want := client.take(), wantRun(tc.first); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("first run requests %v, want %v", got, want)
			}
			it := itemByKey(t, st, "k/00.log")
			if it.S3 == nil || it.S3.VersionID != tc.versionID || it.Source != s3.ObjectURI("logs", "k/00.log", tc.versionID) ||
				it.S3.ETag != etagOf(f.objects["k/00.log"]) || it.S3.Size != 50 || it.Size != 50 {
				t.Errorf("item %+v s3 %+v", it, it.S3)
			}
			if tc.first["HeadObject"] == 0 {
				for k := range f.objects {
					if h := f.count("HEAD", k); h != 0 {
						t.Errorf("%s: %d HEAD requests", k, h)
					}
				}
			}

			rep, src = acquireS3(t, st, client, "s3://logs/k/", tc.opts)
			if len(rep.Stored) != 0 || len(rep.Present) != n || len(rep.Failed) != 0 {
				t.Errorf("second run: stored %d present %d failed %v", len(rep.Stored), len(rep.Present), rep.Failed)
			}
			if s := src.Stats(); s.Downloaded != 0 || s.Present != n {
				t.Errorf("second run stats %+v", s)
			}
			if got, want := client.take(), wantRun(tc.again); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("second run requests %v, want %v", got, want)
			}
		})
	}
}

// TestS3ChangedBeforeDownload: an object replaced between its listing and
// its download is reported, not acquired with other bytes than listed.
func TestS3ChangedBeforeDownload(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  s3.Options
		setup func(*fakeS3)
		uri   string // of the changed object
	}{
		{"listed without versions", s3.Options{}, func(f *fakeS3) { f.unversioned, f.versionsDenied = true, true }, "s3://logs/k/b.log?versionId=null"},
		{"listed without versions, streamed", s3.Options{PrefetchMax: 1}, func(f *fakeS3) { f.unversioned, f.versionsDenied = true, true }, "s3://logs/k/b.log?versionId=null"},
		{"unversioned listing", s3.Options{}, func(f *fakeS3) { f.unversioned = true }, "s3://logs/k/b.log?versionId=null"},
		{"versioned, HeadObject first", s3.Options{}, func(f *fakeS3) { f.versioning, f.versionsDenied = "Enabled", true }, "s3://logs/k/b.log?versionId=v-k_b.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3("logs")
			f.objects["k/a.log"] = "a\n"
			f.objects["k/b.log"] = "listed\n"
			tc.setup(f)
			if f.versioning == "" {
				f.afterList["k/b.log"] = "replaced\n"
			} else {
				// Changed between HeadObject and GetObject.
				f.afterHead["k/b.log"] = "replaced\n"
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			client := fastClient(srv.URL)
			st := newTestCase(t)
			rep, src := acquireS3(t, st, client, "s3://logs/k/", tc.opts)
			if len(rep.Stored) != 1 || rep.Stored[0].Path != "k/a.log" || len(rep.Failed) != 1 {
				t.Fatalf("stored %+v failed %+v", rep.Stored, rep.Failed)
			}
			want := tc.uri + ": changed while it was acquired (ETag no longer matches)"
			if got := rep.Failed[0].Error; rep.Failed[0].Path != "k/b.log" || !strings.HasPrefix(got, want) {
				t.Errorf("error %q, want %q", got, want)
			}
			if s := src.Stats(); s.Failed != 1 || s.Downloaded != 1 {
				t.Errorf("stats %+v", s)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if got := f.ifMatch["k/b.log"]; got != etagOf("listed\n") {
				t.Errorf("If-Match %q, want the listed ETag %q", got, etagOf("listed\n"))
			}
		})
	}
}

// sameCapture compares the metadata captured from GetObject with that
// from HeadObject, field by field (CapturedAt aside).
func sameCapture(t *testing.T, head, get []*evidence.S3Object) {
	t.Helper()
	if len(head) != len(get) || len(head) == 0 {
		t.Fatalf("%d objects by HeadObject, %d by GetObject", len(head), len(get))
	}
	for i, h := range head {
		g := get[i]
		if g == nil || g.CapturedAt.IsZero() {
			t.Errorf("%s: not captured from GetObject: %+v", h.Key, g)
			continue
		}
		hv, gv := reflect.ValueOf(*h), reflect.ValueOf(*g)
		for f := range hv.NumField() {
			name := hv.Type().Field(f).Name
			if name == "CapturedAt" {
				continue
			}
			if a, b := hv.Field(f).Interface(), gv.Field(f).Interface(); !reflect.DeepEqual(a, b) {
				t.Errorf("%s: %s is %#v from HeadObject, %#v from GetObject", h.Key, name, a, b)
			}
		}
	}
}

func TestS3CaptureFromGet(t *testing.T) {
	f := newFakeS3("logs")
	for _, k := range []string{"a.log", "b.log", "c.log", "d.log"} {
		f.objects[k] = "content of " + k
	}
	f.lock = true
	f.retained["a.log"] = "COMPLIANCE"
	f.holds["b.log"] = "ON"
	f.retDenied["c.log"] = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := fastClient(srv.URL)
	for _, opts := range []s3.Options{{}, {PrefetchMax: 1}} {
		head, get, err := s3.CaptureBoth(context.Background(), client, "s3://logs", opts)
		if err != nil {
			t.Fatal(err)
		}
		sameCapture(t, head, get)
		o := get[0]
		if o.VersionID != "v-a.log" || o.SSE != "aws:kms" || o.SSEKMSKeyID != "arn:aws:kms:eu-west-1:111122223333:key/k1" ||
			o.Metadata["signature"] != "abc123" || o.StorageClass != "STANDARD" || o.Size != int64(len("content of a.log")) ||
			!o.LockKnown || o.LockMode != "COMPLIANCE" || !o.LegalKnown {
			t.Errorf("a.log %+v", o)
		}
		if o := get[1]; o.LegalHold != "ON" || !o.LegalKnown {
			t.Errorf("b.log %+v", o)
		}
		if o := get[2]; o.LockKnown || len(o.CaptureErrors) != 1 || o.CaptureErrors[0] != "GetObjectRetention: AccessDenied, HTTP 403" {
			t.Errorf("c.log %+v", o)
		}
	}
}

// TestS3StreamedErrors: a streamed object's download is its first
// request, and its errors are classified as when capturing it first.
func TestS3StreamedErrors(t *testing.T) {
	f := newFakeS3("logs")
	for _, k := range []string{"a.log", "b.log", "c.log"} {
		f.objects[k] = "content of " + k
	}
	f.denied["a.log"] = true
	f.gone["b.log"] = true
	srv := httptest.NewServer(f)
	defer srv.Close()
	st := newTestCase(t)
	rep, src := acquireS3(t, st, fastClient(srv.URL), "s3://logs", s3.Options{PrefetchMax: 1})
	failed := failedPaths(rep)
	for k, w := range map[string]string{
		"a.log": "s3://logs/a.log?versionId=v-a.log: access denied (GetObject: AccessDenied, HTTP 403)",
		"b.log": "s3://logs/b.log?versionId=v-b.log: deleted after it was listed (GetObject: NoSuchKey, HTTP 404)",
	} {
		if !strings.HasPrefix(failed[k], w) {
			t.Errorf("%s: error %q, want %q", k, failed[k], w)
		}
	}
	if len(rep.Stored) != 1 || rep.Stored[0].Path != "c.log" || len(failed) != 2 {
		t.Errorf("stored %+v failed %v", rep.Stored, failed)
	}
	if s := src.Stats(); s.Failed != 2 || s.Downloaded != 1 {
		t.Errorf("stats %+v", s)
	}

	// Credentials rejected at the first download stop the walk (the
	// object is reported too: its Open failed).
	f.mu.Lock()
	f.denied, f.gone = map[string]bool{}, map[string]bool{}
	f.mu.Unlock()
	expire := &expiringS3{API: fastClient(srv.URL)}
	st = newTestCase(t)
	src, err := s3.NewSource(expire, "s3://logs", s3.Options{Store: st, PrefetchMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: testActor})
	if err != nil {
		t.Fatal(err)
	}
	var stopped bool
	for _, fe := range rep.Failed {
		if strings.Contains(fe.Error, `bucket "logs": credentials rejected by S3 (InvalidAccessKeyId)`) && fe.Path == "" {
			stopped = true
		}
	}
	if len(rep.Stored) != 0 || !stopped || expire.gets != 1 {
		t.Errorf("stored %d, failed %+v, %d GetObject", len(rep.Stored), rep.Failed, expire.gets)
	}
}

// expiringS3 answers every GetObject as S3 does once the credentials have
// expired.
type expiringS3 struct {
	s3.API
	gets int
}

func (e *expiringS3) GetObject(context.Context, *awss3.GetObjectInput, ...func(*awss3.Options)) (*awss3.GetObjectOutput, error) {
	e.gets++
	return nil, &smithy.GenericAPIError{Code: "InvalidAccessKeyId", Message: "expired"}
}
