package timeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Version 4 of the stored event (written from case schema 7) keeps a text
// log record as its line and what the line does not say: everything else
// is read from the line again, by the function that made it. In version 3
// the normalised values of a flow record (its addresses, ports, counts,
// times, action) took more room than the line that holds them, and the
// places of an ELB line's fields in it, in sorted-name order, compressed
// poorly.
//
// After the version and the flags (as in version 2) come the uvarint
// length of the head and the head: uvarint form, source, kind, uvarint
// evidence, varint record, then what the form adds, then the annotations
// and, with the flag hasResources, the resources. The raw text follows.
//
//   - formFlowLine, a VPC flow record read by flowNormal, adds its region
//     and uvarint list (as in version 3: 0, or the number of a list of
//     names), then the uvarint number of fields and, for list 0, their
//     names. The raw text is the line as a JSON string without escapes,
//     whose values are separated by single spaces.
//   - formELBLine, an ELB log record read by the ELB parser's elbLine,
//     adds nothing: the line gives the field names too. The raw text is
//     the line as a JSON string whose only escapes are of quotes and
//     backslashes.
//
// An event is written so only when reading it back gives the event
// itself (checked while encoding, value by value); any other is written
// in version 3. The flags hasTime and hasEnd are written as the event had
// them, and reading checks that the line still gives those times.
const codecV4 = 0x04

// Version 4 forms.
const (
	formFlowLine = 1
	formELBLine  = 2
)

// Errors of reading a version 4 event.
var (
	errLineForm = errors.New("stored event: unknown form of version 4")
	errFlowLine = errors.New("stored event: its flow line does not give back the event")
	errELBLine  = errors.New("stored event: its ELB line does not give back the event")
)

// appendLineEvent appends e in version 4 when its line gives it back, and
// reports whether it did (it appends nothing when not).
func appendLineEvent(dst []byte, e *Event) ([]byte, bool) {
	switch e.Source {
	case SourceVPCFlow:
		return appendFlowLine(dst, e)
	case SourceELB:
		return appendELBLine(dst, e)
	}
	return dst, false
}

