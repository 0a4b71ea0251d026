package timeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
)

// FuzzWriters renders arbitrary stored events (as JSON) in every format:
// no panic, one valid JSON document per jsonl and timesketch line, a CSV
// that reads back, one table line per event.
func FuzzWriters(f *testing.F) {
	for _, e := range incidentEvents() {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	f.Add([]byte(`{"time":"2025-03-10T14:00:00Z","source":"elb","principal":"=1+2\n\"x","action":"GET \u0000 /\r\nfoo","src_ip":"2001:db8::1","src_port":80,"annotations":["a\nb"]}`))
	f.Add([]byte(`{"source":"vpcflow","raw":"not json","fields":{"log-status":"NODATA"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Event
		if json.Unmarshal(data, &e) != nil {
			return
		}
		m := &Match{Event: &e, Why: []string{"why\nnot"}}
		for _, format := range Formats {
			var b bytes.Buffer
			w, err := NewWriter(&b, format)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Begin(&Correlation{Resolution: &Resolution{Principal: e.Principal}}); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(m); err != nil {
				return // e.g. a time JSON cannot encode
			}
			if err := w.End(&Summary{Events: 1, BySource: map[string]int{e.Source: 1}, Principals: []Count{{e.Principal, 1}}}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			switch format {
			case FormatJSONL, FormatTimesketch:
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				if len(lines) != 1 || !json.Valid([]byte(lines[0])) {
					t.Fatalf("%s: %d lines, valid=%v: %q", format, len(lines), json.Valid([]byte(lines[0])), out)
				}
			case FormatCSV:
				recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
				if err != nil || len(recs) != 2 || len(recs[1]) != len(CSVHeader) {
					t.Fatalf("csv: %d records, %v: %q", len(recs), err, out)
				}
			case FormatTable:
				lines := strings.Split(out, "\n")
				h := -1
				for i, l := range lines {
					if strings.HasPrefix(l, "TIME ") {
						h = i
						break
					}
				}
				if h < 0 || h+2 >= len(lines) || lines[h+2] != "" {
					t.Fatalf("table: the event is not one line: %q", out)
				}
			}
		}
	})
}

// FuzzAnnotate feeds flow records built from the input through the
// network ACL annotator: no panic, order kept, every event out once.
func FuzzAnnotate(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("accept then reject, reject then accept"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out []*Match
		a := newNACLAnnotator(func(m *Match) error { out = append(out, m); return nil })
		at := t0
		n := 0
		for i := 0; i+3 < len(data); i += 4 {
			at = at.Add(time.Duration(data[i]) * 10 * time.Second)
			src, dst := "10.0.0."+string('1'+rune(data[i+1]%3)), "10.0.0."+string('1'+rune(data[i+2]%3))
			sp, dp := 1000+int(data[i+1]%4), 1000+int(data[i+2]%4)
			action := "ACCEPT"
			if data[i+3]&1 == 1 {
				action = "REJECT"
			}
			e := flow(0, src, sp, dst, dp, action)
			e.Time, e.Record = at, int64(n)
			if err := a.push(&Match{Event: e}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if err := a.flush(); err != nil {
			t.Fatal(err)
		}
		if len(out) != n {
			t.Fatalf("%d in, %d out", n, len(out))
		}
		for i, m := range out {
			if m.Event.Record != int64(i) {
				t.Fatalf("event %d out at %d", m.Event.Record, i)
			}
			if len(m.Event.Annotations) > 1 {
				t.Fatalf("annotated twice: %v", m.Event.Annotations)
			}
		}
	})
}

// FuzzRawCompact checks that the compaction of raw records in JSON Lines
// (go-json's Compact) gives encoding/json's: the same bytes, and an error
// for the same inputs.
func FuzzRawCompact(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, "{\n \"a\" : [1, 2.5e3, \"x\\u2028<>&\", null, true]}", "{\"a\":\"\xff\xfe\"}",
		`{"a":}`, `[` + "\u2028" + `]`, `"\u00e9"`, `{"a":"` + "\u2028" + `"}`, ` {"a":1} `, `{"a":1}x`, `1e999`, `-0.0`,
		`[[[[[]]]]]`, `{"a":"\/"}`, "{\"a\":\"\t\"}", `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser"},"requestParameters":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var std, got bytes.Buffer
		errStd := json.Compact(&std, in)
		errGot := gojson.Compact(&got, in)
		if (errStd == nil) != (errGot == nil) {
			t.Fatalf("%q: encoding/json: %v, go-json: %v", in, errStd, errGot)
		}
		if errStd == nil && !bytes.Equal(std.Bytes(), got.Bytes()) {
			t.Fatalf("%q: encoding/json %q, go-json %q", in, std.Bytes(), got.Bytes())
		}
	})
}

// FuzzJSONLRow checks that a JSON Lines line is what encoding/json writes
// for the row (HTML characters not escaped; a raw record that is not
// valid JSON left out), for any text in the string fields, with every
// field that may be left out present or not.
func FuzzJSONLRow(f *testing.F) {
	f.Add("alice", "203.0.113.7", "<GetObject>&", "\u2028\x00\xff", `{"a": 1}`, int64(443), int64(0), uint8(0))
	f.Add("", "", "", "", "", int64(0), int64(-5), uint8(0xff))
	f.Add("arn:aws:iam::1:user/\"q\"", "::1", "ConsoleLogin", "é😀\\", `"2 123 eni-1"`, int64(1<<40), int64(7), uint8(0x55))
	f.Add("a", "b", "c", "d", `{"a":`, int64(1), int64(1), uint8(0xaa))
	f.Fuzz(func(t *testing.T, principal, ip, action, text, raw string, n, m int64, set uint8) {
		e := &Event{Source: SourceCloudTrail, Kind: "cloudtrail", Time: time.Unix(n%(1<<33), m%1e9).UTC(), Evidence: uint64(n),
			Record: m, Principal: principal, SrcIP: ip, DstIP: text, Action: action, Outcome: text, Raw: []byte(raw)}
		if set&1 != 0 {
			e.Account, e.Region, e.PrincipalType, e.AccessKeyID = text, action, principal, ip
			e.SrcPort, e.DstPort = int(n%65536), int(m%65536)
		}
		if set&2 != 0 {
			e.Protocol, e.Bytes, e.Packets, e.EventID = text, n, m, principal
			e.EventSource, e.UserAgent, e.IssuedAccessKey = action, text, ip
		}
		if set&4 != 0 {
			e.Annotations = []string{text, principal}
		}
		if set&8 != 0 {
			e.Resources = []string{ip, text}
		}
		if set&16 != 0 {
			e.Time = time.Time{}
		}
		mt := &Match{Event: e}
		if set&32 != 0 {
			mt.Why = []string{action}
		}
		if set&64 != 0 {
			mt.Findings = []string{text}
		}
		if got, want := jsonlAndEncoder(t, mt); got != want {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
