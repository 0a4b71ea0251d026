package codec

import "encoding/binary"

// An event's value (inside a block) is: time key (8 bytes) | uvarint n |
// n × (uvarint len, term) | uvarint len, dedup key | data. In a
// TermlessBlockMagic block (schema 6) it is: time key (8 bytes) | uvarint
// len, dedup key | data; the terms are the event's own, computed again
// from its data (the store's SetEventTerms).

// Header is the decoded front of an event value; Rest is its data.
// Termless says the value held no terms (Terms is nil).
type Header struct {
	TimeKey  []byte // the 8-byte time key
	Terms    []string
	DedupKey string
	Rest     []byte
	Termless bool
}

// DecodeTermlessHeader decodes an event value of a TermlessBlockMagic
// block. It reports false for a malformed one.
func DecodeTermlessHeader(v []byte) (Header, bool) {
	h := Header{Termless: true}
	if len(v) < 9 {
		return h, false
	}
	h.TimeKey = v[:8:8]
	var ok bool
	if h.DedupKey, v, ok = readUvarintString(v[8:]); !ok {
		return h, false
	}
	h.Rest = v
	return h, true
}

// TermlessValueLen is the length AppendTermlessValue adds.
func TermlessValueLen(dedupKey string, data []byte) int {
	return 8 + uvarintLen(uint64(len(dedupKey))) + len(dedupKey) + len(data)
}

// AppendTermlessValue appends the stored form of an event with time key
// tk in a TermlessBlockMagic block.
func AppendTermlessValue(b []byte, tk uint64, dedupKey string, data []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, tk)
	b = binary.AppendUvarint(b, uint64(len(dedupKey)))
	b = append(b, dedupKey...)
	return append(b, data...)
}

// DecodeHeader decodes an event value. It reports false for a malformed
// one.
func DecodeHeader(v []byte) (Header, bool) {
	var h Header
	if len(v) < 9 {
		return h, false
	}
	h.TimeKey = v[:8:8]
	v = v[8:]
	n, l := binary.Uvarint(v)
	if l <= 0 || n > uint64(len(v)) {
		return h, false
	}
	v = v[l:]
	// The terms are cut from one string of their part of the value: one
	// allocation instead of one per term.
	end := 0
	for i := uint64(0); i < n; i++ {
		m, l := binary.Uvarint(v[end:])
		if l <= 0 || m > uint64(len(v)-end-l) {
			return h, false
		}
		end += l + int(m)
	}
	all := string(v[:end])
	h.Terms = make([]string, 0, n)
	for i, p := uint64(0), 0; i < n; i++ {
		m, l := binary.Uvarint(v[p:])
		h.Terms = append(h.Terms, all[p+l:p+l+int(m)])
		p += l + int(m)
	}
	v = v[end:]
	var ok bool
	if h.DedupKey, v, ok = readUvarintString(v); !ok {
		return h, false
	}
	h.Rest = v
	return h, true
}

func readUvarintString(v []byte) (string, []byte, bool) {
	m, l := binary.Uvarint(v)
	if l <= 0 || m > uint64(len(v)-l) {
		return "", nil, false
	}
	return string(v[l : l+int(m)]), v[l+int(m):], true
}

// EventValueLen is the length AppendEventValue adds.
func EventValueLen(terms []string, dedupKey string, data []byte) int {
	n := 8 + uvarintLen(uint64(len(terms))) + uvarintLen(uint64(len(dedupKey))) + len(dedupKey) + len(data)
	for _, t := range terms {
		n += uvarintLen(uint64(len(t))) + len(t)
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// AppendEventValue appends the stored form of an event with time key tk.
func AppendEventValue(b []byte, tk uint64, terms []string, dedupKey string, data []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, tk)
	b = binary.AppendUvarint(b, uint64(len(terms)))
	for _, t := range terms {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	b = binary.AppendUvarint(b, uint64(len(dedupKey)))
	b = append(b, dedupKey...)
	return append(b, data...)
}
