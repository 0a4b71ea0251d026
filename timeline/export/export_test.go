package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// newCase acquires testdata/logs (2 CloudTrail records, 3 flow records and
// a broken line, 1 ALB request, a text file) into a new case.
func newCase(t *testing.T) *store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case.tcase")
	st, err := store.Create(path, evidence.CaseInfo{ID: "case-1", Name: "export test", Examiner: "e", Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src, err := acquire.OpenLocal("testdata/logs", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}}); err != nil {
		t.Fatal(err)
	}
	return st
}

func items(t *testing.T, st *store.Store) map[string]evidence.Item {
	t.Helper()
	all, err := st.AllItems()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]evidence.Item{}
	for _, it := range all {
		m[it.Path] = it
	}
	return m
}

const ctPath = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/ct.json"

func TestJSONL(t *testing.T) {
	st := newCase(t)
	var buf bytes.Buffer
	stats, err := JSONL(context.Background(), st, &buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Events != 6 || stats.Undecodable != 0 {
		t.Errorf("stats = %+v", stats)
	}
	var rows []Row
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", len(rows)+1, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Time.Before(rows[i-1].Time) {
			t.Errorf("row %d out of time order", i+1)
		}
	}
	it := items(t, st)
	ct := it[ctPath]
	first := rows[0]
	if first.Source != "cloudtrail" || first.Action != "ListBuckets" || first.Evidence != ct.ID || first.Record != 1 ||
		first.EvidenceSHA256 != ct.SHA256.String() || first.EvidenceSource != ct.Source || first.EvidencePath != ctPath ||
		first.SchemaVersion != SchemaVersion || first.Account != "111122223333" || first.Region != "us-east-1" ||
		!bytes.Contains(first.Raw, []byte(`"eventID":"e1"`)) {
		t.Errorf("first row = %+v", first)
	}
	var flows int
	for _, r := range rows {
		if r.Source == "vpcflow" {
			flows++
			if r.EvidencePath != "flow.log" || r.EvidenceSHA256 != it["flow.log"].SHA256.String() || r.Record < 2 || r.EndTime == nil {
				t.Errorf("flow row = %+v", r)
			}
		}
	}
	if flows != 3 {
		t.Errorf("%d flow rows", flows)
	}
}

