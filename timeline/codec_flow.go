package timeline

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Version 4 of the stored event (written from case schema 7) keeps a VPC
// flow record as its line and what the line does not say: everything
// else is read from the line again, by the function that made it
// (flowNormal). In version 3 the normalised values of a flow record (its
// addresses, ports, counts, times, action) took more room than the line
// that holds them.
//
// After the version and the flags (as in version 2) come the uvarint
// length of the head and the head: uvarint form (formFlowLine), source,
// kind, uvarint evidence, varint record, region, uvarint list (as in
// version 3: 0, or the number of a list of names), then the uvarint
// number of fields and, for list 0, their names; then the annotations
// and, with the flag hasResources, the resources. The raw text follows:
// the line as a JSON string without escapes, whose values are separated
// by single spaces.
//
// An event is written so only when reading it back gives the event
// itself (checked while encoding, field by field); any other is written
// in version 3. The flags hasTime and hasEnd are written as the event
// had them, and reading checks that the line still gives those times.
const codecV4 = 0x04

// Version 4 forms.
const formFlowLine = 1

// Errors of reading a version 4 event.
var (
	errFlowForm = errors.New("stored event: unknown form of version 4")
	errFlowLine = errors.New("stored event: its flow line does not give back the event")
)

// appendFlowLine appends e in version 4 when its line gives it back, and
// reports whether it did (it appends nothing when not).
func appendFlowLine(dst []byte, e *Event) ([]byte, bool) {
	line, ok := plainJSONString(e.Raw)
	if !ok || e.Source != SourceVPCFlow {
		return dst, false
	}
	names, values := e.fieldNames, e.fieldValues
	n := len(names)
	if n == 0 || n != len(values) || len(e.Fields) != 0 && len(e.Fields) != n || !joinedBySpaces(line, values) {
		return dst, false
	}
	l := flowLayoutFor(names)
	if !l.unique {
		return dst, false
	}
	var d Event
	flowNormal(&d, l, values, nil, 0)
	d.Region = e.Region
	if !sameFlowNormal(&d, e) {
		return dst, false
	}
	flags := eventFlags(e)
	b := append(dst, codecV4, flags)
	start := len(b)
	b = binary.AppendUvarint(b, formFlowLine)
	b = appendStr(b, e.Source)
	b = appendStr(b, e.Kind)
	b = binary.AppendUvarint(b, e.Evidence)
	b = binary.AppendVarint(b, e.Record)
	b = appendStr(b, e.Region)
	list := fieldListOf(names, lastList.Load())
	b = binary.AppendUvarint(b, list)
	if list != 0 {
		lastList.Store(list)
		b = binary.AppendUvarint(b, uint64(n))
	} else {
		b = appendStrs(b, names)
	}
	b = appendStrs(b, e.Annotations)
	if flags&hasResources != 0 {
		b = appendStrs(b, e.Resources)
	}
	return append(prefixLength(b, start), e.Raw...), true
}

// plainJSONString returns what raw holds when it is a JSON string with
// no escapes in it.
func plainJSONString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '"') >= 0 || bytes.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	return s, true
}

// joinedBySpaces reports whether line is values, none empty or holding a
// space, joined by single spaces: whether cutting line at its spaces
// gives them back.
func joinedBySpaces(line []byte, values []string) bool {
	at := 0
	for i, v := range values {
		if i > 0 {
			if at >= len(line) || line[at] != ' ' {
				return false
			}
			at++
		}
		if v == "" || strings.IndexByte(v, ' ') >= 0 || !bytes.HasPrefix(line[at:], []byte(v)) {
			return false
		}
		at += len(v)
	}
	return at == len(line)
}

// sameFlowNormal reports whether d, read from a flow line, has every
// normalised value of e that version 4 does not write.
func sameFlowNormal(d, e *Event) bool {
	return d.Time.IsZero() == e.Time.IsZero() && timeNanos(d.Time) == timeNanos(e.Time) &&
		d.End.IsZero() == e.End.IsZero() && timeNanos(d.End) == timeNanos(e.End) &&
		d.Account == e.Account && d.Region == e.Region &&
		d.Principal == e.Principal && d.PrincipalType == e.PrincipalType &&
		d.AccessKeyID == e.AccessKeyID && d.UserName == e.UserName && d.Issuer == e.Issuer &&
		d.PrincipalID == e.PrincipalID && d.IdentityARN == e.IdentityARN &&
		d.SrcIP == e.SrcIP && d.SrcPort == e.SrcPort && d.DstIP == e.DstIP && d.DstPort == e.DstPort &&
		slices.Equal(d.OtherIPs, e.OtherIPs) && d.Action == e.Action && d.Outcome == e.Outcome &&
		d.EventID == e.EventID && d.EventSource == e.EventSource && d.UserAgent == e.UserAgent &&
		d.Protocol == e.Protocol && d.Bytes == e.Bytes && d.Packets == e.Packets &&
		d.IssuedAccessKey == e.IssuedAccessKey && d.IssuedSession == e.IssuedSession
}

