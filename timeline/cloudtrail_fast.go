package timeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// ctFast reads the fields of ctRecord from one record in a single pass,
// validating the JSON as it goes and skipping the large nested values the
// timeline does not need (requestParameters, resources, …) without
// decoding them. encoding/json validated and decoded every record in full
// and dominated CloudTrail ingest.
//
// It returns false for anything outside the common shape (invalid JSON, a
// field of an unexpected type, keys that differ only in case, escaped
// keys, deep nesting); the caller then decodes with encoding/json, which
// gives the precise warning.
func ctFast(raw []byte, r *ctRecord) bool {
	w := walker{b: raw}
	w.ws()
	if !w.eat('{') {
		return false
	}
	w.ws()
	if w.eat('}') {
		return w.end()
	}
	for {
		w.ws()
		key, ok := w.key()
		if !ok {
			return false
		}
		w.ws()
		if !w.eat(':') {
			return false
		}
		w.ws()
		if !ctField(&w, key, r) {
			return false
		}
		w.ws()
		if w.eat(',') {
			continue
		}
		if w.eat('}') {
			return w.end()
		}
		return false
	}
}

// ctField reads the value of one top-level member.
func ctField(w *walker, key []byte, r *ctRecord) bool {
	var dst *string
	switch string(key) {
	case "eventTime":
		dst = &r.EventTime
	case "eventSource":
		dst = &r.EventSource
	case "eventName":
		dst = &r.EventName
	case "awsRegion":
		dst = &r.AWSRegion
	case "sourceIPAddress":
		dst = &r.SourceIPAddress
	case "userAgent":
		dst = &r.UserAgent
	case "errorCode":
		dst = &r.ErrorCode
	case "eventID":
		dst = &r.EventID
	case "eventType":
		dst = &r.EventType
	case "recipientAccountId":
		dst = &r.RecipientAccountID
	case "userIdentity":
		return w.object(func(span []byte) bool {
			r.UserIdentity = new(ctIdentity)
			return json.Unmarshal(span, r.UserIdentity) == nil
		}, func() { r.UserIdentity = nil })
	case "insightDetails":
		return w.object(func(span []byte) bool {
			r.InsightDetails = new(ctInsight)
			return json.Unmarshal(span, r.InsightDetails) == nil
		}, func() { r.InsightDetails = nil })
	case "CloudTrailEvent":
		if w.null() {
			r.CloudTrailEvent = nil
			return true
		}
		s, ok := w.str()
		if ok {
			r.CloudTrailEvent = &s
		}
		return ok
	case "digestStartTime":
		start := w.i
		if !w.value(0) {
			return false
		}
		r.DigestStartTime = json.RawMessage(bytes.Clone(w.b[start:w.i]))
		return true
	default:
		if ctKeyFolds(key) {
			return false // encoding/json would match it case-insensitively
		}
		return w.value(0)
	}
	if w.null() {
		*dst = ""
		return true
	}
	s, ok := w.str()
	if ok {
		*dst = s
	}
	return ok
}

// ctKeys are the top-level names ctRecord decodes.
var ctKeys = []string{"eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
	"errorCode", "eventID", "eventType", "recipientAccountId", "userIdentity", "insightDetails",
	"CloudTrailEvent", "digestStartTime"}

func ctKeyFolds(key []byte) bool {
	for _, k := range ctKeys {
		if len(k) == len(key) && strings.EqualFold(k, string(key)) {
			return true
		}
	}
	return false
}

// walker is a validating JSON reader over one value.
type walker struct {
	b []byte
	i int
}

// maxDepth bounds nesting; deeper values go to encoding/json.
const maxDepth = 512

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *walker) eat(c byte) bool {
	if w.i < len(w.b) && w.b[w.i] == c {
		w.i++
		return true
	}
	return false
}

func (w *walker) end() bool {
	w.ws()
	return w.i == len(w.b)
}

func (w *walker) null() bool {
	if bytes.HasPrefix(w.b[w.i:], []byte("null")) {
		w.i += 4
		return true
	}
	return false
}

