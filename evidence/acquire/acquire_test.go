package acquire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

func newGzip(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }

func gz(b string) string {
	var buf bytes.Buffer
	zw := newGzip(&buf)
	zw.Write([]byte(b))
	zw.Close()
	return buf.String()
}

func newCase(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "c.tcase"), evidence.CaseInfo{Name: "t", Examiner: "e"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func acquireDir(t *testing.T, ctx context.Context, st *store.Store, dir string) (*AcquireReport, error) {
	t.Helper()
	src, err := OpenLocal(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	return Acquire(ctx, st, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e", Host: "h"}})
}

const ctRecords = `{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","eventID":"id-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accessKeyId":"AKIAEXAMPLE"}}]}`

func TestAcquireIdempotentAndFlags(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ct/111122223333_CloudTrail_us-east-1_20240501T1000Z_abc.json.gz":           gz(ctRecords),
		"ct/111122223333_CloudTrail_us-east-1_20240501T1000Z_abc.json.gz.head.json": `{"ETag":"\"x\"","VersionId":"v9","Metadata":{"Signature":"ff"},"ObjectLockLegalHoldStatus":"ON","LastModified":"2024-05-01T10:05:00+00:00"}`,
		"appended.json.gz": gz(ctRecords) + gz(`{"Records":[{"eventTime":"2024-05-01T11:00:00Z","eventName":"Forged","eventID":"forged"}]}`),
		"inflated.json.gz": ctRecords,
		"notes.txt":        "hello",
	})
	st := newCase(t)
	rep, err := acquireDir(t, context.Background(), st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Stored) != 4 || len(rep.Failed) != 0 {
		t.Fatalf("stored %d failed %v", len(rep.Stored), rep.Failed)
	}
	items, _ := st.AllItems()
	byPath := map[string]evidence.Item{}
	for _, it := range items {
		byPath[it.Path] = it
	}
	ct := byPath["ct/111122223333_CloudTrail_us-east-1_20240501T1000Z_abc.json.gz"]
	if ct.Kind != evidence.KindCloudTrail || ct.Compression != "gzip" || ct.ParseState != evidence.ParseDone || ct.Events != 1 {
		t.Fatalf("cloudtrail item: %+v", ct)
	}
	if ct.S3 == nil || ct.S3.VersionID != "v9" || ct.S3.Metadata["signature"] != "ff" || ct.S3.LegalHold != "ON" || !ct.S3.LegalKnown || ct.S3.LockKnown {
		t.Fatalf("sidecar fields: %+v", ct.S3)
	}
	if sc, _ := st.Sidecar(ct.ID); !strings.Contains(string(sc), `"v9"`) {
		t.Fatal("sidecar bytes not kept")
	}
	app := byPath["appended.json.gz"]
	if !app.HasFlag(evidence.FlagTrailingData) {
		t.Fatalf("appended member not flagged: %+v", app)
	}
	// The appended member's record must never reach the timeline.
	n := 0
	st.ItemEvents(app.ID, func(e store.StoredEvent) error {
		n++
		if bytes.Contains(e.Data, []byte("Forged")) {
			t.Fatal("record from the appended gzip member was indexed")
		}
		return nil
	})
	if n != 0 { // its only record duplicates ct's (same eventID and content)
		t.Logf("appended item events: %d", n)
	}
	inf := byPath["inflated.json.gz"]
	if !inf.HasFlag(evidence.FlagNotGzip) || inf.Kind != evidence.KindCloudTrail {
		t.Fatalf("inflated .gz: %+v", inf)
	}
	if byPath["notes.txt"].Kind != evidence.KindUnknown || byPath["notes.txt"].ParseState != evidence.ParseSkipped {
		t.Fatalf("notes: %+v", byPath["notes.txt"])
	}
	if rep.Index.Duplicates != 2 {
		t.Errorf("duplicates = %d, want 2 (the same record in three files)", rep.Index.Duplicates)
	}

	// Again: nothing new.
	rep2, err := acquireDir(t, context.Background(), st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep2.Stored) != 0 || len(rep2.Present) != 4 {
		t.Fatalf("second run stored %d present %d", len(rep2.Stored), len(rep2.Present))
	}
	res, _ := st.Check(context.Background(), nil)
	if len(res.Problems) != 0 {
		t.Fatalf("check: %+v", res.Problems)
	}
}

// stopAfter is a source that cancels the context after n entries.
type stopAfter struct {
	evidence.Source
	n      int
	cancel func()
}

func (s *stopAfter) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	i := 0
	return s.Source.Walk(ctx, func(e evidence.Entry) error {
		if i == s.n {
			s.cancel()
		}
		i++
		return fn(e)
	}, refuse)
}

