package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/trailcase/trailcase/store"
)

// JSONL writes one JSON object per event and line, oldest first.
func JSONL(ctx context.Context, st *store.Store, w io.Writer, opts Options) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
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
	"annotations", "fields", "raw",
}

// CSV writes a header and one row per event, oldest first (RFC 4180,
// UTF-8). Lists are joined with spaces; fields is JSON text; raw is the
// CloudTrail record's JSON or the log line. A
// text cell that a spreadsheet would run as a formula (starting with =, +,
// -, @, tab or carriage return, and not a number) is prefixed with a single
// quote; the jsonl and parquet exports keep every value exactly.
func CSV(ctx context.Context, st *store.Store, w io.Writer, opts Options) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return stats, err
	}
	rec := make([]string, len(CSVHeader))
	err := scan(ctx, st, opts, &stats, func(r *Row) error {
		rec = csvRecord(rec, r)
		return cw.Write(rec)
	})
	if err != nil {
		return stats, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return stats, err
	}
	stats.Files = 1
	return stats, bw.Flush()
}

// csvRecord returns r as one CSV record (in CSVHeader's order), reusing
// rec's storage.
func csvRecord(rec []string, r *Row) []string {
	end := ""
	if r.EndTime != nil {
		end = timeText(*r.EndTime)
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
	rec = append(rec[:0],
		strconv.Itoa(r.SchemaVersion), timeText(r.Time), end, r.Source, r.Kind,
		strconv.FormatUint(r.Evidence, 10), strconv.FormatInt(r.Record, 10), r.EvidenceSHA256, r.EvidenceSource,
		r.EvidencePath, r.Account, r.Region, r.Principal, r.PrincipalType, r.AccessKeyID, r.UserName, r.Issuer,
		r.PrincipalID, r.IdentityARN, r.SrcIP, itoa(r.SrcPort), r.DstIP, itoa(r.DstPort), strings.Join(r.OtherIPs, " "),
		r.Action, r.Outcome, r.EventID, r.EventSource, r.UserAgent, r.Protocol, i64(r.Bytes), i64(r.Packets),
		r.IssuedAccessKey, r.IssuedSession, strings.Join(r.Annotations, " "), fields, raw)
	for i, v := range rec {
		rec[i] = defuse(v)
	}
	return rec
}

func i64(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// defuse keeps a spreadsheet from evaluating a cell as a formula.
func defuse(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if v == "-" {
			return v
		}
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return v
		}
		return "'" + v
	}
	return v
}