// decodeFlowLine reads a version 4 event b into e, reusing the memory of
// e's field list. fieldMap makes Fields (as DecodeEvent does), else the
// ordered list; keepRaw keeps Raw; normalisedOnly reads neither fields
// nor Raw.
func decodeFlowLine(e *Event, b []byte, fieldMap, keepRaw, normalisedOnly bool) error {
	*e = Event{fieldValues: e.fieldValues[:0]}
	if len(b) < 2 || b[0] != codecV4 || b[1]&^(hasTime|hasEnd|hasResources) != 0 {
		return fmt.Errorf("stored event: unknown encoding")
	}
	flags := b[1]
	d := decoder{b: b[2:]}
	head := d.uvarint()
	if d.err != nil || head > uint64(len(d.b)) {
		return errShort
	}
	// One string holds the head's strings and the line, which the
	// values are cut from.
	all := string(d.b)
	d.s, d.b = all[:head], d.b[:head]
	rawS := all[head:]
	if form := d.uvarint(); d.err == nil && form != formFlowLine {
		return errFlowForm
	}
	e.Source = d.str()
	e.Kind = d.str()
	e.Evidence = d.uvarint()
	e.Record = d.varint()
	region := d.str()
	var names []string
	list := d.uvarint()
	if list != 0 {
		n := d.uvarint()
		if d.err == nil {
			if names = fieldList(list, n); names == nil {
				return fmt.Errorf("stored event: no field list %d of %d names", list, n)
			}
		}
	} else {
		names = d.strs()
	}
	e.Annotations = d.strs()
	if flags&hasResources != 0 {
		e.Resources = d.strs()
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) > 0 {
		return fmt.Errorf("stored event: %d bytes left before the raw text", len(d.b))
	}
	if len(rawS) < 2 || rawS[0] != '"' || rawS[len(rawS)-1] != '"' {
		return errFlowLine
	}
	line := rawS[1 : len(rawS)-1]
	values := e.fieldValues[:0]
	for len(values) < len(names)-1 {
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			return errFlowLine
		}
		values = append(values, line[:i])
		line = line[i+1:]
	}
	values = append(values, line)
	l := flowLayoutFor(names)
	if len(values) != len(names) || !l.unique {
		return errFlowLine
	}
	flowNormal(e, l, values, nil, 0)
	e.Region = region
	if e.Time.IsZero() != (flags&hasTime == 0) || e.End.IsZero() != (flags&hasEnd == 0) {
		return errFlowLine
	}
	switch {
	case normalisedOnly:
		e.fieldValues = values[:0]
		return nil
	case fieldMap:
		e.Fields = make(map[string]string, len(names))
		for i, k := range names {
			e.Fields[k] = values[i]
		}
		e.fieldValues = nil
	default:
		e.fieldNames, e.fieldValues = names, values
	}
	if keepRaw {
		e.Raw = json.RawMessage(rawS)
	}
	return nil
}

// flowLayouts keeps the layouts of the field names events were last
// written or read with: a file's records all have the same.
var flowLayouts struct {
	sync.Mutex
	last  *flowLayout
	byKey map[string]*flowLayout
}

// flowLayoutFor returns the layout of names, made once.
func flowLayoutFor(names []string) *flowLayout {
	flowLayouts.Lock()
	defer flowLayouts.Unlock()
	if l := flowLayouts.last; l != nil && slices.Equal(l.names, names) {
		return l
	}
	key := strings.Join(names, "\x00")
	l := flowLayouts.byKey[key]
	if l == nil {
		if flowLayouts.byKey == nil || len(flowLayouts.byKey) >= 256 {
			flowLayouts.byKey = map[string]*flowLayout{}
		}
		l = newFlowLayout(slices.Clone(names))
		flowLayouts.byKey[key] = l
	}
	flowLayouts.last = l
	return l
}
