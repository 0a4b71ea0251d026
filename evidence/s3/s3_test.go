package s3_test

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/objectlock"
	"github.com/trailcase/trailcase/evidence/s3"
	"github.com/trailcase/trailcase/evidence/s3test"
	"github.com/trailcase/trailcase/store"
)

func newTestCase(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "case.tcase"), evidence.CaseInfo{Name: "s3", Examiner: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var testActor = custody.Actor{Examiner: "tester", Host: "lab", ToolVersion: "test"}

func acquireS3(t *testing.T, st *store.Store, client s3.API, uri string, opts s3.Options) (*acquire.AcquireReport, *s3.Source) {
	t.Helper()
	opts.Store = st
	opts.Actor = &testActor
	src, err := s3.NewSource(client, uri, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{
		Sources: []evidence.Source{src}, Include: opts.Include, Exclude: opts.Exclude, Actor: testActor,
	})
	if err != nil {
		t.Fatalf("acquire %s: %v", uri, err)
	}
	return rep, src
}

func itemByKey(t *testing.T, st *store.Store, key string) evidence.Item {
	t.Helper()
	items, err := st.AllItems()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Path == key {
			return it
		}
	}
	t.Fatalf("no item with key %q", key)
	return evidence.Item{}
}

// TestS3Moto runs acquisition and Object Lock checks against moto_server.
func TestS3Moto(t *testing.T) {
	srv := s3test.Moto(t)
	client := s3test.Client(srv.URL)
	ctx := context.Background()
	if err := s3test.Seed(ctx, client); err != nil {
		t.Fatal(err)
	}
	lockedURI := "s3://" + s3test.LockedBucket
	plainURI := "s3://" + s3test.PlainBucket

	t.Run("acquire locked bucket", func(t *testing.T) {
		st := newTestCase(t)
		counted := newCountingS3(client)
		rep, src := acquireS3(t, st, counted, lockedURI+"/AWSLogs/", s3.Options{Endpoint: srv.URL})
		// One GetObject per object, no HeadObject; the lock calls of a
		// locked bucket.
		if n := counted.take(); n["GetObject"] != 5 || n["HeadObject"] != 0 || n["GetObjectRetention"] != 5 || n["GetObjectLegalHold"] != 5 {
			t.Errorf("requests %v", n)
		}
		if len(rep.Stored) != 5 || len(rep.Failed) != 0 {
			t.Fatalf("stored %d, failed %v", len(rep.Stored), rep.Failed)
		}
		if s := src.Stats(); s.Downloaded != 5 || s.Present != 0 || s.Listed != 5 {
			t.Errorf("stats %+v", s)
		}
		buckets, err := st.Buckets()
		if err != nil || len(buckets) != 1 {
			t.Fatalf("buckets %v %v", buckets, err)
		}
		b := buckets[0]
		if b.ObjectLockEnabled != "Enabled" || b.DefaultMode != "GOVERNANCE" || b.DefaultDays != 1 || b.Versioning != "Enabled" {
			t.Errorf("bucket %+v", b)
		}

		compl := itemByKey(t, st, s3test.KeyCompl)
		o := compl.S3
		if o == nil || o.Bucket != s3test.LockedBucket || o.VersionID == "" || o.VersionID == "null" {
			t.Fatalf("compliance object %+v", o)
		}
		if want := s3.ObjectURI(s3test.LockedBucket, s3test.KeyCompl, o.VersionID); compl.Source != want {
			t.Errorf("source %q, want %q", compl.Source, want)
		}
		if !o.LockKnown || o.LockMode != "COMPLIANCE" || !o.RetainUntil.Equal(s3test.RetainUntil) {
			t.Errorf("compliance lock: known=%v mode=%q until=%v errors=%v", o.LockKnown, o.LockMode, o.RetainUntil, o.CaptureErrors)
		}
		body := s3test.Body(s3test.KeyCompl)
		if compl.SHA256 != evidence.SHA256(sha256.Sum256([]byte(body))) || compl.Size != int64(len(body)) || o.Size != compl.Size {
			t.Errorf("hash/size: %s %d", compl.SHA256, compl.Size)
		}
		if o.ETag == "" || o.LastModified.IsZero() || o.CapturedFrom != "s3" || compl.Kind != evidence.KindCloudTrail {
			t.Errorf("object fields %+v kind %s", o, compl.Kind)
		}

		gov := itemByKey(t, st, s3test.KeyGov).S3
		if !gov.LockKnown || gov.LockMode != "GOVERNANCE" || !gov.RetainUntil.Equal(s3test.RetainUntil) {
			t.Errorf("governance lock %+v", gov)
		}
		hold := itemByKey(t, st, s3test.KeyHold).S3
		if !hold.LegalKnown || hold.LegalHold != "ON" {
			t.Errorf("legal hold %+v", hold)
		}
		// No retention header and an empty retention answer: unknown, not "unlocked".
		if hold.LockKnown || hold.LockMode != "" || len(hold.CaptureErrors) == 0 || !strings.Contains(hold.CaptureErrors[0], "GetObjectRetention") {
			t.Errorf("held object retention should be unknown: %+v", hold)
		}
		// Default retention stamps GOVERNANCE for one day on moto.
		def := itemByKey(t, st, s3test.KeyDefault).S3
		if !def.LockKnown || def.LockMode != "GOVERNANCE" || def.RetainUntil.Before(time.Now()) || def.RetainUntil.After(time.Now().Add(49*time.Hour)) {
			t.Errorf("default retention %+v", def)
		}
		dig := itemByKey(t, st, s3test.KeyDigest)
		if dig.Kind != evidence.KindCloudTrailDigest || dig.S3.Metadata["signature"] != s3test.Signature || dig.S3.Metadata["signature-algorithm"] != "SHA256withRSA" {
			t.Errorf("digest %s metadata %v", dig.Kind, dig.S3.Metadata)
		}

		// The bucket's state is in the custody log.
		var found bool
		st.Custody(func(e evidence.CustodyEntry) error {
			if e.Action == "capture-s3-bucket" && strings.Contains(e.Detail, "object lock Enabled") && strings.Contains(string(e.Data), `"default_mode":"GOVERNANCE"`) {
				found = true
			}
			return nil
		})
		if !found {
			t.Error("no custody entry for the bucket capture")
		}

		// Running again downloads nothing and stores nothing.
		rep2, src2 := acquireS3(t, st, counted, lockedURI+"/AWSLogs/", s3.Options{Endpoint: srv.URL})
		if n := counted.take(); n["GetObject"] != 0 || n["HeadObject"] != 0 || n["GetObjectRetention"] != 0 || n["GetObjectLegalHold"] != 0 {
			t.Errorf("second run requests %v", n)
		}
		if len(rep2.Stored) != 0 || len(rep2.Present) != 5 || len(rep2.Failed) != 0 {
			t.Errorf("second run: stored %d present %d failed %v", len(rep2.Stored), len(rep2.Present), rep2.Failed)
		}
		if s := src2.Stats(); s.Downloaded != 0 || s.Present != 5 {
			t.Errorf("second run stats %+v", s)
		}

		// Offline check from the case.
		r, err := objectlock.FromCase(st, objectlock.Requirements{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Objects != 5 || r.Summary.Compliance != 1 || r.Summary.LegalHoldOn != 1 {
			t.Errorf("offline summary %+v", r.Summary)
		}
		r, _ = objectlock.FromCase(st, objectlock.Requirements{Mode: "COMPLIANCE"}, time.Now())
		if r.OK || r.Summary.Failing != 4 {
			t.Errorf("require COMPLIANCE: ok=%v %+v", r.OK, r.Summary)
		}
	})

	t.Run("acquire plain bucket with include", func(t *testing.T) {
		st := newTestCase(t)
		rep, src := acquireS3(t, st, client, plainURI, s3.Options{Include: []string{"AWSLogs/**"}})
		if len(rep.Stored) != 1 || rep.Stored[0].Path != s3test.KeyPlain || rep.Stored[0].Kind != evidence.KindVPCFlow {
			t.Fatalf("stored %+v", rep.Stored)
		}
		if s := src.Stats(); s.Listed != 2 || s.Selected != 1 {
			t.Errorf("stats %+v", s)
		}
		it := itemByKey(t, st, s3test.KeyPlain)
		if it.S3.VersionID != "null" || !strings.HasSuffix(it.Source, "?versionId=null") {
			t.Errorf("unversioned: %q %q", it.S3.VersionID, it.Source)
		}
		// No Object Lock on the bucket: the objects are known to be unlocked.
		if !it.S3.LockKnown || it.S3.LockMode != "" || !it.S3.LegalKnown {
			t.Errorf("plain lock state %+v", it.S3)
		}
		b, _ := st.Buckets()
		if len(b) != 1 || b[0].ObjectLockEnabled != "" || b[0].Versioning != "" {
			t.Errorf("plain bucket %+v", b)
		}
		r, _ := objectlock.FromCase(st, objectlock.Requirements{Mode: "GOVERNANCE"}, time.Now())
		if r.OK || len(r.Problems) != 1 || r.Problems[0].Kind != objectlock.ProblemMode {
			t.Errorf("plain require governance: %+v", r.Problems)
		}
	})

	t.Run("GetObject captures what HeadObject shows", func(t *testing.T) {
		for _, uri := range []string{lockedURI, plainURI} {
			for _, opts := range []s3.Options{{}, {PrefetchMax: 1}} {
				head, get, err := s3.CaptureBoth(ctx, client, uri, opts)
				if err != nil {
					t.Fatal(err)
				}
				sameCapture(t, head, get)
			}
		}
	})

	t.Run("live", func(t *testing.T) {
		r, err := objectlock.Live(ctx, client, lockedURI, objectlock.LiveOptions{Endpoint: srv.URL},
			objectlock.Requirements{Mode: "GOVERNANCE"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// moto stamps no default retention on KeyHold (written with a
		// legal hold) and answers GetObjectRetention with an empty body:
		// its retention is unknown, which fails the check.
		if r.OK || r.Summary.Objects != 5 || r.Summary.Compliance != 1 || r.Summary.Governance != 3 ||
			r.Summary.Unknown != 1 || r.Summary.LegalHoldOn != 1 || len(r.Problems) != 1 {
			t.Fatalf("live governance: ok=%v %+v %+v", r.OK, r.Summary, r.Problems)
		}
		if p := r.Problems[0]; p.Kind != objectlock.ProblemUnknown || !strings.Contains(p.Object, s3test.KeyHold) {
			t.Errorf("problem %+v", p)
		}
		r, _ = objectlock.Live(ctx, client, lockedURI, objectlock.LiveOptions{Exclude: []string{"**/*cccc.json"}},
			objectlock.Requirements{Mode: "GOVERNANCE"}, time.Now())
		if !r.OK || r.Summary.Objects != 4 {
			t.Errorf("live governance without the held object: ok=%v %+v %+v", r.OK, r.Summary, r.Problems)
		}
		r, _ = objectlock.Live(ctx, client, lockedURI, objectlock.LiveOptions{},
			objectlock.Requirements{Until: time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC)}, time.Now())
		kinds := map[finding.Kind]int{}
		for _, p := range r.Problems {
			kinds[p.Kind]++
		}
		if r.OK || r.Summary.Failing != 3 || kinds[objectlock.ProblemUntil] != 2 || kinds[objectlock.ProblemUnknown] != 1 {
			t.Errorf("live until 2090: %+v %v", r.Summary, kinds)
		}
		r, _ = objectlock.Live(ctx, client, plainURI, objectlock.LiveOptions{}, objectlock.Requirements{}, time.Now())
		if r.OK || r.Summary.None != 2 || r.Summary.Failing != 2 || r.Buckets[0].ObjectLockEnabled != objectlock.LockNotConfigured || r.Buckets[0].Versioning != objectlock.VersioningNever {
			t.Errorf("live plain: %+v %+v", r.Summary, r.Buckets)
		}
	})

	t.Run("deleted objects leave a delete marker", func(t *testing.T) {
		if _, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(s3test.LockedBucket), Key: aws.String("gone/x.log"), ChecksumAlgorithm: "CRC32",
			Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(s3test.LockedBucket), Key: aws.String("gone/x.log")}); err != nil {
			t.Fatal(err)
		}
		st := newTestCase(t)
		rep, _ := acquireS3(t, st, client, lockedURI+"/gone/", s3.Options{})
		if len(rep.Stored) != 0 || len(rep.Refused) != 1 || !strings.Contains(rep.Refused[0].Reason, "delete marker") {
			t.Errorf("stored %d refused %+v", len(rep.Stored), rep.Refused)
		}
		rep, _ = acquireS3(t, st, client, lockedURI+"/gone/", s3.Options{AllVersions: true})
		if len(rep.Stored) != 1 {
			t.Errorf("all versions: stored %d failed %+v", len(rep.Stored), rep.Failed)
		}
	})
}