func TestAcquireInterruptedThenCompleted(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := 0; i < 20; i++ {
		files[filepath.Join("d", string(rune('a'+i))+".log")] = strings.Repeat("x", i*1000)
	}
	writeFiles(t, dir, files)
	st := newCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	src, _ := OpenLocal(dir, 0)
	rep, err := Acquire(ctx, st, AcquireOptions{Sources: []evidence.Source{&stopAfter{src, 7, cancel}}, Actor: custody.Actor{Examiner: "e"}})
	if !errors.Is(err, context.Canceled) || !rep.Interrupted {
		t.Fatalf("err %v interrupted %v", err, rep.Interrupted)
	}
	if len(rep.Stored) != 7 {
		t.Fatalf("stored %d before the interruption, want 7", len(rep.Stored))
	}
	res, _ := st.Check(context.Background(), nil)
	if len(res.Problems) != 0 {
		t.Fatalf("interrupted case inconsistent: %+v", res.Problems)
	}
	rep, err = acquireDir(t, context.Background(), st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Stored) != 13 || len(rep.Present) != 7 {
		t.Fatalf("rerun stored %d present %d", len(rep.Stored), len(rep.Present))
	}
	var results []string
	st.Custody(func(e evidence.CustodyEntry) error { results = append(results, e.Action+":"+e.Result); return nil })
	if strings.Join(results, ",") != "acquire:started,acquire:interrupted,acquire:started,acquire:ok" {
		t.Fatalf("custody = %v", results)
	}
}

// failing is a source with one file that cannot be read half way.
type failing struct{}

func (failing) Root() string { return "failing" }
func (failing) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	if err := fn(evidence.Entry{Path: "ok.log", URI: "mem://ok", Size: 2, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("ok")), nil
	}}); err != nil {
		return err
	}
	return fn(evidence.Entry{Path: "bad.log", URI: "mem://bad", Size: 3 << 20, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(make([]byte, 2<<20)), errReader{})), nil
	}})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("input/output error") }

func TestAcquireReadErrorKeepsTheRest(t *testing.T) {
	st := newCase(t)
	rep, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{failing{}}, Actor: custody.Actor{Examiner: "e"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Stored) != 1 || len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0].Error, "input/output error") || rep.Failed[0].Path != "bad.log" {
		t.Fatalf("stored %v failed %v", rep.Stored, rep.Failed)
	}
	res, _ := st.Check(context.Background(), nil)
	if len(res.Problems) != 0 || res.Items != 1 {
		t.Fatalf("check after a failed file: %+v", res)
	}
	var last evidence.CustodyEntry
	st.Custody(func(e evidence.CustodyEntry) error { last = e; return nil })
	if last.Result != evidence.ResultFailed || !strings.Contains(string(last.Data), "input/output error") {
		t.Fatalf("custody: %+v", last)
	}
}

func TestSelected(t *testing.T) {
	for _, tc := range []struct {
		path     string
		inc, exc []string
		want     bool
	}{
		{"AWSLogs/1/CloudTrail/x.json.gz", []string{"**/CloudTrail/**"}, nil, true},
		{"AWSLogs/1/vpcflowlogs/x.log.gz", []string{"**/CloudTrail/**"}, nil, false},
		{"a/b.log", nil, []string{"**/*.log"}, false},
		{"a/b.log", nil, nil, true},
	} {
		if got := evidence.Selected(tc.path, tc.inc, tc.exc); got != tc.want {
			t.Errorf("Selected(%q, %v, %v) = %v", tc.path, tc.inc, tc.exc, got)
		}
	}
}

func TestParseSidecar(t *testing.T) {
	o, err := ParseSidecar([]byte(`{"LastModified":"Wed, 01 May 2024 10:05:00 GMT","ContentLength":12,"ObjectLockMode":"GOVERNANCE","ObjectLockRetainUntilDate":"2030-01-01T00:00:00.000Z","Metadata":{"x-amz-meta-Signature":"ab"}}`), "k")
	if err != nil {
		t.Fatal(err)
	}
	if o.LockMode != "GOVERNANCE" || !o.LockKnown || o.RetainUntil.Year() != 2030 || o.Size != 12 || o.Metadata["signature"] != "ab" ||
		!o.LastModified.Equal(time.Date(2024, 5, 1, 10, 5, 0, 0, time.UTC)) {
		t.Fatalf("%+v", o)
	}
	if _, err := ParseSidecar([]byte("not json"), "k"); err == nil {
		t.Fatal("garbage sidecar accepted")
	}
}

