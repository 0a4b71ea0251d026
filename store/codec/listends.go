package codec

import "encoding/binary"

// First returns the list's first posting; false when it is empty or
// malformed.
func (l List) First() (Posting, bool) {
	var c Cursor
	return l.Next(&c)
}

// Last returns the list's last posting, decoding only its last group;
// false when it is empty or malformed.
func (l List) Last() (Posting, bool) {
	if l.n == 0 {
		return Posting{}, false
	}
	if !l.delta {
		return postingAt(l.data, l.n-1), true
	}
	c := Cursor{}
	if g := len(l.skips) / 16; g > 0 { // start at the last group
		c.i = g * plGroup
		c.off = int(binary.BigEndian.Uint32(l.skips[(g-1)*16:]))
	}
	var last Posting
	for c.i < l.n {
		p, ok := l.Next(&c)
		if !ok {
			return Posting{}, false
		}
		last = p
	}
	return last, true
}
