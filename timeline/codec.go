package timeline

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Events are stored in the case in a compact binary form: JSON encoding
// and decoding of every event dominated indexing and querying. The form is
// versioned by its first byte; a stored event that starts with '{' is
// read as JSON.
//
// Version 1 wrote a missing time as 0 Unix nanoseconds, so an event at the
// Unix epoch itself read back without a time. Version 2 starts with a byte
// of flags that says which times are set; the rest is laid out as in
// version 1. Both are read. The flag hasResources (set only when the
// event has resources) says that a list of resources follows the
// annotations; events stored before it have no such flag and read back
// without resources.
//
// Version 3 (written from case schema 5) has, after the flags, the
// uvarint length of everything before the raw text; then comes what
// version 2 has, but for the field map. A field's value is most often a
// piece of the raw text that follows (the flow or ELB log line), so it is
// written as where it is there, not again. The field count is followed by
// uvarint list: 0, or the number of a list of names the fields have (see
// codec_names.go), whose names are then not written. After the field's
// name (when written) comes uvarint t: 0 and the value as a string, or
// t-1 is the zigzag-encoded distance of the value's offset in the raw
// text from where the previous such value ended (from 0 for the first),
// followed by uvarint length. A value is referred to only when the raw
// text holds it byte for byte at that place (checked while encoding).
// The decoder makes one string of the event and cuts every string field
// from it.
//
// Version 4 (codec_line.go) keeps a VPC flow or ELB record as its line
// and what the line does not say; it is written only when the line gives
// the event back.

const (
	codecV1 = 0x01
	codecV2 = 0x02
	codecV3 = 0x03
)

// Version 2 flags.
const (
	hasTime = 1 << iota
	hasEnd
	hasResources
)

// EncodeEvent appends the stored form of e to dst.
// A VPC flow or ELB record whose line gives it back is written in version
// 4 (see codec_line.go), any other event in version 3.
func EncodeEvent(dst []byte, e *Event) []byte {
	if b, ok := appendLineEvent(dst, e); ok {
		return b
	}
	return encodeEvent(dst, e, codecV3)
}

// encodeEvent appends e in version 3 or, to test that older cases read,
// version 2.
func encodeEvent(dst []byte, e *Event, version byte) []byte {
	flags := eventFlags(e)
	b := append(dst, version, flags)
	start := len(b)
	b = binary.AppendVarint(b, timeNanos(e.Time))
	b = appendStr(b, e.Source)
	b = appendStr(b, e.Kind)
	b = binary.AppendUvarint(b, e.Evidence)
	b = binary.AppendVarint(b, e.Record)
	for _, s := range [...]string{
		e.Account, e.Region, e.Principal, e.PrincipalType, e.AccessKeyID, e.UserName, e.Issuer,
		e.PrincipalID, e.IdentityARN, e.SrcIP, e.DstIP, e.Action, e.Outcome, e.EventID,
		e.EventSource, e.UserAgent, e.Protocol, e.IssuedAccessKey, e.IssuedSession,
	} {
		b = appendStr(b, s)
	}
	b = binary.AppendVarint(b, int64(e.SrcPort))
	b = binary.AppendVarint(b, int64(e.DstPort))
	b = binary.AppendVarint(b, e.Bytes)
	b = binary.AppendVarint(b, e.Packets)
	b = binary.AppendVarint(b, timeNanos(e.End))
	b = appendStrs(b, e.OtherIPs)
	b = appendStrs(b, e.Annotations)
	if flags&hasResources != 0 {
		b = appendStrs(b, e.Resources)
	}
	// Fields a parser kept in order (as a list only, with
	// ParseOptions.NoFieldMap, or beside the map) are written in that
	// order; others sorted by name.
	names, values := e.fieldNames, e.fieldValues
	if n := len(names); n == 0 || n != len(values) || len(e.Fields) != 0 && len(e.Fields) != n {
		names, values = nil, nil
		if len(e.Fields) > 0 {
			names = sortedKeys(e.Fields)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(names)))
	list := uint64(0)
	if version != codecV2 && len(names) > 0 {
		list = fieldListOf(names, lastList.Load())
		lastList.Store(list)
		b = binary.AppendUvarint(b, list)
	}
	at := 0
	for i, k := range names {
		if list == 0 {
			b = appendStr(b, k)
		}
		v := ""
		if values != nil {
			v = values[i]
		} else {
			v = e.Fields[k]
		}
		b, at = appendFieldValue(b, v, e.Raw, at, version)
	}
	if version == codecV2 {
		return append(b, e.Raw...)
	}
	return append(prefixLength(b, start), e.Raw...)
}

// eventFlags returns the flags of e's stored form: which times it has,
// and whether it has resources.
func eventFlags(e *Event) byte {
	var flags byte
	if !e.Time.IsZero() {
		flags |= hasTime
	}
	if !e.End.IsZero() {
		flags |= hasEnd
	}
	if len(e.Resources) > 0 {
		flags |= hasResources
	}
	return flags
}

