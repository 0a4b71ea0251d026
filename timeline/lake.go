package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// cloudTrailLake reads CloudTrail Lake query results
// ({"QueryStatus":…,"QueryResultRows":[[{"column":"value"},…],…]}). A
// row is turned back into a record: columns holding JSON (or Lake's
// "{key=value, …}" form of structures) become objects again; an eventJson
// column is taken as the whole record.
func (p *parser) cloudTrailLake(r io.Reader) error {
	return p.jsonMember(r, "QueryResultRows", "CloudTrail Lake query results", func(d *json.Decoder) error {
		return p.lakeRows(d, r)
	})
}

// lakeRows reads the rows of QueryResultRows, whose value is next in d
// (the rest of r after what d has buffered).
//
// The rows are split without decoding by the scanner CloudTrail uses
// (jsonScanner) and taken apart by lakeCells, which also checks their
// syntax. Anything else — malformed JSON, a row that is not an array, a
// cell of several columns or a value that is not a string — is left to
// encoding/json, which reads the rest of the file as it always has, so
// that the warnings, and their byte offsets, are its decoder's: from a
// row that is valid JSON only that row, from malformed JSON the rest
// (lakeReplay). A row larger than maxRecordBytes is skipped with a
// warning rather than held in memory.
func (p *parser) lakeRows(d *json.Decoder, r io.Reader) error {
	if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
		return p.errorf("QueryResultRows is not an array")
	}
	base := d.InputOffset() // file offset of the scanner's first byte
	s := newJSONScanner(io.MultiReader(d.Buffered(), r))
	defer s.release()
	var (
		l          lakeRecorder
		n          int64      // rows read
		afterComma int64 = -1 // file offset just past the comma before the row at hand
	)
	// replayRow hands the rest of the file, from the start of the row at
	// hand (pending: its bytes the scanner has read), to encoding/json.
	replayRow := func(pending []byte) error {
		at := base + s.offset() - int64(len(pending))
		if afterComma < 0 {
			return p.lakeReplay(s, "[", at, 0, pending, n)
		}
		return p.lakeReplay(s, "[null,", at, at-afterComma, pending, n)
	}
	for {
		c, err := s.peekNonSpace()
		if err != nil || c != '[' {
			if err == nil && afterComma < 0 && (c == ']' || c == '}') {
				return nil
			}
			return replayRow(nil)
		}
		if err := p.tick(); err != nil {
			return err
		}
		s.startCapture()
		err = s.skipNested()
		raw, over := s.stopCapture()
		switch {
		case err != nil && over:
			var se *syntaxError
			if errors.As(err, &se) {
				p.warnf(n+1, "row", "invalid JSON at byte %d: %s: rest of file skipped", base+se.offset, se.msg)
			} else {
				p.warnf(n+1, "row", "invalid JSON at byte %d: %v: rest of file skipped", base+s.offset(), err)
			}
			return nil
		case err != nil:
			return replayRow(raw)
		case over:
			n++
			p.warnf(n, "row", "larger than %d bytes: skipped", maxRecordBytes)
		default:
			cells, ok := lakeCells(raw, l.cells[:0])
			l.cells = cells
			if !ok && !json.Valid(raw) {
				return replayRow(raw)
			}
			n++
			if ok {
				err = p.lakeRecord(&l, cells, n)
			} else {
				var done bool
				done, err = p.lakeRow(&l, raw, n, func() int64 { return base + s.offset() })
				if done {
					return nil
				}
			}
			if err != nil {
				return err
			}
		}
		c, err = s.peekNonSpace()
		switch {
		case err == nil && c == ',':
			s.consume(1)
			afterComma = base + s.offset()
		case err == nil && (c == ']' || c == '}'):
			return nil
		default:
			return p.lakeReplay(s, "[null", base+s.offset(), 0, nil, n)
		}
	}
}

