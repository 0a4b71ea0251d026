package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/trailcase/trailcase/evidence"
)

// SourceConfig is the source of AWS Config configuration item events.
const SourceConfig = "config"

// configItem is the part of a configuration item the timeline uses.
type configItem struct {
	CaptureTime  string          `json:"configurationItemCaptureTime"`
	Status       string          `json:"configurationItemStatus"`
	ResourceType string          `json:"resourceType"`
	ResourceID   string          `json:"resourceId"`
	ResourceName string          `json:"resourceName"`
	ARN          string          `json:"ARN"`
	ARNLower     string          `json:"arn"`
	Region       string          `json:"awsRegion"`
	Account      string          `json:"awsAccountId"`
	Related      []string        `json:"relatedEvents"`
	Config       json.RawMessage `json:"configuration"`
}

// maxConfigDiff caps the changes listed for one item.
const maxConfigDiff = 40

// config reads an AWS Config history or snapshot file
// ({"fileVersion":…,"configurationItems":[…]}). Each item becomes an
// event; an item that follows another of the same resource in the file
// lists how its configuration differs from it. The items are split
// without decoding (jsonScanner) and each is decoded once.
func (p *parser) config(r io.Reader) error {
	const what = "an AWS Config history or snapshot file"
	s := newJSONScanner(r)
	defer s.release()
	if c, err := s.peekNonSpace(); err != nil || c != '{' {
		return p.errorf("not %s: no JSON object", what)
	}
	s.consume(1)
	var key []byte
	for {
		c, err := s.peekNonSpace()
		if err != nil {
			return p.errorf("invalid JSON: %w", s.eof(err))
		}
		if c == '}' {
			break
		}
		if c != '"' {
			return p.errorf("invalid JSON: %w", s.fail("expected a key, found %q", c))
		}
		key = key[:0]
		if err := s.skipString(&key); err != nil {
			return p.errorf("invalid JSON: %w", err)
		}
		if err := s.expect(':'); err != nil {
			return p.errorf("invalid JSON: %w", err)
		}
		if string(key) == "configurationItems" {
			return p.configItems(s)
		}
		if err := s.skipValue(); err != nil {
			return p.errorf("invalid JSON: %w", err)
		}
		if c, err = s.peekNonSpace(); err == nil && c == ',' {
			s.consume(1)
		} else if err != nil || c != '}' {
			return p.errorf("invalid JSON: %w", s.fail("expected ',' or '}'"))
		}
	}
	return p.errorf("no configurationItems: not %s", what)
}

// jsonMember finds the member key of the top-level object of r and calls
// read with the decoder positioned at its value; what names the format in
// errors.
func (p *parser) jsonMember(r io.Reader, key, what string, read func(*json.Decoder) error) error {
	d := json.NewDecoder(r)
	d.UseNumber()
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return p.errorf("not %s: no JSON object", what)
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return p.errorf("invalid JSON: %w", err)
		}
		if k, _ := tok.(string); k == key {
			return read(d)
		}
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return p.errorf("invalid JSON: %w", err)
		}
	}
	return p.errorf("no %s: not %s", key, what)
}

// configItems reads the array of items, whose '[' is next.
func (p *parser) configItems(s *jsonScanner) error {
	if c, err := s.peekNonSpace(); err != nil || c != '[' {
		return p.errorf("configurationItems is not an array")
	}
	s.consume(1)
	previous := map[string][]byte{} // compact configurations by resource type + id
	var n int64
	for {
		c, err := s.peekNonSpace()
		if err != nil {
			p.warnf(n+1, "item", "invalid JSON: %v: rest of file skipped", s.eof(err))
			return nil
		}
		if c == ']' {
			return nil
		}
		n++
		if err := p.tick(); err != nil {
			return err
		}
		s.startCapture()
		err = s.skipValue()
		raw, over := s.stopCapture()
		if err != nil {
			var se *syntaxError
			if errors.As(err, &se) {
				p.warnf(n, "item", "invalid JSON at %v: rest of file skipped", se)
				return nil
			}
			return p.errorf("read: %w", err)
		}
		if over {
			p.warnf(n, "item", "larger than %d bytes: skipped", maxRecordBytes)
		} else if err := p.configItem(raw, n, previous); err != nil {
			return err
		}
		c, err = s.peekNonSpace()
		if err != nil {
			p.warnf(n, "item", "invalid JSON: %v: rest of file skipped", s.eof(err))
			return nil
		}
		switch c {
		case ',':
			s.consume(1)
		case ']':
			return nil
		default:
			p.warnf(n, "item", "invalid JSON at %v: rest of file skipped", s.fail("expected ',' or ']', found %q", c))
			return nil
		}
	}
}

