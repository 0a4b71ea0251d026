package timeline

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/trailcase/trailcase/evidence/safe"
)

// The encoders below are shared by the timeline writers and the case
// export (timeline/export), so that one event gives the same CSV cell and
// the same JSON wherever it is written.

// NewJSONLEncoder returns the JSON Lines encoder: one value per line, no
// HTML escaping (values are kept exactly; a reader escapes for display).
func NewJSONLEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// CSVRow builds one CSV record cell by cell. Text cells go through
// safe.CSV (controls escaped, formulas quoted); numbers this package
// formats itself are written as they are.
type CSVRow []string

// Text appends text cells.
func (r CSVRow) Text(vals ...string) CSVRow {
	for _, v := range vals {
		r = append(r, safe.CSV(v))
	}
	return r
}

// Int appends a number cell.
func (r CSVRow) Int(n int64) CSVRow { return append(r, strconv.FormatInt(n, 10)) }

// Uint appends a number cell.
func (r CSVRow) Uint(n uint64) CSVRow { return append(r, strconv.FormatUint(n, 10)) }

// Count appends a number cell that is empty when n is zero (a port,
// a byte count: zero means the source did not say).
func (r CSVRow) Count(n int64) CSVRow {
	if n == 0 {
		return append(r, "")
	}
	return r.Int(n)
}

// CSVWriter writes RFC 4180 records (UTF-8, CRLF-free cells once escaped).
type CSVWriter struct{ w *csv.Writer }

// NewCSVWriter returns a CSV writer to w; Flush before w is flushed or
// closed.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Header writes a header row; the names are the package's own.
func (c *CSVWriter) Header(names []string) error { return c.w.Write(names) }

// Write writes one record.
func (c *CSVWriter) Write(r CSVRow) error { return c.w.Write(r) }

// Flush writes buffered records and reports the first write error.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
