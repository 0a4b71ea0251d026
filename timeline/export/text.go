package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// JSONL writes one JSON object per event and line, oldest first.
func JSONL(ctx context.Context, st *store.Store, w io.Writer, opts Options) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := timeline.NewJSONLEncoder(bw)
	err := scan(ctx, st, opts, &stats, func(r *Row) error { return enc.Encode(r) })
	if err != nil {
		return stats, err
	}
	stats.Files = 1
	return stats, bw.Flush()
}

// CSVHeader is the header row of the CSV export.
var CSVHeader = []string{
	"schema_version", "time", "end_time", "source", "kind", "evidence", "record", "evidence_sha256", "evidence_source",
	"evidence_path", "account", "region", "principal", "principal_type", "access_key_id", "user_name", "issuer",
	"principal_id", "identity_arn", "src_ip", "src_port", "dst_ip", "dst_port", "other_ips", "action", "outcome",
	"event_id", "event_source", "user_agent", "protocol", "bytes", "packets", "issued_access_key", "issued_session",
	"annotations", "fields", "raw", "resources",
}

// CSV writes a header and one row per event, oldest first (RFC 4180,
// UTF-8). Lists are joined with spaces; fields is JSON text; raw is the
// CloudTrail record's JSON or the log line. Text cells are encoded as in
// the timeline's csv format (timeline.CSVRow, safe.CSV): controls are shown
// escaped ("\n", "\x1b") and a cell that a spreadsheet would run as a
// formula (starting with =, +, -, @, tab or carriage return) is prefixed
// with a single quote; the jsonl and parquet exports keep every value
// exactly.
func CSV(ctx context.Context, st *store.Store, w io.Writer, opts Options) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := timeline.NewCSVWriter(bw)
	if err := cw.Header(CSVHeader); err != nil {
		return stats, err
	}
	rec := make(timeline.CSVRow, 0, len(CSVHeader))
	err := scan(ctx, st, opts, &stats, func(r *Row) error {
		rec = csvRecord(rec, r)
		return cw.Write(rec)
	})
	if err != nil {
		return stats, err
	}
	if err := cw.Flush(); err != nil {
		return stats, err
	}
	stats.Files = 1
	return stats, bw.Flush()
}

// csvRecord returns r as one CSV record (in CSVHeader's order), reusing
// rec's storage.
func csvRecord(rec timeline.CSVRow, r *Row) timeline.CSVRow {
	end := ""
	if r.EndTime != nil {
		end = evidence.FormatTimeMicro(*r.EndTime)
	}
	fields := ""
	if len(r.Fields) > 0 {
		b, _ := json.Marshal(r.Fields)
		fields = string(b)
	}
	raw := rawText(r.Raw)
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var c bytes.Buffer
		if json.Compact(&c, r.Raw) == nil {
			raw = c.String()
		}
	}
	return rec[:0].Int(int64(r.SchemaVersion)).Text(evidence.FormatTimeMicro(r.Time), end, r.Source, r.Kind).
		Uint(r.Evidence).Int(r.Record).
		Text(r.EvidenceSHA256, r.EvidenceSource, r.EvidencePath, r.Account, r.Region, r.Principal, r.PrincipalType,
			r.AccessKeyID, r.UserName, r.Issuer, r.PrincipalID, r.IdentityARN, r.SrcIP).
		Count(int64(r.SrcPort)).Text(r.DstIP).Count(int64(r.DstPort)).
		Text(strings.Join(r.OtherIPs, " "), r.Action, r.Outcome, r.EventID, r.EventSource, r.UserAgent, r.Protocol).
		Count(r.Bytes).Count(r.Packets).
		Text(r.IssuedAccessKey, r.IssuedSession, strings.Join(r.Annotations, " "), fields, raw, strings.Join(r.Resources, " "))
}