// lakeReplay reads the rest of the rows with encoding/json's decoder. The
// decoder is put in the state it would have been in had it read the file
// from the start: prefix stands for what came before (the array's '[';
// a row, as null; a row and its comma), and the decoder reads on from
// pending, the scanner's unread bytes and the rest of the input. at is the
// file offset of the first byte after prefix; gap is the white space the
// scanner skipped between a comma and at, for the offset of a row that
// starts right after the comma.
func (p *parser) lakeReplay(s *jsonScanner, prefix string, at, gap int64, pending []byte, n int64) error {
	rest := s.r
	if s.err != nil {
		rest = errorReader{s.err}
	}
	d := json.NewDecoder(io.MultiReader(strings.NewReader(prefix), bytes.NewReader(pending),
		bytes.NewReader(s.buf[s.pos:s.end]), rest))
	d.UseNumber()
	if _, err := d.Token(); err != nil {
		return p.errorf("read: %w", err)
	}
	if len(prefix) > 1 {
		var row json.RawMessage
		if d.Decode(&row) != nil {
			// A read error right after the row: the decoder would have
			// taken it as the end of the rows.
			return nil
		}
	}
	end := int64(len(prefix))
	offset := func() int64 {
		o := d.InputOffset() - end + at
		if o <= at {
			o -= gap // the row right after the comma
		}
		return o
	}
	return p.lakeDecoderRows(d, n, offset)
}

// errorReader returns err.
type errorReader struct{ err error }

func (r errorReader) Read([]byte) (int, error) { return 0, r.err }

// lakeDecoderRows reads rows with d, n having been read before; offset
// gives the file offset of d's position.
func (p *parser) lakeDecoderRows(d *json.Decoder, n int64, offset func() int64) error {
	var l lakeRecorder
	for d.More() {
		n++
		if err := p.tick(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			p.warnf(n, "row", "invalid JSON at byte %d: %v: rest of file skipped", offset(), err)
			return nil
		}
		done, err := p.lakeRow(&l, raw, n, offset)
		if done || err != nil {
			return err
		}
	}
	return nil
}

// lakeRow decodes a row that is valid JSON into its cells and sends its
// record; a row of another shape than an array of objects is skipped with
// encoding/json's warning. done reports that the rest of the file is to be
// skipped; offset gives the file offset just after the row.
func (p *parser) lakeRow(l *lakeRecorder, raw []byte, n int64, offset func() int64) (done bool, err error) {
	var row []map[string]json.RawMessage
	if !ctUnmarshal(raw, &row) {
		row = nil
		if err := json.Unmarshal(raw, &row); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				p.warnf(n, "row", "%v: skipped", err)
				return false, nil
			}
			p.warnf(n, "row", "invalid JSON at byte %d: %v: rest of file skipped", offset(), err)
			return true, nil
		}
	}
	l.cells = lakeRowCells(row, l.cells[:0])
	return false, p.lakeRecord(l, l.cells, n)
}

// lakeRecord sends the record a row's cells make.
func (p *parser) lakeRecord(l *lakeRecorder, cells []lakeCell, n int64) error {
	rec, ok := l.record(cells)
	if !ok {
		p.warnf(n, "row", "no columns: skipped")
		return nil
	}
	return p.ctRecord(rec, n, n)
}

// lakeCell is one column of a row: its name and its JSON value.
type lakeCell struct{ key, val []byte }

// lakeRowCells appends the cells of a decoded row to cells, the columns of
// a cell in the order of their names.
func lakeRowCells(row []map[string]json.RawMessage, cells []lakeCell) []lakeCell {
	for _, cell := range row {
		for _, k := range slices.Sorted(maps.Keys(cell)) {
			cells = append(cells, lakeCell{key: []byte(k), val: cell[k]})
		}
	}
	return cells
}

