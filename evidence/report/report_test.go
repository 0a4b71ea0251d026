package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

var testOpts = Options{ToolVersion: "v9.9.9", Revision: "abc123", Host: "lab-01", OS: "linux/amd64",
	GeneratedAt: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC), CaseFile: "case.tcase"}

// newCase creates a case with the given name, acquires testdata/logs into
// it unless empty is set, and returns it open read-write.
func newCase(t *testing.T, name string, empty bool) *store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case.tcase")
	st, err := store.Create(path, evidence.CaseInfo{ID: "0123456789abcdef0123456789abcdef", Name: name, Number: "IR-2024-017",
		Examiner: "Dana Examiner", Description: "exfiltration <via> S3", Created: time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	actor := custody.Actor{Examiner: "Dana Examiner", OSUser: "dana", Host: "lab-01", ToolVersion: "v9.9.9"}
	ent := actor.Entry("init", []string{"init", "--case", path})
	ent.End, ent.Result = ent.Start, evidence.ResultOK
	if _, err := st.AppendCustody(ent); err != nil {
		t.Fatal(err)
	}
	if empty {
		return st
	}
	src, err := acquire.OpenLocal("testdata/logs", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: actor, Args: []string{"acquire", "testdata/logs"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Stored) != 4 {
		t.Fatalf("stored %d items, want 4: %+v", len(rep.Stored), rep.Stored)
	}
	return st
}

func putCheck(t *testing.T, st *store.Store, name string, ok bool, summary, result string, at time.Time) {
	t.Helper()
	if err := st.PutCheck(store.CheckRecord{Name: name, Time: at, OK: ok, Summary: summary, Result: json.RawMessage(result)}); err != nil {
		t.Fatal(err)
	}
}

func TestBuildEmptyCase(t *testing.T) {
	st := newCase(t, "empty", true)
	r, err := Build(context.Background(), st, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Case.Name != "empty" || r.Case.Number != "IR-2024-017" || r.Case.Examiner != "Dana Examiner" || r.Case.Items != 0 {
		t.Errorf("case = %+v", r.Case)
	}
	if len(r.Evidence) != 0 || len(r.Custody) != 1 || !r.CustodyChain.Intact || r.CustodyChain.Entries != 1 {
		t.Errorf("evidence %d, custody %d, chain %+v", len(r.Evidence), len(r.Custody), r.CustodyChain)
	}
	if r.Checks.Verify != nil || r.Checks.Digest != nil || r.Checks.ObjectLock != nil {
		t.Errorf("checks = %+v, want none", r.Checks)
	}
	if r.Events.Total != 0 || len(r.Events.Hours) != 0 {
		t.Errorf("events = %+v", r.Events)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"evidence": "[]", "checks": `{"verify":null,"digest":null,"objectlock":null}`} {
		var c bytes.Buffer
		json.Compact(&c, doc[k])
		if c.String() != want {
			t.Errorf("%s = %s, want %s", k, c.String(), want)
		}
	}
	var h, md bytes.Buffer
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The case holds no evidence items.", "The case holds no normalised events.", "NOT RUN", "Sign-off"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("html lacks %q", want)
		}
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestBuildFullCase(t *testing.T) {
	st := newCase(t, "Operation <b>Tidewater</b>", false)
	before := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	putCheck(t, st, "verify", true, "4 item(s), 2870 bytes re-hashed, 2 custody entries checked: all intact",
		`{"items":4,"bytes":2870,"custody_entries":2,"problems":[]}`, time.Now().Add(time.Hour))
	putCheck(t, st, "digest", false, "1 chain, 1 problem",
		`{"valid":false,"chains":1,"digests_checked":1,"logs_checked":1,"signatures_verified":0,"problems":[{"kind":"LOG_HASH_MISMATCH","object":"AWSLogs/x.json.gz","detail":"hash <differs>"}]}`, before)
	putCheck(t, st, "objectlock", true, "1 object locked", `{"objects":1,"locked":1,"nested":{"a":[1,2]}}`, time.Now().Add(time.Hour))

	r, err := Build(context.Background(), st, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Case.Items != 4 || len(r.Evidence) != 4 {
		t.Fatalf("items = %d", r.Case.Items)
	}
	byPath := map[string]Evidence{}
	for _, e := range r.Evidence {
		byPath[e.Path] = e
		if e.SHA256.IsZero() || e.AcquiredStart.IsZero() || e.AcquiredEnd.IsZero() || e.Custody != 2 {
			t.Errorf("item %d incomplete: %+v", e.ID, e)
		}
	}
	ct := byPath["AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/ct.json"]
	if ct.Kind != evidence.KindCloudTrail || ct.VersionID != "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" || ct.ETag != `"0123456789abcdef"` {
		t.Errorf("cloudtrail item = %+v", ct)
	}
	if ct.LockState != "COMPLIANCE until 2031-05-01T00:00:00Z" {
		t.Errorf("lock state = %q", ct.LockState)
	}
	if ct.Sidecar == nil {
		t.Error("sidecar missing")
	}
	flow := byPath["flow.log"]
	if flow.Kind != evidence.KindVPCFlow || flow.WarningCount == 0 || !contains(flow.Flags, evidence.FlagParseWarnings) {
		t.Errorf("flow item = %+v", flow)
	}
	if got := byPath["notes.txt"].LockState; !strings.HasPrefix(got, "not captured") {
		t.Errorf("notes lock state = %q", got)
	}
	if r.Events.Total != 6 || r.Events.BySource["cloudtrail"] != 2 || r.Events.BySource["vpcflow"] != 3 || r.Events.BySource["elb"] != 1 {
		t.Errorf("events = %+v", r.Events)
	}
	if strings.Join(r.Events.Sources, ",") != "cloudtrail,vpcflow,elb" {
		t.Errorf("sources = %v", r.Events.Sources)
	}
	// 10:00 (ct, 2 flow, alb), 12:00 (ct), 13:00 (flow)
	wantHours := map[string]map[string]int64{
		"2024-05-01T10:00:00Z": {"cloudtrail": 1, "vpcflow": 2, "elb": 1},
		"2024-05-01T12:00:00Z": {"cloudtrail": 1},
		"2024-05-01T13:00:00Z": {"vpcflow": 1},
	}
	if len(r.Events.Hours) != len(wantHours) {
		t.Errorf("hours = %+v", r.Events.Hours)
	}
	for _, h := range r.Events.Hours {
		want := wantHours[h.Hour.Format(time.RFC3339)]
		for src, n := range want {
			if h.Counts[src] != n {
				t.Errorf("hour %s %s = %d, want %d", h.Hour, src, h.Counts[src], n)
			}
		}
	}
	if r.Checks.Verify == nil || !r.Checks.Verify.OK || r.Checks.Verify.Stale {
		t.Errorf("verify = %+v", r.Checks.Verify)
	}
	if r.Checks.Digest == nil || r.Checks.Digest.OK || !r.Checks.Digest.Stale {
		t.Errorf("digest = %+v (want failed and stale)", r.Checks.Digest)
	}
	if len(r.Custody) != 3 || r.Custody[0].Action != "init" || r.Custody[2].Action != "acquire" || r.Custody[2].Result != evidence.ResultOK ||
		r.Case.CustodySeq != 3 || r.Case.CustodyHead != r.Custody[2].Hash {
		t.Errorf("custody = %+v", r.Custody)
	}

	var h bytes.Buffer
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	html := h.String()
	for _, want := range []string{
		"Operation &lt;b&gt;Tidewater&lt;/b&gt;", "IR-2024-017", "Dana Examiner", "v9.9.9", "abc123", "lab-01", "linux/amd64",
		ct.SHA256.String(), "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "COMPLIANCE until 2031-05-01T00:00:00Z",
		"LOG_HASH_MISMATCH", "hash &lt;differs&gt;", "STALE", "<svg", "@page { size: A4", "Sign-off",
		"exfiltration &lt;via&gt; S3", r.Custody[2].Hash.String(),
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(html, "<b>Tidewater") {
		t.Error("case name not escaped")
	}
	for _, bad := range []string{"<script", "http://", "https://", "@import", "url("} {
		if i := strings.Index(html, bad); i >= 0 && !strings.Contains(html[max(0, i-200):i+50], "shop.example.com") && bad != "http://" {
			t.Errorf("html contains %q: %s", bad, html[max(0, i-80):min(len(html), i+80)])
		}
	}
	// Only the SVG namespace may be a URL.
	if n := len(regexp.MustCompile(`(src|href)=`).FindAllString(html, -1)); n != 0 {
		t.Errorf("html has %d src/href attributes", n)
	}
	if got := strings.Count(html, `class="item custody-entry"`); got != 3 {
		t.Errorf("custody entries in html = %d", got)
	}
	if got := strings.Count(html, "<rect "); got != 5+3 { // bars (10:00 has three sources, 12:00 and 13:00 one) + legend
		t.Errorf("rects = %d", got)
	}

	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	m := md.String()
	for _, want := range []string{"# Chain-of-custody report: Operation &lt;b&gt;Tidewater&lt;/b&gt;", "| Case number | IR-2024-017 |",
		"`" + ct.SHA256.String() + "`", "| 2024-05-01 10:00Z | 1 | 2 | 1 | 4 |", "LOG\\_HASH\\_MISMATCH", "**STALE**", "| Examiner | Dana Examiner | | |"} {
		if !strings.Contains(m, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Every table row has the same number of cells as its header.
	checkMarkdownTables(t, m)

	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Case struct {
			Name, Examiner, Number string
		} `json:"case"`
		Evidence []struct {
			ID     uint64 `json:"id"`
			SHA256 string `json:"sha256"`
			Source string `json:"source"`
		} `json:"evidence"`
		Custody []struct {
			Seq    uint64 `json:"seq"`
			Action string `json:"action"`
		} `json:"custody"`
		Checks struct {
			Verify, Digest, ObjectLock *struct {
				OK     bool            `json:"ok"`
				Result json.RawMessage `json:"result"`
			}
		} `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Case.Name != "Operation <b>Tidewater</b>" || doc.Case.Examiner != "Dana Examiner" || len(doc.Evidence) != 4 || doc.Evidence[0].SHA256 == "" {
		t.Errorf("json = %+v", doc)
	}
	if len(doc.Custody) != 3 || doc.Custody[0].Seq != 1 || doc.Custody[2].Seq != 3 {
		t.Errorf("json custody = %+v", doc.Custody)
	}
	if doc.Checks.Digest == nil || doc.Checks.Digest.OK || !bytes.Contains(doc.Checks.Digest.Result, []byte("LOG_HASH_MISMATCH")) || doc.Checks.ObjectLock == nil {
		t.Errorf("json checks = %+v", doc.Checks)
	}
}

func checkMarkdownTables(t *testing.T, md string) {
	t.Helper()
	cols := -1
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1)) - 1
		if cols < 0 {
			cols = n
			continue
		}
		if n != cols {
			t.Errorf("markdown line %d has %d cells, header %d: %s", i+1, n, cols, line)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestBuildDoesNotWrite(t *testing.T) {
	st := newCase(t, "ro", false)
	path := st.Path()
	st.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), ro, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return r.WriteHTML(b) },
		func(b *bytes.Buffer) error { return r.WriteMarkdown(b) },
		func(b *bytes.Buffer) error { return r.WriteJSON(b) },
	} {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
	}
	ro.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("case file changed")
	}
}

func TestBuildCancelled(t *testing.T) {
	st := newCase(t, "c", false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, st, testOpts); err == nil {
		t.Fatal("want an error for a cancelled context")
	}
}

func TestEventSource(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"time":"2024-01-01T00:00:00Z","source":"vpcflow","kind":"vpcflow"}`, "vpcflow"},
		{`{"kind":"x","source":"elb"}`, "elb"},
		{`{"time":"x","source":"a\"b"}`, `a"b`},
		{`{"time":"x"}`, "unknown"},
		{`not json`, "unknown"},
		{``, "unknown"},
	} {
		if got := eventSource([]byte(tc.in)); got != tc.want {
			t.Errorf("eventSource(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestChartBuckets(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		span   int // hours between the first and last event
		bucket string
	}{{0, "hour"}, {239, "hour"}, {240, "2 hours"}, {24 * 29, "3 hours"}, {24 * 30, "6 hours"}, {24 * 365, "2 days"}} {
		ev := EventSummary{Total: 2, Sources: []string{"cloudtrail"}, BySource: map[string]int64{"cloudtrail": 2},
			Hours: []HourCount{{base, map[string]int64{"cloudtrail": 1}}}}
		if tc.span > 0 {
			ev.Hours = append(ev.Hours, HourCount{base.Add(time.Duration(tc.span) * time.Hour), map[string]int64{"cloudtrail": 1}})
		}
		c := newChart(ev)
		if c.Bucket != tc.bucket {
			t.Errorf("span %d h: bucket %q, want %q", tc.span, c.Bucket, tc.bucket)
		}
		if len(c.Rows) != len(ev.Hours) {
			t.Errorf("span %d h: %d rows", tc.span, len(c.Rows))
		}
		for _, r := range c.Rects {
			if r.X < plotLeft || r.X+r.W > plotRight+0.01 || r.Y < plotTop || r.Y+r.H > plotBottom+0.01 {
				t.Errorf("span %d h: rect outside the plot: %+v", tc.span, r)
			}
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[int64]int64{0: 4, 3: 4, 5: 8, 9: 12, 37: 40, 100: 100, 150: 200, 999: 1000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestItemRange(t *testing.T) {
	if got := itemRange([]uint64{1, 2, 3, 5, 7, 8}); got != "1–3, 5, 7–8" {
		t.Errorf("itemRange = %q", got)
	}
}

// Case fields and log text reach the HTML and Markdown forms shown through
// safe.Text; the JSON form and the report itself keep them exactly.
func TestReportShowsControlsEscaped(t *testing.T) {
	name := "x\x1b]52;c;AAAA\x07\u202eevil\r\nrow"
	r := &Report{Case: Case{Name: name, Examiner: "e\x1b[2J"}, Evidence: []Evidence{}, Events: EventSummary{BySource: map[string]int64{}}}
	var h, m bytes.Buffer
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&m); err != nil {
		t.Fatal(err)
	}
	for form, out := range map[string]string{"html": h.String(), "markdown": m.String()} {
		if strings.ContainsAny(out, "\x1b\x07\u202e\r") {
			t.Errorf("%s holds a control or bidi rune", form)
		}
	}
	if !strings.Contains(h.String(), `x\x1b]52;c;AAAA\a\u202eevil\r\nrow`) || !strings.Contains(m.String(), `x\\x1b\]52;c;AAAA\\a\\u202eevil\\r\\nrow`) {
		t.Errorf("case name not shown escaped:\n%s\n%s", h.String(), m.String())
	}
	if r.Case.Name != name {
		t.Errorf("report changed: %q", r.Case.Name)
	}
	checkMarkdownTables(t, m.String())
}