// configItem turns one configuration item into an event.
func (p *parser) configItem(raw []byte, n int64, previous map[string][]byte) error {
	var it configItem
	if !ctUnmarshal(raw, &it) {
		// encoding/json gives the precise warning.
		it = configItem{}
		if err := json.Unmarshal(raw, &it); err != nil {
			p.warnf(n, "item", "%v: skipped", err)
			return nil
		}
	}
	if it.ResourceType == "" && it.ResourceID == "" {
		p.warnf(n, "item", "not a configuration item (no resourceType or resourceId): skipped")
		return nil
	}
	if it.ARN == "" {
		it.ARN = it.ARNLower
	}
	e := &Event{
		Source: SourceConfig, Kind: evidence.KindConfig, Record: n,
		Account: it.Account, Region: it.Region,
		Action:  strings.TrimSpace(it.ResourceType + " " + it.Status),
		Outcome: it.Status, Raw: raw,
	}
	e.Resources = addResource(addResource(nil, it.ARN), it.ResourceID)
	if t, ok := parseISOTime(it.CaptureTime); ok {
		p.setTime(&e.Time, t, n, "item", "configurationItemCaptureTime")
	} else {
		p.warnf(n, "item", "configurationItemCaptureTime %s is not a time: event kept without a time", quoteShort(it.CaptureTime))
	}
	key := it.ResourceType + "\x00" + it.ResourceID
	var changes []string
	cur := compactConfig(it.Config)
	if prev, ok := previous[key]; ok {
		if !bytes.Equal(prev, cur) {
			changes = diffJSON(prev, cur)
		}
		if len(changes) == 0 {
			changes = []string{"configuration unchanged"}
		}
	}
	if len(cur) > 0 && !bytes.Equal(cur, []byte("null")) {
		previous[key] = cur
	}
	if len(changes) > 0 {
		e.Annotations = append(e.Annotations, "config: "+strings.Join(changes, "; "))
	}
	if !p.opts.BorrowRaw {
		e.Raw = bytes.Clone(raw)
	}
	setFields(e, [][2]string{
		{"resource_type", it.ResourceType}, {"resource_id", it.ResourceID}, {"resource_name", it.ResourceName},
		{"arn", it.ARN}, {"status", it.Status}, {"related_events", strings.Join(it.Related, ",")},
		{"changes", strings.Join(changes, "; ")},
	}, p.opts.NoFieldMap)
	return p.send(e)
}

// compactConfig returns a compact copy of a configuration: what is kept
// of the previous item of each resource, for the next one's difference.
// Identical configurations are then equal bytes.
func compactConfig(c json.RawMessage) []byte {
	if len(c) == 0 {
		return nil
	}
	if isCompactJSON(c) {
		// What json.Compact would give, whether or not c is valid.
		return bytes.Clone(c)
	}
	var b bytes.Buffer
	b.Grow(len(c))
	if json.Compact(&b, c) != nil {
		return bytes.Clone(c)
	}
	return b.Bytes()
}