func TestReacquireComparesWithStoredCopy(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16) // 3 MiB: several chunks
	writeFiles(t, dir, map[string]string{"a.bin": string(big), "b.bin": string(big[:1000]), "c.bin": "short"})
	st := newCase(t)
	if _, err := acquireDir(t, context.Background(), st, dir); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Stat()
	// Unchanged: nothing stored, nothing written but the custody entries.
	rep, err := acquireDir(t, context.Background(), st, dir)
	if err != nil || len(rep.Stored) != 0 || len(rep.Present) != 3 {
		t.Fatalf("unchanged: stored %v present %d err %v", rep.Stored, len(rep.Present), err)
	}
	if after, _ := st.Stat(); after > before+(1<<20) {
		t.Fatalf("re-acquiring unchanged files grew the case from %d to %d bytes", before, after)
	}
	// Same sizes, other bytes: late in a, early in b.
	changedA := bytes.Clone(big)
	changedA[5<<19] ^= 1
	changedB := bytes.Clone(big[:1000])
	changedB[0] ^= 1
	writeFiles(t, dir, map[string]string{"a.bin": string(changedA), "b.bin": string(changedB)})
	rep, err = acquireDir(t, context.Background(), st, dir)
	if err != nil || len(rep.Stored) != 2 || len(rep.Present) != 1 {
		t.Fatalf("changed: stored %v present %d err %v", rep.Stored, len(rep.Present), err)
	}
	for _, s := range rep.Stored {
		it, _ := st.Item(s.ID)
		got, _ := io.ReadAll(st.OpenBlob(it))
		want := map[string][]byte{"a.bin": changedA, "b.bin": changedB}[it.Path]
		if !bytes.Equal(got, want) || it.SHA256 != evidence.Sum256(want) {
			t.Fatalf("%s: stored bytes differ from the file", it.Path)
		}
	}
	res, _ := st.Check(context.Background(), nil)
	if len(res.Problems) != 0 || res.Items != 5 {
		t.Fatalf("check: %+v", res)
	}
}

func TestAddress(t *testing.T) {
	const ct = "AWSLogs/1/CloudTrail/us-east-1/2025/03/10/f.json.gz"
	for _, tc := range []struct {
		location, path, bucket string
		wantBucket, wantKey    string
	}{
		// The bucket's folder acquired itself, or a folder above it.
		{"/e/acme-cloudtrail-logs/" + ct, ct, "", "acme-cloudtrail-logs", ct},
		{"/e/acme-cloudtrail-logs/" + ct, "acme-cloudtrail-logs/" + ct, "", "acme-cloudtrail-logs", ct},
		// The sidecar names the bucket: the key follows its folder.
		{"/e/b-1/trail/" + ct, "b-1/trail/" + ct, "b-1", "b-1", "trail/" + ct},
		{"/e/copy/" + ct, ct, "named", "named", ct},
		// No folder named like a bucket before AWSLogs/: nothing guessed.
		{"/e/bucket/ct/" + ct, "ct/" + ct, "", "", "ct/" + ct},
		{"/e/Logs_2025/" + ct, ct, "", "", ct},
		{"/e/logs.zip!/" + ct, ct, "", "", ct},
		{"/e/flow.log", "flow.log", "", "", "flow.log"},
		{"/e/flow.log", "flow.log", "b-2", "b-2", "flow.log"},
	} {
		b, k := Address(tc.location, tc.path, tc.bucket)
		if b != tc.wantBucket || k != tc.wantKey {
			t.Errorf("Address(%q, %q, %q) = %q, %q; want %q, %q", tc.location, tc.path, tc.bucket, b, k, tc.wantBucket, tc.wantKey)
		}
	}
}

func TestS3FieldsOfOlderItems(t *testing.T) {
	it := evidence.Item{Source: "/e/acme-network-logs/AWSLogs/1/elb/x.log.gz", Path: "acme-network-logs/AWSLogs/1/elb/x.log.gz",
		S3: &evidence.S3Object{Key: "acme-network-logs/AWSLogs/1/elb/x.log.gz", VersionID: "v1", CapturedFrom: "sidecar"}}
	o := S3Fields(it)
	if got := S3URI(o); got != "s3://acme-network-logs/AWSLogs/1/elb/x.log.gz?versionId=v1" {
		t.Fatalf("S3URI = %q", got)
	}
	if it.S3.Bucket != "" {
		t.Fatal("the stored item was changed")
	}
	if got := S3URI(&evidence.S3Object{Key: "k"}); got != "" {
		t.Fatalf("no bucket: S3URI = %q, want empty", got)
	}
}

func TestParseSidecarNamesBucket(t *testing.T) {
	o, err := ParseSidecar([]byte(`{"Bucket":"b-1","Key":"p/AWSLogs/x","VersionId":"v"}`), "x")
	if err != nil || o.Bucket != "b-1" || o.Key != "p/AWSLogs/x" {
		t.Fatalf("%+v %v", o, err)
	}
}