// key reads an object key without escapes.
func (w *walker) key() ([]byte, bool) {
	if !w.eat('"') {
		return nil, false
	}
	start := w.i
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			k := w.b[start:w.i]
			w.i++
			return k, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		w.i++
	}
	return nil, false
}

// skipString validates a string, the opening quote already read. It
// reports whether the string holds escapes.
func (w *walker) skipString() (escaped, ok bool) {
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			w.i++
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			if w.i+1 >= len(w.b) {
				return false, false
			}
			switch w.b[w.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				w.i += 2
			case 'u':
				if w.i+6 > len(w.b) {
					return false, false
				}
				for _, h := range w.b[w.i+2 : w.i+6] {
					if !isHex(h) {
						return false, false
					}
				}
				w.i += 6
			default:
				return false, false
			}
		default:
			w.i++
		}
	}
	return false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str reads a string value.
func (w *walker) str() (string, bool) {
	start := w.i
	if !w.eat('"') {
		return "", false
	}
	escaped, ok := w.skipString()
	if !ok {
		return "", false
	}
	if !escaped && utf8.Valid(w.b[start+1:w.i-1]) {
		return string(w.b[start+1 : w.i-1]), true
	}
	var s string
	if json.Unmarshal(w.b[start:w.i], &s) != nil {
		return "", false
	}
	return s, true
}

// object reads an object value (handing its bytes to decode) or null.
func (w *walker) object(decode func([]byte) bool, setNull func()) bool {
	if w.null() {
		setNull()
		return true
	}
	if w.i >= len(w.b) || w.b[w.i] != '{' {
		return false
	}
	start := w.i
	if !w.value(0) {
		return false
	}
	return decode(w.b[start:w.i])
}

// value validates and skips any JSON value.
func (w *walker) value(depth int) bool {
	if depth > maxDepth || w.i >= len(w.b) {
		return false
	}
	switch c := w.b[w.i]; {
	case c == '"':
		w.i++
		_, ok := w.skipString()
		return ok
	case c == '{':
		w.i++
		w.ws()
		if w.eat('}') {
			return true
		}
		for {
			w.ws()
			if !w.eat('"') {
				return false
			}
			if _, ok := w.skipString(); !ok {
				return false
			}
			w.ws()
			if !w.eat(':') {
				return false
			}
			w.ws()
			if !w.value(depth + 1) {
				return false
			}
			w.ws()
			if w.eat(',') {
				continue
			}
			return w.eat('}')
		}
	case c == '[':
		w.i++
		w.ws()
		if w.eat(']') {
			return true
		}
		for {
			w.ws()
			if !w.value(depth + 1) {
				return false
			}
			w.ws()
			if w.eat(',') {
				continue
			}
			return w.eat(']')
		}
	case c == 't':
		return w.literal("true")
	case c == 'f':
		return w.literal("false")
	case c == 'n':
		return w.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return w.number()
	}
	return false
}

func (w *walker) literal(s string) bool {
	if bytes.HasPrefix(w.b[w.i:], []byte(s)) {
		w.i += len(s)
		return true
	}
	return false
}

// number validates a JSON number.
func (w *walker) number() bool {
	w.eat('-')
	switch {
	case w.eat('0'):
	case w.i < len(w.b) && '1' <= w.b[w.i] && w.b[w.i] <= '9':
		w.digits()
	default:
		return false
	}
	if w.eat('.') {
		if !w.digits() {
			return false
		}
	}
	if w.i < len(w.b) && (w.b[w.i] == 'e' || w.b[w.i] == 'E') {
		w.i++
		if !w.eat('+') {
			w.eat('-')
		}
		if !w.digits() {
			return false
		}
	}
	return true
}

func (w *walker) digits() bool {
	start := w.i
	for w.i < len(w.b) && '0' <= w.b[w.i] && w.b[w.i] <= '9' {
		w.i++
	}
	return w.i > start
}
