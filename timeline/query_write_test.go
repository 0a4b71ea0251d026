package timeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// render runs q over the incident events and writes it in format.
func render(t *testing.T, q Query, format string) string {
	t.Helper()
	st := newTestStore(t, incidentEvents())
	var b bytes.Buffer
	w, err := NewWriter(&b, format)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Prepare(context.Background(), st, q)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(c); err != nil {
		t.Fatal(err)
	}
	sum, err := c.Run(context.Background(), w.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.End(sum); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteJSONL(t *testing.T) {
	out := render(t, Query{IP: attackerIP}, FormatJSONL)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 15 {
		t.Fatalf("%d lines", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "source", "evidence", "principal", "src_ip", "dst_ip", "action", "outcome", "record", "kind", "annotations", "why"} {
		if _, ok := first[k]; !ok {
			t.Errorf("field %q missing: %s", k, lines[0])
		}
	}
	if first["time"] != "2025-03-10T14:05:00.000Z" || first["source"] != "elb" || first["src_ip"] != attackerIP || first["action"] != "GET https://shop.example.com:443/.env HTTP/1.1" || first["outcome"] != "404" {
		t.Errorf("first = %s", lines[0])
	}
	var hinted map[string]any
	json.Unmarshal([]byte(lines[13]), &hinted)
	if a, _ := hinted["annotations"].([]any); len(a) != 1 || a[0] != NACLHint {
		t.Errorf("line 14 annotations = %v", hinted["annotations"])
	}
}

func TestWriteCSV(t *testing.T) {
	out := render(t, Query{Principal: userARN, Sources: []string{SourceCloudTrail}}, FormatCSV)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 9 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	r := recs[4] // AssumeRole by the user
	if r[0] != "2025-03-10T14:20:00.000Z" || r[7] != userARN || r[9] != attackerIP || r[13] != "AssumeRole" || r[20] != "own event" {
		t.Errorf("row = %q", r)
	}
}

func TestWriteTimesketch(t *testing.T) {
	out := render(t, Query{IP: attackerIP}, FormatTimesketch)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var v map[string]any
	d := json.NewDecoder(strings.NewReader(lines[1]))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	want := t0.Add(10 * time.Minute)
	if v["datetime"] != "2025-03-10T14:10:00.000000Z" || v["timestamp"] != json.Number("1741615800000000") || want.UnixMicro() != 1741615800000000 {
		t.Errorf("times = %v %v", v["datetime"], v["timestamp"])
	}
	if v["timestamp_desc"] != "Event Time" || v["message"] != "[cloudtrail] "+userARN+" GetCallerIdentity (success) 203.0.113.66 -> sts.amazonaws.com" {
		t.Errorf("desc/message = %v / %v", v["timestamp_desc"], v["message"])
	}
	for k, x := range v {
		switch x.(type) {
		case map[string]any, []any:
			t.Errorf("field %q is nested: %v", k, x)
		}
	}
}

func TestWriteTable(t *testing.T) {
	out := render(t, Query{Principal: userARN}, FormatTable)
	for _, want := range []string{
		"principal " + userARN + "\n",
		"  credentials " + key1 + " as " + session1 + ": AssumeRole by " + userARN + " at 2025-03-10T14:20:00.000Z",
		"  source address 203.0.113.66: 7 call(s)",
		"TIME                      SOURCE      PRINCIPAL",
		"2025-03-10T14:20:00.000Z  cloudtrail  user/ci-deployer                          203.0.113.66 → sts.amazonaws.com",
		"203.0.113.66:40100 → 10.0.3.10:8080         GET /.env                           404",
		"2025-03-10T14:41:00.000Z  vpcflow",
		"10.0.2.40:443 → 203.0.113.66:50122",
		"REJECT tcp",
		"network: IP 203.0.113.66 used by principal; " + NACLHint,
		"via AssumeRole by assumed-role/DeployAdmin/deploy (chained: via AssumeRole by user/ci-deployer)",
		"ACCEPT tcp                          ACCEPT",
		"14 event(s) (cloudtrail 8, vpcflow 5, elb 1), 2025-03-10T09:00:00.000Z → 2025-03-10T14:41:00.000Z",
		"principals: " + userARN + " (4), ",
		"network ACL drops of replies: 1 flow record(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if out := render(t, Query{IP: "192.0.2.1"}, FormatTable); !strings.HasSuffix(out, "\nno events\n") {
		t.Errorf("empty table:\n%s", out)
	}
}

func TestEndpointAndPad(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		port int
		want string
	}{{"10.0.0.1", 22, "10.0.0.1:22"}, {"2001:db8::1", 443, "[2001:db8::1]:443"}, {"2001:db8::1", 0, "2001:db8::1"}, {"", 5, ""}} {
		if got := Endpoint(tc.ip, tc.port); got != tc.want {
			t.Errorf("Endpoint(%q, %d) = %q", tc.ip, tc.port, got)
		}
	}
	for in, want := range map[string]string{"GET https://h:443/a b?c HTTP/1.1": "GET /a b?c", "- - -": "- - -", "TLS": "TLS", "GET http://h HTTP/1.0": "GET http://h"} {
		if got := shortRequest(in); got != want {
			t.Errorf("shortRequest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := pad("abcdef", 4); got != "abc…" {
		t.Errorf("pad = %q", got)
	}
	if got := pad("a\nb", 4); got != `a\nb` { // controls shown escaped (safe.Text)
		t.Errorf("pad = %q", got)
	}
	if _, err := NewWriter(&bytes.Buffer{}, "xml"); err == nil || !strings.Contains(err.Error(), `unknown format "xml"`) {
		t.Errorf("err = %v", err)
	}
}

// jsonlAndEncoder returns the JSON Lines line of m and what encoding/json
// writes for its row (with a raw record that is not valid JSON left out,
// as the line leaves it out).
func jsonlAndEncoder(t testing.TB, m *Match) (string, string) {
	t.Helper()
	var got bytes.Buffer
	w, _ := NewWriter(&got, FormatJSONL)
	if err := w.Write(m); err != nil {
		t.Fatal(err)
	}
	w.End(nil)
	r := toRow(m)
	if len(r.Raw) > 0 && !json.Valid(r.Raw) {
		r.Raw = nil
	}
	var want bytes.Buffer
	if err := NewJSONLEncoder(&want).Encode(r); err != nil {
		t.Fatal(err)
	}
	return got.String(), want.String()
}

// TestJSONLSameAsEncoder checks that a JSON Lines line is what
// encoding/json writes for the whole row (with a raw record that is not
// valid JSON left out): raw records pretty-printed, with HTML characters,
// escapes and invalid UTF-8, invalid or "null", with and without
// resources and annotations.
func TestJSONLSameAsEncoder(t *testing.T) {
	raws := []string{"", `{"a":1}`, "{\n  \"eventName\": \"<GetObject>&\",\n  \"x\": [1, 2.50, \"\\u2028\"]\n}", "{\"s\":\"\xff\"}", `{"a":`, `null`, `"text"`, `{"a":1} {"b":2}`}
	for i, raw := range raws {
		for _, res := range [][]string{nil, {"arn:aws:s3:::b/<k>&", "i-1"}} {
			e := &Event{Source: SourceCloudTrail, Kind: "cloudtrail", Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Record: int64(i),
				Principal: "alice", SrcIP: "203.0.113.7", Action: "GetObject", Outcome: "success", Raw: []byte(raw), Resources: res,
				Annotations: []string{"anti-forensics: <x>"}[:i%2]}
			m := &Match{Event: e, Why: []string{"own event"}}
			if got, want := jsonlAndEncoder(t, m); got != want {
				t.Errorf("raw %q resources %q:\n got %s\nwant %s", raw, res, got, want)
			}
		}
	}
}
