package timeline

import (
	"encoding/json"
	"fmt"
	"slices"
)

// DecodeOptions say which parts of a stored event a reader does without,
// for readers that go over every event of a case and read a few fields
// of each (the rules of findings and summary).
type DecodeOptions struct {
	// FieldList keeps the fields of text logs as an ordered list, read
	// with Event.Field, instead of building the Fields map.
	FieldList bool
	// NoRaw are the sources whose events may be read without Raw.
	// Text-log fields are read all the same.
	NoRaw []string
	// NormalisedOnly reads the normalised fields only: no field map or
	// list, no Raw (for the index terms of a stored event, which read
	// nothing else). Stored forms other than version 3 are read whole.
	NormalisedOnly bool
	// Borrow lets the event keep b: its Raw is then a slice of b, not a
	// copy. For a caller whose b is never changed or reused afterwards
	// (a query's fetched events).
	Borrow bool
}

// rawOf returns raw as the event's Raw: raw itself when o.Borrow, else a
// copy.
func (o DecodeOptions) rawOf(raw []byte) json.RawMessage {
	if o.Borrow {
		return json.RawMessage(raw[:len(raw):len(raw)])
	}
	return json.RawMessage(slices.Clone(raw))
}

// noRaw reports whether the events of source (its bytes) go without Raw.
func (o DecodeOptions) noRaw(source []byte) bool {
	for _, s := range o.NoRaw {
		if s == string(source) {
			return true
		}
	}
	return false
}

// DecodeEventInto reads an event stored by EncodeEvent into e, reusing
// what e holds from a previous call (its field list), as DecodeEvent does
// but for the parts o leaves out. Stored forms other than version 3 are
// read by DecodeEvent.
func DecodeEventInto(e *Event, b []byte, o DecodeOptions) error {
	if len(b) > 0 && b[0] == codecV4 {
		return decodeLineEvent(e, b, !o.FieldList, o)
	}
	if o.NormalisedOnly && len(b) >= 2 && b[0] == codecV3 {
		return decodeNormalised(e, b)
	}
	if len(b) < 2 || b[0] != codecV3 || !o.FieldList {
		ev, err := decodeEvent(b, o)
		*e = ev
		if err == nil && o.noRaw([]byte(e.Source)) {
			e.Raw = nil
		}
		return err
	}
	d, flags, raw, err := v3Head(e, b)
	if err != nil {
		return err
	}
	head, values := len(d.b), e.fieldValues
	var rawS string // the raw text, which the fields of text logs are cut from
	keepRaw := !o.noRaw(sourceBytes(d.b))
	if keepRaw {
		d.s = string(d.b)
	} else {
		// One string holds the event's strings and its raw text.
		all := string(d.b[:len(d.b)+len(raw)])
		d.s, rawS = all[:head], all[head:]
	}
	d.normalised(e, flags, false)
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > uint64(len(d.b)) {
			return errShort
		}
		var names []string
		if list := d.uvarint(); list != 0 && d.err == nil {
			if names = fieldList(list, n); names == nil {
				return fmt.Errorf("stored event: no field list %d of %d names", list, n)
			}
		} else {
			names = make([]string, 0, n)
		}
		listed := len(names) > 0
		at := 0 // where the previous reference ended
		for i := uint64(0); i < n && d.err == nil; i++ {
			if !listed {
				names = append(names, d.str())
			}
			v, err := d.fieldValue(raw, &rawS, &at)
			if err != nil {
				return err
			}
			values = append(values, v)
		}
		if d.err == nil {
			if !listed {
				// A map's keys are unique; a list's names are kept so.
				names, values = uniqueFields(names, values)
			}
			e.fieldNames, e.fieldValues = names, values
		}
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) > 0 {
		return fmt.Errorf("stored event: %d bytes left before the raw text", len(d.b))
	}
	if keepRaw && len(raw) > 0 {
		e.Raw = o.rawOf(raw)
	}
	return nil
}

// v3Head empties e for a version 3 event b (keeping the memory of its
// field list) and returns a decoder of b's head (from its time to its
// fields), its flags and its raw text.
func v3Head(e *Event, b []byte) (*decoder, byte, []byte, error) {
	*e = Event{fieldValues: e.fieldValues[:0]}
	d, flags, _, ok := header(b)
	if !ok {
		return nil, 0, nil, fmt.Errorf("stored event: unknown encoding")
	}
	raw := d.splitHead()
	if d.err != nil {
		return nil, 0, nil, d.err
	}
	return d, flags, raw, nil
}

// decodeNormalised reads the normalised fields of a version 3 event
// into e (DecodeOptions.NormalisedOnly).
func decodeNormalised(e *Event, b []byte) error {
	d, flags, _, err := v3Head(e, b)
	if err != nil {
		return err
	}
	d.s = string(d.b)
	d.normalised(e, flags, false)
	return d.err
}

// sourceBytes returns the source of a version 3 event's head (from its
// time on), or nil.
func sourceBytes(head []byte) []byte {
	d := decoder{b: head}
	d.varint()
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		return nil
	}
	return d.b[:n]
}

// uniqueFields keeps the last value of a name written twice, as the map
// DecodeEvent builds does.
func uniqueFields(names, values []string) ([]string, []string) {
	for i := 1; i < len(names); i++ {
		for j := range i {
			if names[j] == names[i] {
				m := make(map[string]string, len(names))
				outN, outV := names[:0:0], values[:0:0]
				for k, n := range names {
					if _, ok := m[n]; !ok {
						outN = append(outN, n)
					}
					m[n] = values[k]
				}
				for _, n := range outN {
					outV = append(outV, m[n])
				}
				return outN, outV
			}
		}
	}
	return names, values
}
