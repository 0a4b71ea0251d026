package digest_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

var update = flag.Bool("update", false, "rewrite the committed digest corpus and goldens")

// corpusDir is the shared corpus of intact and tampered digest chains.
const corpusDir = "../testdata/digest"

const (
	testBucket  = "trailcase-example-trail-logs"
	testPrefix  = "ct"
	testAccount = "111122223333"
	testTrail   = "org-audit_trail.v2"
)

func testKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := digesttest.ParseKey(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k
}

// records returns a small, realistic CloudTrail log document.
func records(at time.Time, n int, ip string) []byte {
	names := []string{"GetCallerIdentity", "DescribeInstances", "ListBuckets", "AssumeRole", "GetObject", "PutObject"}
	var recs []string
	for i := range n {
		et := at.Add(-time.Duration(4+i) * time.Minute).UTC().Format(time.RFC3339)
		name := names[(at.Hour()+i)%len(names)]
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%04d","arn":"arn:aws:iam::%s:user/analyst","accountId":"%s","accessKeyId":"AKIAEXAMPLE%05d","userName":"analyst"},"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"aws-cli/2.15.0","requestParameters":null,"responseElements":null,"requestID":"%08x-0000-4000-8000-%012x","eventID":"%08x-1111-4000-8000-%012x","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management"}`,
			i, testAccount, testAccount, i, et, name, ip, at.Unix(), i, at.Unix(), i, testAccount))
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

// corpus is one directory of the corpus: a bucket tree and what
// validating it must find.
type corpus struct {
	name  string
	files map[string][]byte
	exp   expectation
}

type expectation struct {
	Description string      `json:"description"`
	Runs        []expectRun `json:"runs"`
}

type expectRun struct {
	RequireSignatures  bool           `json:"require_signatures,omitempty"`
	Valid              bool           `json:"valid"`
	Digests            int            `json:"digests_checked"`
	SignaturesVerified int            `json:"signatures_verified"`
	Problems           []expectFinder `json:"problems"`
}

type expectFinder struct {
	Kind   finding.Kind `json:"kind"`
	Object string       `json:"object"`
}

// intactChain is two days of hourly digests in us-east-1 (with empty
// hours and a backfill digest) plus a few hours in us-west-2.
func intactChain(t testing.TB, key *rsa.PrivateKey) map[string][]byte {
	start := time.Date(2026, 3, 2, 0, 36, 49, 0, time.UTC)
	files := map[string][]byte{}
	east := digesttest.NewChain(key, testAccount, "us-east-1", testTrail, testBucket, testPrefix)
	east.Start = start
	var late *digesttest.Log
	for h := range 48 {
		hs := start.Add(time.Duration(h) * time.Hour)
		var logs []*digesttest.Log
		if h%5 != 4 {
			for j := range 1 + h%2 {
				l, err := east.NewRecordsLog(hs.Add(time.Duration(12+j*20)*time.Minute), records(hs.Add(time.Duration(12+j*20)*time.Minute), 1+(h+j)%3, "203.0.113.7"))
				if err != nil {
					t.Fatal(err)
				}
				logs = append(logs, l)
			}
		}
		if h == 10 {
			// Delivered late: listed by a backfill digest, not by the hourly one.
			var err error
			if late, err = east.NewRecordsLog(hs.Add(50*time.Minute), records(hs.Add(50*time.Minute), 2, "198.51.100.23")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := east.AddDigest(logs...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := east.AddBackfill(start.Add(30*time.Hour), late); err != nil {
		t.Fatal(err)
	}
	maps(files, east.Files())

	west := digesttest.NewChain(key, testAccount, "us-west-2", testTrail, testBucket, testPrefix)
	west.HomeRegion = "us-east-1"
	west.Start = start.Add(7 * time.Second)
	for h := range 6 {
		var logs []*digesttest.Log
		if h == 2 {
			at := west.Start.Add(2*time.Hour + 30*time.Minute)
			l, err := west.NewRecordsLog(at, records(at, 1, "192.0.2.44"))
			if err != nil {
				t.Fatal(err)
			}
			logs = append(logs, l)
		}
		if _, err := west.AddDigest(logs...); err != nil {
			t.Fatal(err)
		}
	}
	maps(files, west.Files())
	return files
}

func maps(dst, src map[string][]byte) {
	for k, v := range src {
		dst[k] = v
	}
}

// smallChain is the base of the tampered variants: eight hourly digests
// in us-east-1, hour 4 empty.
func smallChain(t testing.TB, key *rsa.PrivateKey, edit func(*digesttest.Digest, *digesttest.Fields)) *digesttest.Chain {
	c := digesttest.NewChain(key, testAccount, "us-east-1", testTrail, testBucket, testPrefix)
	c.Start = time.Date(2026, 3, 10, 5, 41, 7, 0, time.UTC)
	c.Edit = edit
	for h := range 8 {
		hs := c.Start.Add(time.Duration(h) * time.Hour)
		var logs []*digesttest.Log
		if h != 4 {
			for j := range 1 + h%2 {
				at := hs.Add(time.Duration(15+j*25) * time.Minute)
				l, err := c.NewRecordsLog(at, records(at, 1+j, "203.0.113.7"))
				if err != nil {
					t.Fatal(err)
				}
				logs = append(logs, l)
			}
		}
		if _, err := c.AddDigest(logs...); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func clone(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = bytes.Clone(v)
	}
	return out
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	out, err := digesttest.FirstMember(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rewrite replaces old by new in the decompressed object at key and
// stores it gzipped again; a sidecar keeps its signature but gets the new
// ETag and length, as head-object would show after an overwrite that
// copied the metadata.
func rewrite(t testing.TB, files map[string][]byte, key, old, new string) {
	t.Helper()
	plain := gunzip(t, files[key])
	if !bytes.Contains(plain, []byte(old)) {
		t.Fatalf("rewrite %s: %q not found", key, old)
	}
	body := digesttest.Gzip(bytes.Replace(plain, []byte(old), []byte(new), 1))
	files[key] = body
	if sc, ok := files[key+digesttest.SidecarSuffix]; ok {
		var h struct {
			Metadata     map[string]string
			LastModified string
		}
		if err := json.Unmarshal(sc, &h); err != nil {
			t.Fatal(err)
		}
		lm, _ := time.Parse("2006-01-02T15:04:05-07:00", h.LastModified)
		files[key+digesttest.SidecarSuffix] = digesttest.Sidecar(body, h.Metadata, lm.Add(72*time.Hour))
	}
}

func move(files map[string][]byte, from, to string) {
	for _, suffix := range []string{"", digesttest.SidecarSuffix} {
		if b, ok := files[from+suffix]; ok {
			files[to+suffix] = b
			delete(files, from+suffix)
		}
	}
}

func remove(files map[string][]byte, key string) {
	delete(files, key)
	delete(files, key+digesttest.SidecarSuffix)
}

// problems pairs kinds and objects: problems(kind, object, kind, object…).
func problems(kv ...any) []expectFinder {
	var out []expectFinder
	for i := 0; i < len(kv); i += 2 {
		out = append(out, expectFinder{kv[i].(finding.Kind), kv[i+1].(string)})
	}
	return out
}

func one(desc string, digests, sigs int, probs ...expectFinder) expectation {
	return expectation{Description: desc, Runs: []expectRun{{Valid: len(probs) == 0, Digests: digests, SignaturesVerified: sigs, Problems: probs}}}
}

// buildCorpus returns every corpus directory.
func buildCorpus(t testing.TB) []corpus {
	key, other := testKey(t, "test-key.pem"), testKey(t, "test-key-unknown.pem")
	var out []corpus
	intact := intactChain(t, key)
	out = append(out, corpus{"intact", intact, expectation{
		Description: "two days of hourly digests in us-east-1 (empty hours, one log listed by a backfill digest) and six hours in us-west-2; everything signed and intact",
		Runs: []expectRun{{Valid: true, Digests: 55, SignaturesVerified: 55, Problems: []expectFinder{}},
			{RequireSignatures: true, Valid: true, Digests: 55, SignaturesVerified: 55, Problems: []expectFinder{}}}}})

	base := smallChain(t, key, nil)
	d := base.Digests
	files := base.Files()
	logOf := func(i int) string { return d[i].Logs[0].Key }

	v := clone(files)
	rewrite(t, v, logOf(2), "203.0.113.7", "198.51.100.99")
	out = append(out, corpus{"log-modified", v, one("a log's content was changed (the source IP of an event)", 8, 8,
		problems(digest.LogHashMismatch, logOf(2))...)})

	v = clone(files)
	remove(v, logOf(3))
	out = append(out, corpus{"log-deleted", v, one("a log listed by a digest was deleted", 8, 8,
		problems(digest.LogMissing, logOf(3))...)})

	v = clone(files)
	remove(v, d[3].Key)
	out = append(out, corpus{"digest-deleted", v, one("one digest in the middle of the chain was deleted", 7, 7,
		problems(digest.DigestMissing, d[3].Key)...)})

	v = clone(files)
	remove(v, d[3].Key)
	remove(v, d[4].Key)
	out = append(out, corpus{"digests-deleted-consecutive", v, one("two consecutive digests were deleted: the second is named by its successor, the first is found from the gap (aws-cli misses it)", 6, 6,
		problems(digest.DigestMissing, d[3].Key, digest.DigestMissing, d[4].Key)...)})

	v = clone(files)
	rewrite(t, v, logOf(2), "203.0.113.7", "198.51.100.99")
	newSum := sha256hex(gunzip(t, v[logOf(2)]))
	rewrite(t, v, d[2].Key, hex.EncodeToString(d[2].Logs[0].Hash[:]), newSum)
	out = append(out, corpus{"digest-rewritten", v, one("a log was changed and its digest rewritten to match it: the digest's signature and its successor's previousDigestHashValue give it away", 8, 7,
		problems(digest.DigestHashMismatch, d[2].Key, digest.SignatureInvalid, d[2].Key)...)})

	v = clone(files)
	v[logOf(5)] = append(v[logOf(5)], digesttest.Gzip(records(d[5].End, 1, "198.51.100.66"))...)
	out = append(out, corpus{"log-appended-member", v, one("a second gzip member was appended to a log: its hash still matches, the extra events must never be trusted", 8, 8,
		problems(digest.TrailingData, logOf(5))...)})

	forged := smallChain(t, other, nil)
	var unk []expectFinder
	for _, fd := range forged.Digests {
		unk = append(unk, expectFinder{digest.PublicKeyUnknown, fd.Key})
	}
	out = append(out, corpus{"unknown-key", forged.Files(), one("the whole chain was signed with a key CloudTrail never published", 8, 0, unk...)})

	v = clone(files)
	for _, x := range d {
		delete(v, x.Key+digesttest.SidecarSuffix)
	}
	out = append(out, corpus{"no-signature-metadata", v, expectation{
		Description: "copied with aws s3 sync, no sidecars: every digest but the newest is verified with its successor's previousDigestSignature",
		Runs: []expectRun{{Valid: true, Digests: 8, SignaturesVerified: 7, Problems: []expectFinder{}},
			{RequireSignatures: true, Valid: false, Digests: 8, SignaturesVerified: 7, Problems: problems(digest.SignatureMissing, d[7].Key)}}}})

	v = clone(files)
	moved := strings.Replace(d[5].Key, "/2026/03/10/", "/2026/03/09/", 1)
	move(v, d[5].Key, moved)
	out = append(out, corpus{"digest-moved", v, one("a digest was moved to another day's folder", 8, 8,
		problems(digest.DigestMoved, moved)...)})

	broken := smallChain(t, key, func(x *digesttest.Digest, f *digesttest.Fields) {
		if f.PreviousDigestHashValue != nil && strings.HasSuffix(x.Key, "_20260310T104107Z.json.gz") {
			bad := "0000" + (*f.PreviousDigestHashValue)[4:]
			f.PreviousDigestHashValue = &bad
		}
	})
	out = append(out, corpus{"previous-hash-broken", broken.Files(), one("a correctly signed digest whose previousDigestHashValue does not match its predecessor (aws-cli does not check it)", 8, 8,
		problems(digest.DigestHashMismatch, broken.Digests[3].Key)...)})

	v = clone(files)
	extra, err := base.NewRecordsLog(d[5].Start.Add(20*time.Minute), records(d[5].Start.Add(20*time.Minute), 2, "198.51.100.66"))
	if err != nil {
		t.Fatal(err)
	}
	v[extra.Key] = extra.Body
	out = append(out, corpus{"log-added", v, one("a log file no digest lists was added inside the covered period", 8, 8,
		problems(digest.LogNotInDigest, extra.Key)...)})

	v = clone(files)
	v[d[2].Key] = digesttest.Gzip([]byte(`{"awsAccountId":"111122223333","digestStartTime":`))
	out = append(out, corpus{"digest-invalid", v, one("a digest was replaced by one that is not valid JSON", 8, 7,
		problems(digest.DigestHashMismatch, d[2].Key, digest.DigestInvalid, d[2].Key)...)})

	v = clone(files)
	sc := v[d[6].Key+digesttest.SidecarSuffix]
	sc = bytes.Replace(sc, []byte(`"signature": "`+d[6].Signature[:8]), []byte(`"signature": "zz`+d[6].Signature[2:8]), 1)
	v[d[6].Key+digesttest.SidecarSuffix] = sc
	out = append(out, corpus{"signature-not-hex", v, one("the signature in a digest's metadata is not hex", 8, 7,
		problems(digest.SignatureInvalid, d[6].Key)...)})
	return out
}

func sha256hex(b []byte) string {
	s := evidence.Sum256(b)
	return s.String()
}

// TestGenerateCorpus checks that the committed corpus is what the
// generator makes; with -update it rewrites it.
func TestGenerateCorpus(t *testing.T) {
	all := buildCorpus(t)
	key := testKey(t, "test-key.pem")
	keyFile := digesttest.KeyFile(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), &key.PublicKey)
	if *update {
		for _, c := range all {
			dir := filepath.Join(corpusDir, c.name)
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := digesttest.WriteFiles(filepath.Join(dir, "bucket"), c.files); err != nil {
				t.Fatal(err)
			}
			b, _ := json.MarshalIndent(c.exp, "", "  ")
			if err := os.WriteFile(filepath.Join(dir, "expect.json"), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(corpusDir, "public-keys.json"), keyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(filepath.Join(corpusDir, "public-keys.json"))
	if err != nil || !bytes.Equal(got, keyFile) {
		t.Errorf("public-keys.json is stale (err %v): run go test ./digest -run TestGenerateCorpus -update", err)
	}
	for _, c := range all {
		dir := filepath.Join(corpusDir, c.name, "bucket")
		have := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			have[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v (run with -update)", c.name, err)
		}
		if len(have) != len(c.files) {
			t.Errorf("%s: %d files committed, generator makes %d: run with -update", c.name, len(have), len(c.files))
		}
		for k, b := range c.files {
			if !bytes.Equal(have[k], b) {
				t.Errorf("%s: %s differs from the generator's: run with -update", c.name, k)
			}
		}
	}
}

// loadDir returns the objects of a bucket tree, with sidecar metadata.
func loadDir(t testing.TB, dir string) []digest.Object {
	t.Helper()
	var objs []digest.Object
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(p, digesttest.SidecarSuffix) {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		o := digest.Object{Key: filepath.ToSlash(rel), Kind: evidence.KindUnknown}
		switch {
		case strings.Contains(o.Key, "/CloudTrail-Digest/"):
			o.Kind = evidence.KindCloudTrailDigest
		case strings.Contains(o.Key, "/CloudTrail/"):
			o.Kind = evidence.KindCloudTrail
		}
		if sc, err := os.ReadFile(p + digesttest.SidecarSuffix); err == nil {
			var h struct{ Metadata map[string]string }
			if err := json.Unmarshal(sc, &h); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			o.Metadata = h.Metadata
		}
		path := p
		o.Open = func() (io.ReadCloser, error) { return os.Open(path) }
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func loadKeys(t testing.TB) []evidence.PublicKey {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "public-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys, err := digest.ParseKeyFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestCorpus validates every corpus directory and checks that exactly the
// declared findings come out.
func TestCorpus(t *testing.T) {
	keys := loadKeys(t)
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "*", "expect.json"))
	if err != nil || len(dirs) < 12 {
		t.Fatalf("corpus: %d directories (%v)", len(dirs), err)
	}
	for _, ej := range dirs {
		dir := filepath.Dir(ej)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			exp := readExpect(t, filepath.Base(dir))
			objs := loadDir(t, filepath.Join(dir, "bucket"))
			for _, run := range exp.Runs {
				r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: keys, RequireSignatures: run.RequireSignatures})
				if err != nil {
					t.Fatal(err)
				}
				var got []expectFinder
				for _, p := range r.Problems {
					got = append(got, expectFinder{p.Kind, p.Object})
					if p.Detail == "" {
						t.Errorf("%s %s: empty detail", p.Kind, p.Object)
					}
				}
				want := slices.Clone(run.Problems)
				sortFindings(got)
				sortFindings(want)
				if !slices.Equal(got, want) {
					t.Errorf("require_signatures=%v: problems\n got %v\nwant %v\ndetails: %+v\nnotices: %q", run.RequireSignatures, got, want, r.Problems, r.Notices)
				}
				if r.Valid != run.Valid || r.DigestsChecked != run.Digests || r.SignaturesVerified != run.SignaturesVerified {
					t.Errorf("require_signatures=%v: valid=%v digests=%d signatures=%d, want %v %d %d", run.RequireSignatures,
						r.Valid, r.DigestsChecked, r.SignaturesVerified, run.Valid, run.Digests, run.SignaturesVerified)
				}
			}
		})
	}
}

func sortFindings(f []expectFinder) {
	sort.Slice(f, func(i, j int) bool {
		if f[i].Object != f[j].Object {
			return f[i].Object < f[j].Object
		}
		return f[i].Kind < f[j].Kind
	})
}

func readExpect(t testing.TB, name string) expectation {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name, "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp expectation
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	return exp
}
