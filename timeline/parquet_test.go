package timeline

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/trailcase/trailcase/evidence"
)

// flowRow is a Parquet flow log row as AWS writes it (names with '_').
type flowRow struct {
	Version     int32   `parquet:"version"`
	AccountID   string  `parquet:"account_id"`
	InterfaceID string  `parquet:"interface_id"`
	Srcaddr     *string `parquet:"srcaddr,optional"`
	Dstaddr     *string `parquet:"dstaddr,optional"`
	Srcport     *int32  `parquet:"srcport,optional"`
	Dstport     *int32  `parquet:"dstport,optional"`
	Protocol    *int32  `parquet:"protocol,optional"`
	Packets     *int64  `parquet:"packets,optional"`
	Bytes       *int64  `parquet:"bytes,optional"`
	Start       int64   `parquet:"start"`
	End         int64   `parquet:"end"`
	Action      *string `parquet:"action,optional"`
	LogStatus   string  `parquet:"log_status"`
	PktSrcaddr  *string `parquet:"pkt_srcaddr,optional"`
	TrafficPath *int32  `parquet:"traffic_path,optional"`
}

func ptr[T any](v T) *T { return &v }

func parquetSample(t testing.TB, rows []flowRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var parquetRows = []flowRow{
	{Version: 5, AccountID: "123456789012", InterfaceID: "eni-1", Srcaddr: ptr("198.51.100.4"), Dstaddr: ptr("10.0.0.8"),
		Srcport: ptr(int32(51515)), Dstport: ptr(int32(22)), Protocol: ptr(int32(6)), Packets: ptr(int64(10)), Bytes: ptr(int64(840)),
		Start: 1700000000, End: 1700000060, Action: ptr("REJECT"), LogStatus: "OK", PktSrcaddr: ptr("203.0.113.1"), TrafficPath: ptr(int32(8))},
	{Version: 5, AccountID: "123456789012", InterfaceID: "eni-1", Start: 1700000100, End: 1700000160, LogStatus: "NODATA"},
}

func TestParseParquet(t *testing.T) {
	b := parquetSample(t, parquetRows)
	eq(t, "Detect", Detect("x.parquet", b), evidence.KindVPCFlow)
	var events []*Event
	var warns []Warning
	err := ParseParquet(context.Background(), bytes.NewReader(b), int64(len(b)), ParseOptions{Evidence: 3, Name: "x.parquet"},
		func(e *Event) error { events = append(events, e); return nil }, func(w Warning) { warns = append(warns, w) })
	if err != nil || len(events) != 2 || len(warns) != 0 {
		t.Fatalf("%d events, %d warnings, err %v", len(events), len(warns), err)
	}
	e := events[0]
	eq(t, "record", e.Record, int64(1))
	eq(t, "evidence", e.Evidence, uint64(3))
	eq(t, "src", e.SrcIP+":"+itoa(e.SrcPort), "198.51.100.4:51515")
	eq(t, "dst", e.DstIP+":"+itoa(e.DstPort), "10.0.0.8:22")
	eq(t, "protocol", e.Protocol, "tcp")
	eq(t, "bytes", e.Bytes, int64(840))
	eqTime(t, "time", e.Time, "2023-11-14T22:13:20Z")
	eqTime(t, "end", e.End, "2023-11-14T22:14:20Z")
	eq(t, "action", e.Action, "REJECT")
	eq(t, "account", e.Account, "123456789012")
	eq(t, "traffic-path", e.Fields["traffic-path"], "8")
	eq(t, "interface-id", e.Fields["interface-id"], "eni-1")
	eq(t, "terms", strings.Join(e.Terms(), " "), "ip:198.51.100.4 ip:10.0.0.8 ip:203.0.113.1")
	if !json_valid(e.Raw) {
		t.Errorf("raw %s", e.Raw)
	}
	g := events[1]
	eq(t, "gap", g.Outcome, "NODATA")
	eq(t, "gap src", g.SrcIP, "")
	eq(t, "gap terms", len(g.Terms()), 0)

	// The same bytes through Parse (a stream) give the same events.
	r := parseBytes(t, evidence.KindVPCFlow, "x.parquet", b)
	if r.err != nil || len(r.events) != 2 || r.events[0].SrcIP != "198.51.100.4" {
		t.Fatalf("Parse: %d events, err %v", len(r.events), r.err)
	}
}

func TestParseParquetDamaged(t *testing.T) {
	b := parquetSample(t, parquetRows)
	for _, cut := range []int{4, len(b) / 2, len(b) - 3} {
		err := ParseParquet(context.Background(), bytes.NewReader(b[:cut]), int64(cut), ParseOptions{Name: "x.parquet"},
			func(*Event) error { return nil }, nil)
		if err == nil || !strings.Contains(err.Error(), `"x.parquet"`) {
			t.Errorf("cut at %d: err = %v, want one naming the file", cut, err)
		}
	}
}
