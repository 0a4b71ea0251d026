package export

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// The same event gives the same CSV cell through `timeline --format csv`
// and `export --format csv` in every column the two share. The time column
// differs on purpose (milliseconds in the timeline, microseconds in the
// export, see evidence.TimeLayoutMicro), and so does the list separator of
// annotations (" | " against " ").
func TestCSVCellsMatchTimeline(t *testing.T) {
	e := timeline.Event{Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Source: "cloudtrail", Kind: "cloudtrail",
		Evidence: 3, Record: 9, Account: "=1+1", Region: "-1", Principal: "arn:aws:iam::111122223333:user/a\x1b]52;c;AAAA\x07",
		AccessKeyID: "+AKIA", SrcIP: "@SUM(A1)", SrcPort: 443, DstIP: "10.0.0.1\r\n", DstPort: 80,
		Action: "Get\u202eObject", Outcome: "-", Protocol: "\ttcp", Bytes: 42, EventID: "-5", UserAgent: "=HYPERLINK(\"http://evil\")\n",
		Annotations: []string{"note"}}

	var tb bytes.Buffer
	w, err := timeline.NewWriter(&tb, timeline.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&timeline.Match{Event: &e}); err != nil {
		t.Fatal(err)
	}
	if err := w.End(nil); err != nil {
		t.Fatal(err)
	}
	trecs, err := csv.NewReader(&tb).ReadAll()
	if err != nil || len(trecs) != 2 {
		t.Fatalf("timeline csv: %d records, %v", len(trecs), err)
	}

	var r Row
	if !decodeRow(&r, &timeline.Event{}, store.StoredEvent{Item: 3, Record: 9, Time: e.Time, Data: timeline.EncodeEvent(nil, &e)}, provenance{}) {
		t.Fatal("event not decoded")
	}
	erec := csvRecord(nil, &r)
	ecol := map[string]string{}
	for i, h := range CSVHeader {
		ecol[h] = erec[i]
	}

	shared := 0
	for i, h := range trecs[0] {
		want, ok := ecol[h]
		if !ok || h == "time" || h == "annotations" {
			continue
		}
		shared++
		if got := trecs[1][i]; got != want {
			t.Errorf("column %s: timeline %q, export %q", h, got, want)
		}
	}
	if shared < 15 {
		t.Errorf("only %d shared columns compared", shared)
	}
	for h, want := range map[string]string{"account": "'=1+1", "region": "'-1", "principal": `arn:aws:iam::111122223333:user/a\x1b]52;c;AAAA\a`,
		"dst_ip": `10.0.0.1\r\n`, "action": `Get\u202eObject`, "outcome": "-", "protocol": `\ttcp`, "event_id": "'-5",
		"user_agent": `'=HYPERLINK("http://evil")\n`, "src_port": "443", "bytes": "42"} {
		if ecol[h] != want {
			t.Errorf("export %s = %q, want %q", h, ecol[h], want)
		}
	}
}