// lakeCells appends to cells the columns of a row (raw: an array, from
// '[' to its ']') of the plain form Lake writes: objects of one member
// whose name is printable ASCII without escapes and whose value is a
// string or null, empty objects and nulls, with white space between. ok
// is false for a row of another form or that is not valid JSON.
func lakeCells(raw []byte, cells []lakeCell) (_ []lakeCell, ok bool) {
	i := jsonSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return cells, i == len(raw)-1
	}
	for {
		switch {
		case i >= len(raw):
			return cells, false
		case bytes.HasPrefix(raw[i:], []byte("null")):
			i += 4
		case raw[i] == '{':
			i = jsonSpace(raw, i+1)
			if i < len(raw) && raw[i] == '}' {
				i++
				break
			}
			if i >= len(raw) || raw[i] != '"' {
				return cells, false
			}
			k := i + 1
			for i = k; i < len(raw) && raw[i] != '"'; i++ {
				if c := raw[i]; c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
					return cells, false
				}
			}
			key := raw[k:min(i, len(raw))]
			i = jsonSpace(raw, i+1)
			if i >= len(raw) || raw[i] != ':' {
				return cells, false
			}
			i = jsonSpace(raw, i+1)
			v := i
			switch {
			case bytes.HasPrefix(raw[i:], []byte("null")):
				i += 4
			case i < len(raw) && raw[i] == '"':
				if i = jsonStringEnd(raw, i+1); i < 0 {
					return cells, false
				}
			default:
				return cells, false
			}
			cells = append(cells, lakeCell{key: key, val: raw[v:i]})
			if i = jsonSpace(raw, i); i >= len(raw) || raw[i] != '}' {
				return cells, false
			}
			i++
		default:
			return cells, false
		}
		i = jsonSpace(raw, i)
		switch {
		case i >= len(raw):
			return cells, false
		case raw[i] == ']':
			return cells, i == len(raw)-1
		case raw[i] != ',':
			return cells, false
		}
		i = jsonSpace(raw, i+1)
	}
}

// jsonSpace returns the index of the first byte of b from i that is not
// JSON white space.
func jsonSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// jsonStringEnd returns the index just past the closing quote of the
// JSON string whose contents start at b[i], or -1 when the string is not
// valid JSON (a control character, an unknown escape) or not closed.
// Bytes that are not valid UTF-8 are valid here, as for encoding/json.
func jsonStringEnd(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c != '\\':
			i++
			continue
		}
		if i+1 >= len(b) {
			return -1
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if _, ok := hex4(b[i+2:]); !ok {
				return -1
			}
			i += 6
		default:
			return -1
		}
	}
	return -1
}

// hex4 reads the four hexadecimal digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// lakeRecorder holds the buffers rows are rebuilt in, reused from row to
// row (ctRecord copies what an event keeps).
type lakeRecorder struct {
	cells []lakeCell
	rec   []byte
	text  []byte
}

// record rebuilds a record's JSON from a row's cells (valid until the
// next call); ok is false when the row has no columns.
func (l *lakeRecorder) record(cells []lakeCell) (_ []byte, ok bool) {
	out := append(l.rec[:0], '{')
	defer func() { l.rec = out[:0] }()
	for _, cell := range cells {
		v := cell.val
		var s []byte
		if s, l.text, ok = lakeText(v, l.text); ok {
			if bytes.EqualFold(cell.key, []byte("eventJson")) {
				return s, true
			}
			if t := bytes.TrimSpace(s); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
				if json.Valid(t) {
					v = t
				} else if m, ok := lakeStruct(string(t)); ok {
					v = m
				}
			}
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = appendJSONString(out, cell.key)
		out = append(out, ':')
		out = append(out, v...)
	}
	if len(out) == 1 {
		return nil, false
	}
	out = append(out, '}')
	return out, true
}

// lakeText returns what lakeString does as bytes: a string of ASCII
// characters without escapes is its own contents, one with escapes
// (other than of UTF-16 surrogates) is unquoted into buf, and anything
// else is left to lakeString and copied into buf. buf is returned for
// reuse.
func lakeText(v, buf []byte) (text, bufOut []byte, ok bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		in := v[1 : len(v)-1]
		i := 0
		for i < len(in) && in[i] != '\\' && in[i] >= 0x20 && in[i] < utf8.RuneSelf {
			i++
		}
		if i == len(in) {
			return in, buf, true
		}
		if t, ok := lakeUnquote(append(buf[:0], in[:i]...), in[i:]); ok {
			return t, t, true
		}
	}
	s, ok := lakeString(v)
	buf = append(buf[:0], s...)
	return buf, buf, ok
}