// appendFlowLine is appendLineEvent for a flow record.
func appendFlowLine(dst []byte, e *Event) ([]byte, bool) {
	line, ok := plainJSONString(e.Raw)
	if !ok {
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
	if !sameNormal(&d, e) {
		return dst, false
	}
	b, start := appendLineHead(dst, e, formFlowLine)
	b = appendStr(b, e.Region)
	list := fieldListOf(names, lastList.Load())
	b = binary.AppendUvarint(b, list)
	if list != 0 {
		lastList.Store(list)
		b = binary.AppendUvarint(b, uint64(n))
	} else {
		b = appendStrs(b, names)
	}
	return appendLineTail(b, start, e), true
}

// appendELBLine is appendLineEvent for an ELB record.
func appendELBLine(dst []byte, e *Event) ([]byte, bool) {
	line, ok := elbLineOf(e.Raw)
	if !ok {
		return dst, false
	}
	var d Event
	if !readELBLine(&d, line, e.Record) || d.Source != e.Source || d.Kind != e.Kind || !sameFields(&d, e) || !sameNormal(&d, e) {
		return dst, false
	}
	b, start := appendLineHead(dst, e, formELBLine)
	return appendLineTail(b, start, e), true
}

// appendLineHead appends the version, the flags and the head's common
// part; start is where the head begins.
func appendLineHead(dst []byte, e *Event, form uint64) (b []byte, start int) {
	b = append(dst, codecV4, eventFlags(e))
	start = len(b)
	b = binary.AppendUvarint(b, form)
	b = appendStr(b, e.Source)
	b = appendStr(b, e.Kind)
	b = binary.AppendUvarint(b, e.Evidence)
	b = binary.AppendVarint(b, e.Record)
	return b, start
}

// appendLineTail ends the head with the annotations and resources, puts
// its length before it (from start) and appends the raw text.
func appendLineTail(b []byte, start int, e *Event) []byte {
	b = appendStrs(b, e.Annotations)
	if len(e.Resources) > 0 {
		b = appendStrs(b, e.Resources)
	}
	return append(prefixLength(b, start), e.Raw...)
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

// elbLineOf returns the line raw holds as a JSON string, when its only
// escapes are of quotes and backslashes (as the parser writes a line
// without control characters). Raw is stored as it is: the line only
// has to give back the event.
func elbLineOf(raw []byte) (string, bool) {
	return unquoteSimple(raw)
}

// unquoteSimple reads a JSON string whose only escapes are \" and \\,
// into a string of its own.
func unquoteSimple(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	var b strings.Builder
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			break
		}
		if bytes.IndexByte(s[:i], '"') >= 0 || i+1 == len(s) || s[i+1] != '"' && s[i+1] != '\\' {
			return "", false
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.Write(s[:i])
		b.WriteByte(s[i+1])
		s = s[i+2:]
	}
	if bytes.IndexByte(s, '"') >= 0 {
		return "", false
	}
	if b.Len() == 0 {
		return string(s), true
	}
	b.Write(s)
	return b.String(), true
}

// elbReaders are parsers for reading one ELB line again, each with its
// own layouts.
var elbReaders = sync.Pool{New: func() any {
	return &parser{opts: ParseOptions{NoFieldMap: true, ReuseEvent: true}, warn: func(Warning) {}}
}}

// readELBLine reads into e the event ELB log line number rec gives,
// without its raw text and evidence, its field values in the memory of
// e's list. It reports false for a line that gives none.
func readELBLine(e *Event, line string, rec int64) bool {
	p := elbReaders.Get().(*parser)
	defer elbReaders.Put(p)
	got := p.elbLine(rec, line)
	if got == nil {
		return false
	}
	// The parser's event and values are its own, reused for the next
	// line: the values are copied.
	values := append(e.fieldValues[:0], got.fieldValues...)
	*e = *got
	e.fieldValues = values
	return true
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

// sameFields reports whether e has the fields d, read from a line, has
// as a list: as a list too, or as a map (a parser that kept the map;
// the event stored is the same either way).
func sameFields(d, e *Event) bool {
	names, values := e.fieldNames, e.fieldValues
	switch {
	case len(names) > 0:
		return len(names) == len(values) && (len(e.Fields) == 0 || len(e.Fields) == len(names)) &&
			slices.Equal(d.fieldNames, names) && slices.Equal(d.fieldValues, values)
	case len(e.Fields) != len(d.fieldNames) || len(d.fieldNames) == 0:
		return false
	}
	for i, k := range d.fieldNames {
		if v, ok := e.Fields[k]; !ok || v != d.fieldValues[i] {
			return false
		}
	}
	return true
}

// sameNormal reports whether d, read from a line, has every normalised
// value of e that version 4 does not write.
func sameNormal(d, e *Event) bool {
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

// decodeLineEvent reads a version 4 event b into e, reusing the memory of
// e's field list. fieldMap makes Fields (as DecodeEvent does), else the
// ordered list (o.FieldList); it keeps Raw but for o.NoRaw's sources, and
// with o.NormalisedOnly reads neither fields nor Raw.
func decodeLineEvent(e *Event, b []byte, fieldMap bool, o DecodeOptions) error {
	*e = Event{fieldValues: e.fieldValues[:0]}
	if len(b) < 2 || b[0] != codecV4 || b[1]&^(hasTime|hasEnd|hasResources) != 0 {
		return fmt.Errorf("stored event: unknown encoding")
	}
	flags := b[1]
	d := decoder{b: b[2:]}
	rawB := d.splitHead()
	if d.err != nil {
		return d.err
	}
	var rawS string
	if f, _ := binary.Uvarint(d.b); f == formFlowLine {
		// One string holds the head's strings and the line, which the
		// values are cut from.
		head := len(d.b)
		all := string(d.b[:head+len(rawB)])
		d.s, rawS = all[:head], all[head:]
	} else {
		d.s = string(d.b) // the line is read from rawB
	}
	form := d.uvarint()
	if d.err == nil && form != formFlowLine && form != formELBLine {
		return errLineForm
	}
	source, kind := d.str(), d.str()
	evidence, record := d.uvarint(), d.varint()
	var region string
	var names []string
	if form == formFlowLine {
		region = d.str()
		if list := d.uvarint(); list != 0 {
			n := d.uvarint()
			if d.err == nil {
				if names = fieldList(list, n); names == nil {
					return fmt.Errorf("stored event: no field list %d of %d names", list, n)
				}
			}
		} else {
			names = d.strs()
		}
	}
	annotations := d.strs()
	var resources []string
	if flags&hasResources != 0 {
		resources = d.strs()
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) > 0 {
		return fmt.Errorf("stored event: %d bytes left before the raw text", len(d.b))
	}
	var values []string
	if form == formFlowLine {
		var err error
		if values, err = readFlowLine(e, names, rawS); err != nil {
			return err
		}
		e.Region = region
	} else {
		line, ok := unquoteSimple(rawB)
		if !ok {
			return errELBLine
		}
		if !readELBLine(e, line, record) || e.Source != source || e.Kind != kind {
			return errELBLine
		}
		names, values = e.fieldNames, e.fieldValues
	}
	e.Source, e.Kind, e.Evidence, e.Record = source, kind, evidence, record
	e.Annotations, e.Resources = annotations, resources
	if e.Time.IsZero() != (flags&hasTime == 0) || e.End.IsZero() != (flags&hasEnd == 0) {
		return errLineTimes(form)
	}
	switch {
	case o.NormalisedOnly:
		e.fieldNames, e.fieldValues = nil, values[:0]
		return nil
	case fieldMap:
		e.Fields = make(map[string]string, len(names))
		for i, k := range names {
			e.Fields[k] = values[i]
		}
		e.fieldNames, e.fieldValues = nil, nil
	default:
		e.fieldNames, e.fieldValues = names, values
	}
	if !slices.Contains(o.NoRaw, source) {
		e.Raw = o.rawOf(rawB)
	}
	return nil
}

// errLineTimes is the error of a line that no longer gives its times.
func errLineTimes(form uint64) error {
	if form == formFlowLine {
		return errFlowLine
	}
	return errELBLine
}

// readFlowLine sets e's normalised fields from the flow line raw (a JSON
// string) whose fields are names, and returns its values, cut at its
// spaces (in e's field list's memory).
func readFlowLine(e *Event, names []string, raw string) ([]string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, errFlowLine
	}
	line := raw[1 : len(raw)-1]
	values := e.fieldValues[:0]
	for len(values) < len(names)-1 {
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			return nil, errFlowLine
		}
		values = append(values, line[:i])
		line = line[i+1:]
	}
	values = append(values, line)
	l := flowLayoutFor(names)
	if len(values) != len(names) || !l.unique {
		return nil, errFlowLine
	}
	flowNormal(e, l, values, nil, 0)
	return values, nil
}

// flowLayouts keeps the layouts of the field names events were written or
// read with; last is the one used last, looked at without the lock: a
// file's records all have the same names.
var flowLayouts struct {
	sync.Mutex
	last  atomic.Pointer[flowLayout]
	byKey map[string]*flowLayout
}

// flowLayoutFor returns the layout of names, made once.
func flowLayoutFor(names []string) *flowLayout {
	if l := flowLayouts.last.Load(); l != nil && slices.Equal(l.names, names) {
		return l
	}
	flowLayouts.Lock()
	defer flowLayouts.Unlock()
	key := strings.Join(names, "\x00")
	l := flowLayouts.byKey[key]
	if l == nil {
		if flowLayouts.byKey == nil || len(flowLayouts.byKey) >= 256 {
			flowLayouts.byKey = map[string]*flowLayout{}
		}
		l = newFlowLayout(slices.Clone(names))
		flowLayouts.byKey[key] = l
	}
	flowLayouts.last.Store(l)
	return l
}