func TestCSV(t *testing.T) {
	st := newCase(t)
	var buf bytes.Buffer
	stats, err := CSV(context.Background(), st, &buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 || stats.Events != 6 {
		t.Fatalf("%d records, stats %+v", len(recs), stats)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if len(recs[0]) != len(CSVHeader) {
		t.Fatalf("header %v", recs[0])
	}
	var stop, alb []string
	for _, r := range recs[1:] {
		if len(r) != len(CSVHeader) {
			t.Fatalf("row has %d cells", len(r))
		}
		switch r[col["action"]] {
		case "StopLogging":
			stop = r
		}
		if r[col["source"]] == "elb" {
			alb = r
		}
	}
	if stop == nil || alb == nil {
		t.Fatalf("rows missing: stop %v alb %v", stop, alb)
	}
	// A user agent a spreadsheet would run as a formula is defused.
	if got := stop[col["user_agent"]]; got != `'=HYPERLINK("http://evil")` {
		t.Errorf("user_agent = %q", got)
	}
	if got := stop[col["time"]]; got != "2024-05-01T12:01:00.000000Z" {
		t.Errorf("time = %q", got)
	}
	if got := stop[col["record"]]; got != "2" {
		t.Errorf("record = %q", got)
	}
	if !strings.HasPrefix(stop[col["raw"]], `{"eventVersion":"1.08"`) {
		t.Errorf("raw = %q", stop[col["raw"]])
	}
	if got := alb[col["src_port"]]; got != "51515" {
		t.Errorf("alb src_port = %q", got)
	}
	if !strings.HasPrefix(alb[col["raw"]], "https 2024-05-01T10:02:00.123456Z") {
		t.Errorf("alb raw = %q", alb[col["raw"]])
	}
	if got := alb[col["time"]]; got != "2024-05-01T10:02:00.123456Z" {
		t.Errorf("alb time = %q", got)
	}
}

// readParquet reads every part file under dir and returns the rows by
// partition directory.
func readParquet(t *testing.T, dir string) map[string][]ParquetRow {
	t.Helper()
	out := map[string][]ParquetRow{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, _ := f.Stat()
		pf, err := parquet.OpenFile(f, fi.Size())
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if v, ok := pf.Lookup(MetaSchemaVersion); !ok || v != "1" {
			t.Errorf("%s: schema version metadata %q %v", p, v, ok)
		}
		if v, _ := pf.Lookup(MetaCaseID); v != "case-1" {
			t.Errorf("%s: case id metadata %q", p, v)
		}
		r := parquet.NewGenericReader[ParquetRow](f)
		rows := make([]ParquetRow, pf.NumRows())
		n, err := r.Read(rows)
		if err != nil && err != io.EOF {
			t.Fatalf("%s: read: %v", p, err)
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(p))
		out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], rows[:n]...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParquet(t *testing.T) {
	st := newCase(t)
	dir := t.TempDir()
	stats, err := Parquet(context.Background(), st, dir, Options{ToolVersion: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Events != 6 || stats.Partitions != 3 || stats.Files != 3 {
		t.Errorf("stats = %+v", stats)
	}
	parts := readParquet(t, dir)
	var keys []string
	total := 0
	for k, rows := range parts {
		keys = append(keys, k)
		total += len(rows)
	}
	sort.Strings(keys)
	want := []string{
		"source=cloudtrail/account=111122223333/region=us-east-1/date=2024-05-01",
		"source=elb/account=111122223333/region=us-east-1/date=2024-05-01",
		"source=vpcflow/account=111122223333/region=unknown/date=2024-05-01",
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") || total != 6 {
		t.Fatalf("partitions = %v (%d rows)", keys, total)
	}
	it := items(t, st)
	ct := parts[want[0]]
	if len(ct) != 2 {
		t.Fatalf("cloudtrail rows = %d", len(ct))
	}
	r := ct[0]
	if r.SchemaVersion != 1 || r.Kind != "cloudtrail" || r.Evidence != int64(it[ctPath].ID) || r.Record != 1 ||
		r.EvidenceSHA256 != it[ctPath].SHA256.String() || r.EvidencePath != ctPath || r.Principal != "arn:aws:iam::111122223333:user/alice" ||
		r.SrcIP != "203.0.113.7" || r.Action != "ListBuckets" || r.EventID != "e1" ||
		r.Time != time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixMicro() || !strings.HasPrefix(r.Raw, `{"eventVersion"`) {
		t.Errorf("cloudtrail row = %+v", r)
	}
	// Absent values are nulls, not zeros.
	if r.SrcPort != nil || r.Bytes != nil || r.EndTime != nil {
		t.Errorf("cloudtrail row has ports/bytes/end: %+v", r)
	}
	flows := parts[want[2]]
	if len(flows) != 3 {
		t.Fatalf("flow rows = %d", len(flows))
	}
	f := flows[0]
	if f.SrcPort == nil || *f.SrcPort != 51515 || f.DstPort == nil || *f.DstPort != 443 || f.Bytes == nil || *f.Bytes != 840 ||
		f.EndTime == nil || *f.EndTime != time.Unix(1714557660, 0).UnixMicro() || f.Outcome == "" || f.Raw == "" || f.Raw[0] == '"' {
		t.Errorf("flow row = %+v ports %v %v bytes %v end %v", f, deref(f.SrcPort), deref(f.DstPort), deref(f.Bytes), deref(f.EndTime))
	}

	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != 1 || m.Events != 6 || len(m.Files) != 3 || m.CaseID != "case-1" || m.ToolVersion != "v1.2.3" {
		t.Errorf("manifest = %+v", m)
	}
}

// With one open file at a time, interleaved partitions spill into more
// part files, and no row is lost.
func TestParquetBoundedWriters(t *testing.T) {
	st := newCase(t)
	defer func(n, rg int) { maxOpen, rowGroupRows = n, rg }(maxOpen, rowGroupRows)
	maxOpen, rowGroupRows = 1, 1
	dir := t.TempDir()
	stats, err := Parquet(context.Background(), st, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files <= stats.Partitions {
		t.Errorf("stats = %+v: want more files than partitions", stats)
	}
	total := 0
	for _, rows := range readParquet(t, dir) {
		total += len(rows)
	}
	if total != 6 {
		t.Errorf("%d rows read back", total)
	}
}

func TestParquetEmptyCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.tcase")
	st, err := store.Create(path, evidence.CaseInfo{ID: "x", Name: "empty", Examiner: "e"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	stats, err := Parquet(context.Background(), st, dir, Options{})
	if err != nil || stats.Events != 0 || stats.Files != 0 {
		t.Fatalf("stats %+v, err %v", stats, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); err != nil {
		t.Error(err)
	}
}

func TestCancelled(t *testing.T) {
	st := newCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := JSONL(ctx, st, io.Discard, Options{})
	_ = err // six events fit in one batch: cancellation is checked per 1024 events
	if _, err := Parquet(ctx, st, t.TempDir(), Options{}); err != nil && err != context.Canceled {
		t.Errorf("err = %v", err)
	}
}

func TestPartitionValue(t *testing.T) {
	for in, want := range map[string]string{
		"":             "unknown",
		"us-east-1":    "us-east-1",
		"111122223333": "111122223333",
		"../etc":       "%2E.%2Fetc",
		".hidden":      "%2Ehidden",
		"a=b/c":        "a%3Db%2Fc",
		"a b%":         "a%20b%25",
		"é":            "%C3%A9",
	} {
		if got := PartitionValue(in); got != want {
			t.Errorf("PartitionValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := PartitionPath("elb", "", "eu-west-1", time.Time{}); got != "source=elb/account=unknown/region=eu-west-1/date=unknown" {
		t.Errorf("PartitionPath = %q", got)
	}
}

func FuzzPartitionValue(f *testing.F) {
	for _, s := range []string{"", "us-east-1", "../x", ".", "..", "a/b", "%", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := PartitionValue(s)
		if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\\=\x00") || strings.HasPrefix(v, ".") {
			t.Fatalf("PartitionValue(%q) = %q", s, v)
		}
	})
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
