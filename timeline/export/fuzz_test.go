package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// FuzzExportRow writes an arbitrary stored event through every export
// writer: JSON Lines gives one valid line, CSV one record of the header's
// width that a spreadsheet will not evaluate, Parquet one row that reads
// back; none panics or fails.
func FuzzExportRow(f *testing.F) {
	for _, e := range []timeline.Event{
		{Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Source: "cloudtrail", Principal: "=HYPERLINK(\"x\")", Action: "AssumeRole",
			OtherIPs: []string{"10.0.0.1", "-1"}, Raw: json.RawMessage(`{"eventName": "AssumeRole", "a": [1, 2]}`)},
		{Time: time.Unix(0, 0).UTC(), End: time.Unix(60, 0).UTC(), Source: "vpcflow", SrcPort: 443, DstPort: -1, Bytes: -5, Packets: 1 << 62,
			Fields: map[string]string{"action": "+ACCEPT", "": "\x00"}, Annotations: []string{"@x", "\ttab"}, Raw: json.RawMessage(`"2 1 eni-1 \r\n x"`)},
		{Source: "elb", Account: "../x", Region: ".", UserAgent: "\xff\xfe", Raw: json.RawMessage(`not json`)},
	} {
		f.Add(timeline.EncodeEvent(nil, &e), int64(1714557600e9))
	}
	f.Add([]byte(`{"source":"=1+1","time":"2024-05-01T10:00:00Z","raw":[1,{"a":"b"}]}`), int64(0))
	f.Add([]byte("\x02\x03garbage"), int64(-1))
	f.Add([]byte("-1+2"), int64(1<<62))
	f.Fuzz(func(t *testing.T, data []byte, nanos int64) {
		var r Row
		var ev timeline.Event
		se := store.StoredEvent{Item: 3, Record: 9, Time: time.Unix(0, nanos).UTC(), Data: data}
		decoded := decodeRow(&r, &ev, se, provenance{sha256: strings.Repeat("ab", 32), source: "s3://b/k", path: "k", kind: "cloudtrail"})
		if r.Time.IsZero() && !decoded {
			t.Fatal("undecodable event without the stored time")
		}

		// encoding/json writes the fields from a map: the row's list as one.
		plain := r
		if r.fieldNames != nil {
			plain.Fields = map[string]string{}
			for i, k := range r.fieldNames {
				plain.Fields[k] = r.fieldValues[i]
			}
		}
		var jb bytes.Buffer
		enc := json.NewEncoder(&jb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&plain); err != nil {
			t.Fatalf("jsonl: %v", err)
		}
		if bytes.Count(jb.Bytes(), []byte("\n")) != 1 || !json.Valid(jb.Bytes()) {
			t.Fatalf("jsonl: not one JSON line: %q", jb.String())
		}
		var sc jsonlScratch
		if line, err := sc.appendRow(nil, &r); err != nil || !bytes.Equal(line, jb.Bytes()) {
			t.Fatalf("jsonl: the row writer wrote (%v)\n%s\nencoding/json\n%s", err, line, jb.Bytes())
		}

		var cb bytes.Buffer
		cw := csv.NewWriter(&cb)
		rec := csvRecord(nil, &r)
		if err := cw.Write(CSVHeader); err != nil {
			t.Fatal(err)
		}
		if err := cw.Write(rec); err != nil {
			t.Fatalf("csv: %v", err)
		}
		cw.Flush()
		recs, err := csv.NewReader(&cb).ReadAll()
		if err != nil || len(recs) != 2 || len(recs[1]) != len(CSVHeader) {
			t.Fatalf("csv: %d records, %v: %q", len(recs), err, cb.String())
		}
		for i, v := range recs[1] {
			if v != rec[i] && strings.ReplaceAll(rec[i], "\r\n", "\n") != v {
				t.Fatalf("csv column %s: wrote %q, read %q", CSVHeader[i], rec[i], v)
			}
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && v != "-" {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Fatalf("csv column %s: %q would be evaluated", CSVHeader[i], v)
				}
			}
		}

		var pb bytes.Buffer
		pw := parquet.NewGenericWriter[ParquetRow](&pb)
		want := toParquet(&r)
		if _, err := pw.Write([]ParquetRow{want}); err != nil {
			t.Fatalf("parquet: %v", err)
		}
		if err := pw.Close(); err != nil {
			t.Fatalf("parquet: %v", err)
		}
		pr := parquet.NewGenericReader[ParquetRow](bytes.NewReader(pb.Bytes()))
		got := make([]ParquetRow, 2)
		n, err := pr.Read(got)
		if err != nil && err != io.EOF || n != 1 {
			t.Fatalf("parquet: read %d rows: %v", n, err)
		}
		if got[0].Raw != want.Raw || got[0].Time != want.Time || got[0].Fields != want.Fields || got[0].Principal != want.Principal {
			t.Fatalf("parquet: row changed:\n got %+v\nwant %+v", got[0], want)
		}
	})
}

