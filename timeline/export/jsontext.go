package export

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/trailcase/trailcase/timeline"
)

// The Parquet and CSV exports write an event's field map as JSON text and
// its raw record as text for every row. encoding/json does both through
// reflection (and sorts the keys of every map through reflect.Value),
// which was a quarter of the Parquet export's time; the functions below
// give the same bytes directly. FuzzFieldsJSON holds them to
// encoding/json's output.

// fieldOrders remembers the sorted keys of the last few field maps: the
// events of one log format have the same field names, so most maps are
// written in an order already known, without sorting their keys.
type fieldOrders struct {
	orders [][]string
	next   int // the order to replace when a new one is kept
	// listNames and listPerm: the last list of field names written from
	// a list (appendRowFields) and the places of its names in sorted
	// order.
	listNames []string
	listPerm  []int
}

const keptFieldOrders = 8

// appendFieldsJSON appends the JSON object of m with its keys sorted, as
// encoding/json writes a map[string]string: with HTML characters escaped
// (json.Marshal) when html is true, without (an Encoder with
// SetEscapeHTML(false)) when not.
func (fo *fieldOrders) appendFieldsJSON(dst []byte, m map[string]string, html bool) []byte {
	start := len(dst)
	for _, keys := range fo.orders {
		if len(keys) != len(m) {
			continue
		}
		// m has as many keys as this order: if it has each of them, the
		// order is m's.
		out, ok := appendInOrder(dst, m, keys, html)
		if ok {
			return out
		}
		dst = out[:start]
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(fo.orders) < keptFieldOrders {
		fo.orders = append(fo.orders, keys)
	} else {
		fo.orders[fo.next] = keys
		fo.next = (fo.next + 1) % keptFieldOrders
	}
	out, _ := appendInOrder(dst, m, keys, html)
	return out
}

// appendRowFields appends the JSON object of r's fields, as
// appendFieldsJSON writes Fields: from the list in sorted order when r
// holds them as a list.
func (fo *fieldOrders) appendRowFields(dst []byte, r *Row, html bool) []byte {
	if r.Fields != nil || len(r.fieldNames) == 0 {
		return fo.appendFieldsJSON(dst, r.Fields, html)
	}
	perm := fo.sortedOrder(r.fieldNames)
	dst = append(dst, '{')
	for i, j := range perm {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = timeline.AppendJSONString(dst, r.fieldNames[j], html)
		dst = append(dst, ':')
		dst = timeline.AppendJSONString(dst, r.fieldValues[j], html)
	}
	return append(dst, '}')
}

// sortedOrder returns the places of names in sorted order, remembered for
// the last list of names seen (a file's rows all have the same).
func (fo *fieldOrders) sortedOrder(names []string) []int {
	if slices.Equal(fo.listNames, names) {
		return fo.listPerm
	}
	fo.listNames = slices.Clone(names)
	fo.listPerm = fo.listPerm[:0]
	for i := range names {
		fo.listPerm = append(fo.listPerm, i)
	}
	slices.SortFunc(fo.listPerm, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	return fo.listPerm
}

// appendInOrder appends the JSON object of m with its keys in the order
// of keys; ok is false (and dst holds part of the object) if one of keys
// is not in m.
func appendInOrder(dst []byte, m map[string]string, keys []string, html bool) (out []byte, ok bool) {
	dst = append(dst, '{')
	for i, k := range keys {
		v, ok := m[k]
		if !ok {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = timeline.AppendJSONString(dst, k, html)
		dst = append(dst, ':')
		dst = timeline.AppendJSONString(dst, v, html)
	}
	return append(dst, '}'), true
}

// rawText returns a record's raw form as text, as timeline.RawText does:
// a JSON string's value (the log line), anything else as it is (the
// CloudTrail record's JSON). Most strings (flow log lines, ELB lines whose
// only escapes are of quotes) are read without encoding/json.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return string(raw)
	}
	body, escaped, ok := simpleJSONString(raw)
	switch {
	case ok && !escaped:
		return string(body)
	case ok:
		var out strings.Builder
		out.Grow(len(body))
		for i := 0; i < len(body); i++ {
			if body[i] == '\\' {
				i++
			}
			out.WriteByte(body[i])
		}
		return out.String()
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// simpleJSONString reports whether b is a JSON string (quotes included)
// that holds no control byte, is valid UTF-8 and escapes nothing but a
// quote or a backslash (\" and \\), and returns what is between its quotes. ok
// is false for any other b, valid JSON or not.
func simpleJSONString(b []byte) (body []byte, escaped, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false, false
	}
	body = b[1 : len(b)-1]
	ascii := true
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\':
			if i+1 == len(body) || body[i+1] != '"' && body[i+1] != '\\' {
				return nil, false, false
			}
			escaped = true
			i++
		case c < 0x20 || c == '"':
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(body) {
		return nil, false, false
	}
	return body, escaped, true
}

// validRaw reports whether raw is valid JSON (json.Valid), deciding the
// common case of a simple string without a scanner, and the others with
// go-json's, which answers as encoding/json's (FuzzJSONText) in a third
// of its time.
func validRaw(raw json.RawMessage) bool {
	if len(raw) > 0 && raw[0] == '"' {
		if _, _, ok := simpleJSONString(raw); ok {
			return true
		}
	}
	return gojson.Valid(raw)
}
