package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

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
// lists how its configuration differs from it.
func (p *parser) config(r io.Reader) error {
	return p.jsonMember(r, "configurationItems", "an AWS Config history or snapshot file", p.configItems)
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

// configItems reads the array of items.
func (p *parser) configItems(d *json.Decoder) error {
	if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
		return p.errorf("configurationItems is not an array")
	}
	previous := map[string]json.RawMessage{} // by resource type + id
	var n int64
	for d.More() {
		n++
		if err := p.tick(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
				p.warnf(n, "item", "invalid JSON at byte %d: %v: rest of file skipped", d.InputOffset(), err)
				return nil
			}
			return p.errorf("read: %w", err)
		}
		if err := p.configItem(raw, n, previous); err != nil {
			return err
		}
	}
	return nil
}

// configItem turns one configuration item into an event.
func (p *parser) configItem(raw json.RawMessage, n int64, previous map[string]json.RawMessage) error {
	var it configItem
	if err := json.Unmarshal(raw, &it); err != nil {
		p.warnf(n, "item", "%v: skipped", err)
		return nil
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
	if prev, ok := previous[key]; ok {
		changes = diffJSON(prev, it.Config)
		if len(changes) == 0 {
			changes = []string{"configuration unchanged"}
		}
	}
	if len(it.Config) > 0 && !bytes.Equal(it.Config, []byte("null")) {
		previous[key] = it.Config
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

// diffJSON lists how b differs from a: "+path: value" for what was
// added, "-path: value" for what was removed, "path: old -> new" for
// changed values. Arrays are compared as sets of elements (rule lists
// such as a security group's ipPermissions have no meaningful order).
func diffJSON(a, b json.RawMessage) []string {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return nil
	}
	var out []string
	diffValue(&out, "configuration", va, vb)
	if len(out) > maxConfigDiff {
		out = append(out[:maxConfigDiff], fmt.Sprintf("… %d more", len(out)-maxConfigDiff))
	}
	return out
}

func diffValue(out *[]string, path string, a, b any) {
	switch ta := a.(type) {
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(ta)+len(tb))
		for k := range ta {
			keys = append(keys, k)
		}
		for k := range tb {
			if _, ok := ta[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
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
		in := func(list []any, s string) bool {
			for _, v := range list {
				if compactJSON(v) == s {
					return true
				}
			}
			return false
		}
		for _, v := range tb {
			if s := compactJSON(v); !in(ta, s) {
				*out = append(*out, "+"+path+"[]: "+s)
			}
		}
		for _, v := range ta {
			if s := compactJSON(v); !in(tb, s) {
				*out = append(*out, "-"+path+"[]: "+s)
			}
		}
		return
	}
	if sa, sb := compactJSON(a), compactJSON(b); sa != sb {
		*out = append(*out, path+": "+sa+" -> "+sb)
	}
}

// compactJSON writes v as compact JSON (maps with sorted keys).
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