// A stored event whose raw record is not JSON (a damaged case) is exported
// like an undecodable one instead of failing the JSON Lines export.
func TestDecodeRowDamagedRaw(t *testing.T) {
	e := timeline.Event{Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Source: "elb", Principal: "p", Raw: json.RawMessage(`"line`)}
	data := timeline.EncodeEvent(nil, &e)
	var r Row
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if decodeRow(&r, &timeline.Event{}, store.StoredEvent{Item: 1, Record: 2, Time: at, Data: data}, provenance{path: "k"}) {
		t.Fatal("damaged event reported as decoded")
	}
	if r.Source != "unknown" || r.Principal != "" || !r.Time.Equal(at) || r.EvidencePath != "k" || r.Record != 2 {
		t.Errorf("row %+v", r)
	}
	var s string
	if err := json.Unmarshal(r.Raw, &s); err != nil || !strings.Contains(s, "\x03elb") || !strings.HasSuffix(s, "\x00\x00\"line") {
		t.Errorf("raw %q: %v", r.Raw, err)
	}
	if _, err := json.Marshal(&r); err != nil {
		t.Errorf("jsonl: %v", err)
	}
}

// FuzzJSONText holds the export's JSON text functions to encoding/json:
// a field map is written as json.Marshal writes it (with the key orders of
// earlier maps remembered), a raw record reads as timeline.RawText reads
// it, and validRaw agrees with json.Valid.
func FuzzJSONText(f *testing.F) {
	f.Add("k", "v", `"a \"quoted\" line"`)
	f.Add("<&>", "\u2028\x00\xff", `"\u0041\n"`)
	f.Add("", "\"\\", `{"a":1}`)
	f.Add("é", "😀", `"\xff"`)
	f.Add("a", "b", `"unterminated`)
	var fo fieldOrders
	f.Fuzz(func(t *testing.T, k, v, raw string) {
		maps := []map[string]string{
			{k: v},
			{k: v, "srcaddr": v, "dstaddr": k},
			{"srcaddr": k, "dstaddr": v, k + "x": ""},
			{"srcaddr": v, "dstaddr": k, "action": v},
		}
		for _, m := range maps {
			want, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := fo.appendFieldsJSON(nil, m, true); string(got) != string(want) {
				t.Fatalf("fields %q:\n got %s\nwant %s", m, got, want)
			}
			var plain bytes.Buffer
			enc := json.NewEncoder(&plain)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(m); err != nil {
				t.Fatal(err)
			}
			if got := fo.appendFieldsJSON(nil, m, false); string(got)+"\n" != plain.String() {
				t.Fatalf("fields %q without HTML escapes:\n got %s\nwant %s", m, got, plain.Bytes())
			}
		}
		if got, want := rawText(json.RawMessage(raw)), timeline.RawText(json.RawMessage(raw)); got != want {
			t.Fatalf("rawText(%q) = %q, want %q", raw, got, want)
		}
		if got, want := validRaw(json.RawMessage(raw)), json.Valid([]byte(raw)); got != want {
			t.Fatalf("validRaw(%q) = %v, want %v", raw, got, want)
		}
	})
}