// isCompactJSON reports that d has no white space outside its strings:
// json.Compact would return it as it is (or fail).
func isCompactJSON(d []byte) bool {
	in := false
	for i := 0; i < len(d); i++ {
		switch c := d[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}

// diffJSON lists how b differs from a: "+path: value" for what was
// added, "-path: value" for what was removed, "path: old -> new" for
// changed values. Arrays are compared as sets of elements (rule lists
// such as a security group's ipPermissions have no meaningful order).
// The compact JSON is compared directly where it can be (diffCompact),
// by decoding otherwise (diffRaw).
func diffJSON(a, b []byte) []string {
	var out []string
	if !diffCompact(&out, "configuration", a, b) && !diffRaw(&out, "configuration", a, b) {
		return nil
	}
	if len(out) > maxConfigDiff {
		out = append(out[:maxConfigDiff], fmt.Sprintf("… %d more", len(out)-maxConfigDiff))
	}
	return out
}

// diffRaw adds how b differs from a to out (see diffJSON). Two objects
// are compared member by member, and a member whose JSON is the same
// bytes on both sides is not decoded: in a configuration that changed,
// most members did not. It reports false when a side is not valid JSON.
func diffRaw(out *[]string, path string, a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) > 0 && a[0] == '{' && len(b) > 0 && b[0] == '{' {
		var ma, mb map[string]gojson.RawMessage
		if ctUnmarshal(a, &ma) && ctUnmarshal(b, &mb) {
			for _, k := range unionKeys(ma, mb) {
				va, ina := ma[k]
				vb, inb := mb[k]
				switch {
				case !ina:
					*out = append(*out, "+"+path+"."+k+": "+compactRaw(vb))
				case !inb:
					*out = append(*out, "-"+path+"."+k+": "+compactRaw(va))
				default:
					if !diffRaw(out, path+"."+k, va, vb) {
						return false
					}
				}
			}
			return true
		}
	}
	var va, vb any
	if !decodeAny(a, &va) || !decodeAny(b, &vb) {
		return false
	}
	diffValue(out, path, va, vb)
	return true
}

// compactRaw prints a JSON value as diffValue does (compactJSON of its
// decoded value).
func compactRaw(d []byte) string {
	var v any
	if !decodeAny(d, &v) {
		return string(d)
	}
	return compactJSON(v)
}

// decodeAny decodes JSON into maps, slices and scalars as encoding/json
// does (numbers as float64), with goccy/go-json.
func decodeAny(d []byte, v *any) bool {
	if ctUnmarshal(d, v) {
		return true
	}
	*v = nil
	return json.Unmarshal(d, v) == nil
}

func diffValue(out *[]string, path string, a, b any) {
	switch ta := a.(type) {
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok {
			break
		}
		for _, k := range unionKeys(ta, tb) {
			va, ina := ta[k]
			vb, inb := tb[k]
			switch {
			case !ina:
				*out = append(*out, "+"+path+"."+k+": "+compactJSON(vb))
			case !inb:
				*out = append(*out, "-"+path+"."+k+": "+compactJSON(va))
			default:
				diffValue(out, path+"."+k, va, vb)
			}
		}
		return
	case []any:
		tb, ok := b.([]any)
		if !ok {
			break
		}
		// Each element's JSON once; membership by set.
		sa, sb := compactAll(ta), compactAll(tb)
		inA, inB := make(map[string]bool, len(sa)), make(map[string]bool, len(sb))
		for _, s := range sa {
			inA[s] = true
		}
		for _, s := range sb {
			inB[s] = true
		}
		for _, s := range sb {
			if !inA[s] {
				*out = append(*out, "+"+path+"[]: "+s)
			}
		}
		for _, s := range sa {
			if !inB[s] {
				*out = append(*out, "-"+path+"[]: "+s)
			}
		}
		return
	}
	if sameScalar(a, b) {
		return
	}
	if sa, sb := compactJSON(a), compactJSON(b); sa != sb {
		*out = append(*out, path+": "+sa+" -> "+sb)
	}
}

// sameScalar reports two equal strings, numbers, booleans or nulls
// (which print the same), without printing them.
func sameScalar(a, b any) bool {
	switch ta := a.(type) {
	case nil:
		return b == nil
	case string:
		tb, ok := b.(string)
		return ok && ta == tb
	case float64:
		tb, ok := b.(float64)
		return ok && ta == tb && math.Signbit(ta) == math.Signbit(tb)
	case bool:
		tb, ok := b.(bool)
		return ok && ta == tb
	}
	return false
}

// compactAll returns each element as compact JSON.
func compactAll(list []any) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = compactJSON(v)
	}
	return out
}

// compactJSON writes v as compact JSON (maps with sorted keys), as
// encoding/json does, with goccy/go-json.
func compactJSON(v any) string {
	b, err := gojson.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// unionKeys returns the keys of a and b, each once, sorted.
func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
