package timeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/trailcase/trailcase/evidence"
)

// csvColumns maps the console's event-history CSV headings (lower case)
// to what they hold.
var csvColumns = map[string]string{
	"cloudtrail event": "record", "cloudtrailevent": "record",
	"event id": "id", "event time": "time", "user name": "user", "event name": "name",
	"aws access key": "key", "event source": "source", "aws region": "region",
	"error code": "error", "source ip address": "ip",
	"resource type": "rtype", "resource name": "rname",
}

// isCTHistoryCSVHeader reports whether line is the heading line of an
// event-history CSV download.
func isCTHistoryCSVHeader(line string) bool {
	l := strings.ToLower(line)
	return strings.Contains(l, "event id") && strings.Contains(l, "event time") && strings.Contains(l, "event name")
}

// cloudTrailCSV reads the console's event-history CSV. When a row holds
// the record JSON (the "CloudTrail event" column) the record is read as
// any CloudTrail record; otherwise the event is built from the columns.
func (p *parser) cloudTrailCSV(r io.Reader) error {
	cr := csv.NewReader(newLineReader(r).br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return p.errorf("no CSV heading line: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if what, ok := csvColumns[h]; ok {
			col[what] = i
		}
	}
	if _, ok := col["record"]; !ok {
		if _, ok := col["id"]; !ok {
			return p.errorf("not a CloudTrail event-history CSV: no %q or %q column", "CloudTrail event", "Event ID")
		}
	}
	var n int64
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		n++
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.warnf(n, "row", "line %d: %v: skipped", pe.StartLine, pe.Err)
				continue
			}
			return p.errorf("read: %w", err)
		}
		if err := p.tick(); err != nil {
			return err
		}
		get := func(what string) string {
			if i, ok := col[what]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		if rec := get("record"); rec != "" {
			if err := p.withResources(historyResources(get("rname")), func() error {
				return p.ctRecord([]byte(rec), n, int64(line))
			}); err != nil {
				return err
			}
			continue
		}
		if err := p.csvEvent(get, n, int64(line)); err != nil {
			return err
		}
	}
}

// csvEvent builds an event from the CSV columns alone.
func (p *parser) csvEvent(get func(string) string, n, line int64) error {
	e := &Event{
		Source: SourceCloudTrail, Kind: evidence.KindCloudTrail, Record: n,
		EventID: get("id"), Action: get("name"), UserName: get("user"), Principal: get("user"),
		AccessKeyID: get("key"), EventSource: get("source"), Region: get("region"),
		SrcIP: get("ip"), Outcome: "success", Resources: historyResources(get("rname")),
	}
	if c := get("error"); c != "" {
		e.Outcome = c
	}
	if t, ok := parseISOTime(get("time")); ok {
		p.setTime(&e.Time, t, n, "row", "Event time")
	} else {
		p.warnf(n, "row", "line %d: Event time %s is not a time: event kept without a time", line, quoteShort(get("time")))
	}
	e.Raw, _ = json.Marshal(map[string]string{
		"eventID": e.EventID, "eventTime": get("time"), "eventName": e.Action, "userName": e.UserName,
		"accessKeyId": e.AccessKeyID, "eventSource": e.EventSource, "awsRegion": e.Region,
		"errorCode": get("error"), "sourceIPAddress": e.SrcIP,
		"resourceType": get("rtype"), "resourceName": get("rname"),
	})
	return p.send(e)
}

// historyResources splits the "Resource name" cell of an event-history
// row: the console writes the names of an event's resources in one cell,
// separated by commas.
func historyResources(cell string) []string {
	var out []string
	for _, r := range strings.Split(cell, ",") {
		out = addResource(out, r)
	}
	return out
}

// lookupResources returns the names in the Resources list of an event
// history entry (LookupEvents, the console's JSON download):
// [{"ResourceType":…,"ResourceName":…}]. The record inside the entry
// does not always name them.
func lookupResources(entry []byte) []string {
	var v struct {
		Resources []struct {
			ResourceName ctName `json:"ResourceName"`
		} `json:"Resources"`
	}
	if json.Unmarshal(entry, &v) != nil {
		return nil
	}
	var out []string
	for _, r := range v.Resources {
		out = addResource(out, string(r.ResourceName))
	}
	return out
}

// withResources runs read with every event it sends also naming rs (the
// resources an event-history row lists beside its record).
func (p *parser) withResources(rs []string, read func() error) error {
	if len(rs) == 0 {
		return read()
	}
	emit := p.emit
	defer func() { p.emit = emit }()
	p.emit = func(e *Event) error {
		for _, r := range rs {
			e.Resources = addResource(e.Resources, r)
		}
		return emit(e)
	}
	return read()
}

// cloudTrailLake reads CloudTrail Lake query results
// ({"QueryStatus":…,"QueryResultRows":[[{"column":"value"},…],…]}). A
// row is turned back into a record: columns holding JSON (or Lake's
// "{key=value, …}" form of structures) become objects again; an eventJson
// column is taken as the whole record.
func (p *parser) cloudTrailLake(r io.Reader) error {
	return p.jsonMember(r, "QueryResultRows", "CloudTrail Lake query results", p.lakeRows)
}

func (p *parser) lakeRows(d *json.Decoder) error {
	if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
		return p.errorf("QueryResultRows is not an array")
	}
	var n int64
	for d.More() {
		n++
		// The decoder finds the row and checks its syntax; the row is
		// decoded with goccy/go-json, and with encoding/json when that
		// fails, for the warning.
		var raw json.RawMessage
		var row []map[string]json.RawMessage
		err := d.Decode(&raw)
		if err == nil && !ctUnmarshal(raw, &row) {
			row = nil
			err = json.Unmarshal(raw, &row)
		}
		if err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				p.warnf(n, "row", "%v: skipped", err)
				continue
			}
			p.warnf(n, "row", "invalid JSON at byte %d: %v: rest of file skipped", d.InputOffset(), err)
			return nil
		}
		rec := lakeRecord(row)
		if rec == nil {
			p.warnf(n, "row", "no columns: skipped")
			continue
		}
		if err := p.ctRecord(rec, n, n); err != nil {
			return err
		}
	}
	return nil
}

// lakeRecord rebuilds a record's JSON from a result row.
func lakeRecord(row []map[string]json.RawMessage) []byte {
	out := []byte{'{'}
	for _, cell := range row {
		for k, v := range cell {
			if s, ok := lakeString(v); ok {
				if strings.EqualFold(k, "eventJson") {
					return []byte(s)
				}
				if t := strings.TrimSpace(s); t != "" && (t[0] == '{' || t[0] == '[') {
					if json.Valid([]byte(t)) {
						v = json.RawMessage(t)
					} else if m, ok := lakeStruct(t); ok {
						v = m
					}
				}
			}
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = appendJSONString(out, []byte(k))
			out = append(out, ':')
			out = append(out, v...)
		}
	}
	if len(out) == 1 {
		return nil
	}
	return append(out, '}')
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
