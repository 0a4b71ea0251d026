package export

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// JSONL writes one JSON object per event and line, oldest first, as
// timeline.NewJSONLEncoder writes a Row.
func JSONL(ctx context.Context, st *store.Store, w io.Writer, opts Options) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	err := scanChunks(ctx, st, opts, &stats, func(items map[uint64]provenance) converter[*bytes.Buffer] {
		var row Row
		var ev timeline.Event
		var sc jsonlScratch
		return func(evs []store.StoredEvent) (*bytes.Buffer, int64, error) {
			buf := chunkBuffers.Get().(*bytes.Buffer)
			b := buf.AvailableBuffer()
			var bad int64
			var err error
			for i := range evs {
				if !decodeRow(&row, &ev, evs[i], items[evs[i].Item]) {
					bad++
				}
				if b, err = sc.appendRow(b, &row); err != nil {
					return buf, bad, rowError(&row, err)
				}
			}
			buf.Write(b)
			return buf, bad, nil
		}
	}, writeBuffer(bw))
	if err != nil {
		return stats, err
	}
	stats.Files = 1
	return stats, bw.Flush()
}

// chunkBuffers hold the text of a chunk of rows between the goroutine
// that encodes it and the one that writes it.
var chunkBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeBuffer returns the write step of a text export: the chunk's text
// goes to w and its buffer back to chunkBuffers.
func writeBuffer(w io.Writer) func(*bytes.Buffer) error {
	return func(b *bytes.Buffer) error {
		_, err := w.Write(b.Bytes())
		b.Reset()
		chunkBuffers.Put(b)
		return err
	}
}

// rowError names the event a row could not be written for.
func rowError(r *Row, err error) error {
	return fmt.Errorf("evidence %d (%s) record %d: %w", r.Evidence, safe.Text(r.EvidencePath), r.Record, err)
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
	if err := cw.Flush(); err != nil {
		return stats, err
	}
	err := scanChunks(ctx, st, opts, &stats, func(items map[uint64]provenance) converter[*bytes.Buffer] {
		var row Row
		var ev timeline.Event
		var sc csvScratch
		rec := make(timeline.CSVRow, 0, len(CSVHeader))
		return func(evs []store.StoredEvent) (*bytes.Buffer, int64, error) {
			buf := chunkBuffers.Get().(*bytes.Buffer)
			cw := timeline.NewCSVWriter(buf)
			var bad int64
			for i := range evs {
				if !decodeRow(&row, &ev, evs[i], items[evs[i].Item]) {
					bad++
				}
				rec = sc.record(rec, &row)
				if err := cw.Write(rec); err != nil {
					return buf, bad, rowError(&row, err)
				}
			}
			return buf, bad, cw.Flush()
		}
	}, writeBuffer(bw))
	if err != nil {
		return stats, err
	}
	stats.Files = 1
	return stats, bw.Flush()
}

// csvRecord returns r as one CSV record (in CSVHeader's order), reusing
// rec's storage.
func csvRecord(rec timeline.CSVRow, r *Row) timeline.CSVRow {
	var sc csvScratch
	return sc.record(rec, r)
}

// csvScratch is the scratch space of one goroutine's CSV records.
type csvScratch struct {
	b      []byte
	orders fieldOrders
	c      bytes.Buffer
}

// record returns r as one CSV record (in CSVHeader's order), reusing
// rec's storage.
func (sc *csvScratch) record(rec timeline.CSVRow, r *Row) timeline.CSVRow {
	end := ""
	if r.EndTime != nil {
		end = evidence.FormatTimeMicro(*r.EndTime)
	}
	fields := ""
	if r.hasFields() {
		sc.b = sc.orders.appendRowFields(sc.b[:0], r, true)
		fields = string(sc.b)
	}
	raw := rawText(r.Raw)
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		sc.c.Reset()
		if gojson.Compact(&sc.c, r.Raw) == nil { // encoding/json's bytes (timeline's FuzzRawCompact)
			raw = sc.c.String()
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
