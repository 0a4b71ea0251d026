package timeline

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
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

const (
	codecV1 = 0x01
	codecV2 = 0x02
)

// Version 2 flags.
const (
	hasTime = 1 << iota
	hasEnd
	hasResources
)

// EncodeEvent appends the stored form of e to dst.
func EncodeEvent(dst []byte, e *Event) []byte {
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
	b := append(dst, codecV2, flags)
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
	if n := len(e.fieldNames); n > 0 && n == len(e.fieldValues) && (len(e.Fields) == 0 || len(e.Fields) == n) {
		b = binary.AppendUvarint(b, uint64(n))
		for i, k := range e.fieldNames {
			b = appendStr(b, k)
			b = appendStr(b, e.fieldValues[i])
		}
	} else {
		b = binary.AppendUvarint(b, uint64(len(e.Fields)))
		if len(e.Fields) > 0 {
			for _, k := range sortedKeys(e.Fields) {
				b = appendStr(b, k)
				b = appendStr(b, e.Fields[k])
			}
		}
	}
	return append(b, e.Raw...)
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

// header reads the version (and, from version 2, the flags) of a stored
// event and returns a decoder for the rest. A version 1 event has a time
// when its stored value is not 0.
func header(b []byte) (d *decoder, flags byte, v1 bool, ok bool) {
	switch {
	case len(b) > 0 && b[0] == codecV1:
		return &decoder{b: b[1:]}, 0, true, true
	case len(b) > 1 && b[0] == codecV2 && b[1]&^(hasTime|hasEnd|hasResources) == 0:
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

type decoder struct {
	b   []byte
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
	s := string(d.b[:n])
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

// DecodeEvent reads an event stored by EncodeEvent (or as JSON).
func DecodeEvent(b []byte) (Event, error) {
	var e Event
	if len(b) > 0 && b[0] == '{' {
		err := json.Unmarshal(b, &e)
		return e, err
	}
	d, flags, v1, ok := header(b)
	if !ok {
		return e, fmt.Errorf("stored event: unknown encoding")
	}
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
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n > uint64(len(d.b)) {
			return e, errShort
		}
		e.Fields = make(map[string]string, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			k := d.str()
			e.Fields[k] = d.str()
		}
	}
	if d.err != nil {
		return e, d.err
	}
	if len(d.b) > 0 {
		e.Raw = json.RawMessage(slices.Clone(d.b))
	}
	return e, nil
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
	d, _, _, ok := header(b)
	if !ok {
		return ""
	}
	d.varint()
	s := d.str()
	if d.err != nil {
		return ""
	}
	return s
}