// prefixLength puts the uvarint length of what b holds from start before
// it (the head's length, versions 3 and 4).
func prefixLength(b []byte, start int) []byte {
	head := uint64(len(b) - start)
	n := uvarintLen(head)
	b = append(b, make([]byte, n)...)
	copy(b[start+n:], b[start:len(b)-n])
	binary.PutUvarint(b[start:], head)
	return b
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// zigzag maps a signed distance to an unsigned one, small either way.
func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// lastList is the field list of the event encoded last.
var lastList atomic.Uint64

// minFieldRef is the shortest value written as a place in the raw text:
// a shorter one takes no more bytes written out.
const minFieldRef = 3

// appendFieldValue appends a field's value in version 3: as a place in
// raw when raw holds it (looked for from at, where the previous value
// ended, then from the start), else as a string. It returns where the
// value ended in raw, or at.
func appendFieldValue(b []byte, v string, raw []byte, at int, version byte) ([]byte, int) {
	if version == codecV2 {
		return appendStr(b, v), at
	}
	if len(v) >= minFieldRef && len(raw) > 0 {
		i := -1
		if at < len(raw) {
			if j := bytes.Index(raw[at:], []byte(v)); j >= 0 {
				i = at + j
			}
		}
		if i < 0 {
			i = bytes.Index(raw, []byte(v))
		}
		if i >= 0 {
			b = binary.AppendUvarint(b, zigzag(int64(i-at))+1)
			b = binary.AppendUvarint(b, uint64(len(v)))
			return b, i + len(v)
		}
	}
	b = append(b, 0)
	return appendStr(b, v), at
}

// lastKeys remembers the sorted field names of the previous event: the
// records of one log file nearly always have the same fields, and sorting
// them again for every record was a large part of encoding.
var lastKeys struct {
	sync.Mutex
	keys []string
}

func sortedKeys(m map[string]string) []string {
	lastKeys.Lock()
	prev := lastKeys.keys
	lastKeys.Unlock()
	if len(prev) == len(m) {
		same := true
		for _, k := range prev {
			if _, ok := m[k]; !ok {
				same = false
				break
			}
		}
		if same {
			return prev
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lastKeys.Lock()
	lastKeys.keys = keys
	lastKeys.Unlock()
	return keys
}

func timeNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// nanosTime reads a stored time; set says whether it is there at all.
func nanosTime(n int64, set bool) time.Time {
	if !set {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// normalised reads an event's normalised fields, from its time to its
// resources, in every version's layout (v1: no flags, a zero time unset).
func (d *decoder) normalised(e *Event, flags byte, v1 bool) {
	n := d.varint()
	e.Time = nanosTime(n, flags&hasTime != 0 || v1 && n != 0)
	e.Source = d.str()
	e.Kind = d.str()
	e.Evidence = d.uvarint()
	e.Record = d.varint()
	for _, p := range [...]*string{
		&e.Account, &e.Region, &e.Principal, &e.PrincipalType, &e.AccessKeyID, &e.UserName, &e.Issuer,
		&e.PrincipalID, &e.IdentityARN, &e.SrcIP, &e.DstIP, &e.Action, &e.Outcome, &e.EventID,
		&e.EventSource, &e.UserAgent, &e.Protocol, &e.IssuedAccessKey, &e.IssuedSession,
	} {
		*p = d.str()
	}
	e.SrcPort = int(d.varint())
	e.DstPort = int(d.varint())
	e.Bytes = d.varint()
	e.Packets = d.varint()
	n = d.varint()
	e.End = nanosTime(n, flags&hasEnd != 0 || v1 && n != 0)
	e.OtherIPs = d.strs()
	e.Annotations = d.strs()
	if flags&hasResources != 0 {
		e.Resources = d.strs()
	}
}

// fieldValue reads a version 3 field's value: written out, or where the
// raw text holds it (its distance from where the previous such value
// ended, at, and its length). rawS is raw as a string, made at the first
// value read from it. A value d cannot read leaves d.err set.
func (d *decoder) fieldValue(raw []byte, rawS *string, at *int) (string, error) {
	t := d.uvarint()
	if t == 0 {
		return d.str(), nil
	}
	l := d.uvarint()
	if d.err != nil {
		return "", nil
	}
	off := int64(*at) + unzigzag(t-1)
	if off < 0 || off > int64(len(raw)) || l > uint64(int64(len(raw))-off) {
		return "", errFieldRef
	}
	if *rawS == "" {
		*rawS = string(raw)
	}
	*at = int(off) + int(l)
	return (*rawS)[off:*at], nil
}

// header reads the version (and, from version 2, the flags) of a stored
// event and returns a decoder for the rest. A version 1 event has a time
// when its stored value is not 0.
func header(b []byte) (d *decoder, flags byte, v1 bool, ok bool) {
	switch {
	case len(b) > 0 && b[0] == codecV1:
		return &decoder{b: b[1:]}, 0, true, true
	case len(b) > 1 && (b[0] == codecV2 || b[0] == codecV3) && b[1]&^(hasTime|hasEnd|hasResources) == 0:
		return &decoder{b: b[2:]}, b[1], false, true
	}
	return nil, 0, false, false
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

var errShort = errors.New("stored event is truncated")

// A decoder reads b. When s holds the same bytes as a string (version 3),
// strings are cut from s instead of being copied one by one.
type decoder struct {
	b   []byte
	s   string
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

// splitHead reads the length of a version 3 or 4 event's head (its first
// bytes after the version and flags): d is left reading the head, and the
// raw text after it is returned. A length past the end sets d.err.
func (d *decoder) splitHead() []byte {
	head := d.uvarint()
	if d.err == nil && head > uint64(len(d.b)) {
		d.err = errShort
	}
	if d.err != nil {
		return nil
	}
	raw := d.b[head:]
	d.b = d.b[:head]
	return raw
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	var s string
	if d.s != "" {
		at := len(d.s) - len(d.b)
		s = d.s[at : at+int(n)]
	} else {
		s = string(d.b[:n])
	}
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

var errFieldRef = errors.New("stored event: a field refers past its raw text")

// DecodeEvent reads an event stored by EncodeEvent (or as JSON).
func DecodeEvent(b []byte) (Event, error) { return decodeEvent(b, DecodeOptions{}) }

// decodeEvent is DecodeEvent, with Fields made; of o it heeds Borrow.
func decodeEvent(b []byte, o DecodeOptions) (Event, error) {
	var e Event
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &e)
		return e, err
	}
	if len(b) > 0 && b[0] == codecV4 {
		err := decodeLineEvent(&e, b, true, DecodeOptions{Borrow: o.Borrow})
		return e, err
	}
	d, flags, v1, ok := header(b)
	if !ok {
		return e, fmt.Errorf("stored event: unknown encoding")
	}
	v3 := b[0] == codecV3
	var raw []byte
	if v3 {
		if raw = d.splitHead(); d.err != nil {
			return e, d.err
		}
		d.s = string(d.b)
	}
	d.normalised(&e, flags, v1)
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > uint64(len(d.b)) {
			return e, errShort
		}
		e.Fields = make(map[string]string, n)
		var rawS string // raw as a string, made for the first reference
		at := 0         // where the previous reference ended
		var names []string
		if v3 {
			if list := d.uvarint(); list != 0 && d.err == nil {
				if names = fieldList(list, n); names == nil {
					return e, fmt.Errorf("stored event: no field list %d of %d names", list, n)
				}
			}
		}
		for i := uint64(0); i < n && d.err == nil; i++ {
			var k string
			if names != nil {
				k = names[i]
			} else {
				k = d.str()
			}
			if !v3 {
				e.Fields[k] = d.str()
				continue
			}
			v, err := d.fieldValue(raw, &rawS, &at)
			if err != nil {
				return e, err
			}
			e.Fields[k] = v
		}
	}
	if d.err != nil {
		return e, d.err
	}
	if !v3 {
		raw = d.b
	} else if len(d.b) > 0 {
		return e, fmt.Errorf("stored event: %d bytes left before the raw text", len(d.b))
	}
	if len(raw) > 0 {
		e.Raw = o.rawOf(raw)
	}
	return e, nil
}

// StoredRaw returns the raw text of a stored event (the record as found,
// Event.Raw) without decoding the rest, where its form allows.
func StoredRaw(b []byte) ([]byte, error) {
	if len(b) > 1 && (b[0] == codecV3 || b[0] == codecV4) {
		d := decoder{b: b[2:]}
		raw := d.splitHead()
		return raw, d.err
	}
	e, err := DecodeEvent(b)
	return e.Raw, err
}

// EventSourceOf returns the source of a stored event without decoding
// all of it, or "" when it cannot be read.
func EventSourceOf(b []byte) string {
	if len(b) > 0 && b[0] == '{' {
		var v struct {
			Source string `json:"source"`
		}
		_ = json.Unmarshal(b, &v)
		return v.Source
	}
	if len(b) > 1 && b[0] == codecV4 {
		d := decoder{b: b[2:]}
		d.splitHead()
		d.uvarint() // the form
		s := d.str()
		if d.err != nil {
			return ""
		}
		return s
	}
	d, _, _, ok := header(b)
	if !ok {
		return ""
	}
	if b[0] == codecV3 {
		d.uvarint()
	}
	d.varint()
	s := d.str()
	if d.err != nil {
		return ""
	}
	return s
}

// SameStoredEvent reports whether two stored events hold the same event:
// the same bytes, or (one stored by an older version of this encoding)
// the same event decoded.
func SameStoredEvent(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) == 0 || len(b) == 0 || a[0] == b[0] {
		return false // one version writes one event one way
	}
	ea, err := DecodeEvent(a)
	if err != nil {
		return false
	}
	eb, err := DecodeEvent(b)
	return err == nil && reflect.DeepEqual(ea, eb)
}
