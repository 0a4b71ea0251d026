package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/incident"
)

// The exports make their rows on several goroutines and write field maps
// and raw records without encoding/json. The tests below hold every
// format to rows made the plain way, one event after the other with
// encoding/json and timeline.RawText, on the built-in incident and on a
// generated case whose values are full of quotes, escapes, HTML
// characters, controls and invalid UTF-8.

// acquireDir acquires dir into a new case.
func acquireDir(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "case.tcase"), evidence.CaseInfo{ID: "case-1", Name: "equiv", Examiner: "e"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src, err := acquire.OpenLocal(dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// plainRow is decodeRow done with encoding/json's validation.
func plainRow(se store.StoredEvent, p provenance) Row {
	var r Row
	ev, err := timeline.DecodeEvent(se.Data)
	if err != nil || len(ev.Raw) > 0 && !json.Valid(ev.Raw) {
		ev = timeline.Event{Time: se.Time, Source: "unknown", Raw: jsonString(se.Data)}
	}
	fillRow(&r, &ev, se, p)
	return r
}

// plainFields is the fields column as encoding/json writes it.
func plainFields(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// plainParquet is the Parquet row of r with fields and raw made the
// plain way.
func plainParquet(r *Row) ParquetRow {
	p := toParquet(r)
	p.Fields = plainFields(r.Fields)
	p.Raw = timeline.RawText(r.Raw)
	return p
}

// plainCSV is the CSV record of r with fields and raw made the plain way.
func plainCSV(r *Row) []string {
	rec := csvRecord(nil, r)
	fields := plainFields(r.Fields)
	raw := timeline.RawText(r.Raw)
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var c bytes.Buffer
		if json.Compact(&c, r.Raw) == nil {
			raw = c.String()
		}
	}
	rec[35] = timeline.CSVRow{}.Text(fields)[0]
	rec[36] = timeline.CSVRow{}.Text(raw)[0]
	return rec
}

// plainExport is every format's output made the plain way.
type plainExport struct {
	jsonl  []byte
	csv    []byte
	events int
	parts  map[string][]ParquetRow
}

func exportPlainly(t *testing.T, st *store.Store) plainExport {
	t.Helper()
	items := map[uint64]provenance{}
	err := st.Items(func(it evidence.Item) error {
		items[it.ID] = provenance{sha256: it.SHA256.String(), source: it.Source, path: it.Path, kind: it.Kind}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := plainExport{parts: map[string][]ParquetRow{}}
	var jb, cb bytes.Buffer
	enc := json.NewEncoder(&jb)
	enc.SetEscapeHTML(false)
	cw := csv.NewWriter(&cb)
	if err := cw.Write(CSVHeader); err != nil {
		t.Fatal(err)
	}
	err = st.EventsByTime(time.Time{}, time.Time{}, func(se store.StoredEvent) error {
		r := plainRow(se, items[se.Item])
		out.events++
		if err := enc.Encode(&r); err != nil {
			return err
		}
		if err := cw.Write(plainCSV(&r)); err != nil {
			return err
		}
		key := PartitionPath(r.Source, r.Account, r.Region, r.Time)
		out.parts[key] = append(out.parts[key], normalParquet(plainParquet(&r)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	out.jsonl, out.csv = jb.Bytes(), cb.Bytes()
	return out
}

// normalParquet makes empty lists nil, as they read back from a file.
func normalParquet(p ParquetRow) ParquetRow {
	for _, l := range []*[]string{&p.OtherIPs, &p.Annotations, &p.Resources} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return p
}

func checkSameExports(t *testing.T, st *store.Store, minEvents int) {
	t.Helper()
	want := exportPlainly(t, st)
	if want.events < minEvents {
		t.Fatalf("only %d events in the case", want.events)
	}
	ctx := context.Background()

	var jb bytes.Buffer
	if _, err := JSONL(ctx, st, &jb, Options{}); err != nil {
		t.Fatal(err)
	}
	compareLines(t, "jsonl", jb.Bytes(), want.jsonl)

	var cb bytes.Buffer
	if _, err := CSV(ctx, st, &cb, Options{}); err != nil {
		t.Fatal(err)
	}
	compareLines(t, "csv", cb.Bytes(), want.csv)

	dir := t.TempDir()
	stats, err := Parquet(ctx, st, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Events != int64(want.events) || stats.Partitions != len(want.parts) {
		t.Errorf("parquet stats %+v, want %d events in %d partitions", stats, want.events, len(want.parts))
	}
	got := readParquet(t, dir)
	if len(got) != len(want.parts) {
		t.Errorf("%d partitions, want %d", len(got), len(want.parts))
	}
	for key, rows := range want.parts {
		g := got[key]
		if len(g) != len(rows) {
			t.Errorf("%s: %d rows, want %d", key, len(g), len(rows))
			continue
		}
		for i := range rows {
			if p := normalParquet(g[i]); !reflect.DeepEqual(p, rows[i]) {
				t.Errorf("%s row %d:\n got %+v\nwant %+v", key, i, p, rows[i])
				break
			}
		}
	}
}

func compareLines(t *testing.T, format string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Fatalf("%s line %d:\n got %s\nwant %s", format, i+1, g[i], w[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", format, len(g), len(w))
}

func TestExportsMatchPlainRowsIncident(t *testing.T) {
	dir := t.TempDir()
	if err := incident.Write(dir); err != nil {
		t.Fatal(err)
	}
	checkSameExports(t, acquireDir(t, dir), 500)
}

func TestExportsMatchPlainRowsGenerated(t *testing.T) {
	dir := t.TempDir()
	writeGeneratedLogs(t, dir, rand.New(rand.NewPCG(18, 4)), 1500)
	defer func(n int) { maxOpen = n }(maxOpen)
	maxOpen = 8 // fewer than the partitions: part files spill
	checkSameExports(t, acquireDir(t, dir), 4500)
}

// awkward are pieces of values that JSON, CSV and Parquet writers treat
// specially.
var awkward = []string{
	`"`, `\`, `\"`, "<", ">", "&", "\u2028", "\u2029", "\t", "\x01", "\x7f", "é", "😀", "\xff", "\xe2\x80",
	"=1+1", "-", "@", "/", "%", ".", "\\u0041", "null", "{}", "[1]", " ",
}

// randomText is a short string of letters and awkward pieces.
func randomText(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(6) {
		if r.IntN(3) == 0 {
			b.WriteString(awkward[r.IntN(len(awkward))])
		} else {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
	}
	return b.String()
}

// writeGeneratedLogs writes n CloudTrail records, n flow log lines and n
// ALB lines over three days, with awkward values wherever the formats let
// a value be anything.
func writeGeneratedLogs(t *testing.T, dir string, r *rand.Rand, n int) {
	t.Helper()
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	at := func() time.Time {
		return base.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond)
	}
	accounts := []string{"111122223333", "444455556666"}
	var records []map[string]any
	for i := range n {
		rec := map[string]any{
			"eventVersion": "1.08", "eventTime": at().Format(time.RFC3339), "eventSource": "s3.amazonaws.com",
			"eventName":       []string{"GetObject", "AssumeRole", "StopLogging", randomText(r)}[r.IntN(4)],
			"awsRegion":       []string{"us-east-1", "eu-west-1", "", randomText(r)}[r.IntN(4)],
			"sourceIPAddress": fmt.Sprintf("203.0.113.%d", r.IntN(256)), "userAgent": randomText(r),
			"eventID": fmt.Sprintf("e-%d", i), "recipientAccountId": accounts[r.IntN(2)],
			"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/" + randomText(r),
				"accessKeyId": "AKIA" + randomText(r), "userName": randomText(r)},
			"requestParameters": map[string]any{"bucketName": randomText(r), "key": randomText(r)},
		}
		if r.IntN(4) == 0 {
			rec["errorCode"] = randomText(r)
		}
		records = append(records, rec)
	}
	ct, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	var flow, alb bytes.Buffer
	flow.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for range n {
		start := at()
		fmt.Fprintf(&flow, "2 %s eni-%x 10.0.%d.%d 198.51.100.%d %d %d 6 %d %d %d %d %s OK\n", accounts[r.IntN(2)], r.Uint32(),
			r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(65536), r.IntN(65536), r.IntN(100), r.IntN(1<<20),
			start.Unix(), start.Unix()+60, []string{"ACCEPT", "REJECT"}[r.IntN(2)])
		ua := strings.NewReplacer(`"`, `\"`, " ", "_", "\t", "_", "\xff", "", "\xe2\x80", "").Replace(randomText(r))
		fmt.Fprintf(&alb, "https %s app/web/50dc6c495c0c9188 203.0.113.%d:%d 10.0.1.5:80 0.000 0.001 0.000 200 200 34 %d \"GET https://shop.example.com:443/%s HTTP/1.1\" \"%s\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"shop.example.com\" \"-\" 0 %s \"forward\" \"-\" \"-\" \"10.0.1.5:80\" \"200\" \"-\" \"-\"\n",
			at().Format("2006-01-02T15:04:05.000000Z"), r.IntN(256), r.IntN(65536), r.IntN(1<<16), strings.ReplaceAll(ua, `\"`, "q"), ua,
			base.Format("2006-01-02T15:04:05.000000Z"))
	}
	for name, b := range map[string][]byte{
		"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/ct.json": ct,
		"flow.log": flow.Bytes(),
		"AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/05/01/111122223333_elasticloadbalancing_us-east-1_app.web.50dc6c495c0c9188_20240501T1000Z_10.0.0.1_abc.log": alb.Bytes(),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