// lakeUnquote appends to dst the text of the contents of a JSON string of
// printable ASCII characters and escapes; ok is false for anything else
// (another byte, a bad escape, a \u escape of a UTF-16 surrogate).
func lakeUnquote(dst, in []byte) (_ []byte, ok bool) {
	for i := 0; i < len(in); {
		j := i
		for j < len(in) && in[j] != '\\' {
			if c := in[j]; c < 0x20 || c >= utf8.RuneSelf {
				return dst, false
			}
			j++
		}
		dst = append(dst, in[i:j]...)
		if j == len(in) {
			break
		}
		if j+1 == len(in) {
			return dst, false
		}
		i = j + 2
		switch c := in[j+1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(in[i:])
			if !ok || utf16.IsSurrogate(r) {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			i += 4
		default:
			return dst, false
		}
	}
	return dst, true
}

// lakeString returns the string a cell's value holds (null gives "");
// ok is false for another value. A string without escapes is its bytes; one with the
// escapes of ASCII text is unquoted by goccy/go-json; any other (invalid
// UTF-8, a \uD800–\uDFFF escape) by encoding/json, which replaces what
// is not valid UTF-8.
func lakeString(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return s, json.Unmarshal(v, &s) == nil // null is "", as encoding/json gives
	}
	in := v[1 : len(v)-1]
	ascii := true
	for _, c := range in {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && bytes.IndexByte(in, '\\') < 0 {
		return string(in), true
	}
	if ascii && !lakeSurrogate(in) && ctUnmarshal(v, &s) {
		return s, true
	}
	s = ""
	return s, json.Unmarshal(v, &s) == nil
}

// lakeSurrogate reports a \u escape of a UTF-16 surrogate in a string's
// bytes.
func lakeSurrogate(in []byte) bool {
	for i := 0; i+3 < len(in); i++ {
		if in[i] == '\\' {
			if in[i+1] == 'u' && (in[i+2] == 'd' || in[i+2] == 'D') && strings.IndexByte("89abcdefABCDEF", in[i+3]) >= 0 {
				return true
			}
			i++ // the escaped byte
		}
	}
	return false
}

// lakeStruct converts Lake's "{key=value, key={…}}" text of a structure
// to JSON, values as strings ("null" as null). ok is false when s does not
// have that form.
func lakeStruct(s string) (json.RawMessage, bool) {
	out, rest, ok := lakeValue(nil, s)
	if !ok || strings.TrimSpace(rest) != "" {
		return nil, false
	}
	return out, true
}

func lakeValue(out []byte, s string) ([]byte, string, bool) {
	s = strings.TrimLeft(s, " ")
	if s == "" || s[0] != '{' {
		i := strings.IndexAny(s, ",}]")
		if i < 0 {
			i = len(s)
		}
		v := strings.TrimSpace(s[:i])
		if v == "null" {
			return append(out, "null"...), s[i:], true
		}
		return appendJSONString(out, []byte(v)), s[i:], true
	}
	out = append(out, '{')
	s = s[1:]
	for first := true; ; first = false {
		s = strings.TrimLeft(s, " ")
		if s != "" && s[0] == '}' {
			return append(out, '}'), s[1:], true
		}
		if !first {
			if s == "" || s[0] != ',' {
				return nil, "", false
			}
			s = strings.TrimLeft(s[1:], " ")
			out = append(out, ',')
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], ",{}") {
			return nil, "", false
		}
		out = appendJSONString(out, []byte(strings.TrimSpace(s[:eq])))
		out = append(out, ':')
		var ok bool
		if out, s, ok = lakeValue(out, s[eq+1:]); !ok {
			return nil, "", false
		}
	}
}
