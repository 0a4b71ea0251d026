package codec

import (
	"encoding/binary"
	"sort"
)

// Posting lists come in two encodings, chosen per batch (package store
// records which in the batch's entry):
//
// Batches written by schema 2 hold fixed 24-byte postings (big-endian
// time, item, record), PostingSize each.
//
// Later batches hold delta-encoded lists, about a fifth of the size:
//
//	uvarint n              number of postings
//	uvarint g              number of groups after the first
//	g × 16 bytes           for groups 1..g: uint32 offset of the group in
//	                       the data, uint32 unused, uint64 its first time
//	data                   groups of plGroup postings
//
// A group's first posting is absolute (uvarint time, item, record); each
// later one holds the time step (see appendTimeStep) and the zigzag
// differences of item and record from the posting before. Postings are in
// (time, item, record) order, so time steps are never negative.
const plGroup = 128

// List is one posting list in either encoding.
type List struct {
	delta bool
	n     int
	skips []byte // delta: the group table
	data  []byte // fixed: the postings; delta: the groups
}

// ParseList reads a list's header. It reports false for a malformed one.
func ParseList(v []byte, delta bool) (List, bool) {
	if !delta {
		if len(v)%PostingSize != 0 {
			return List{}, false
		}
		return List{n: len(v) / PostingSize, data: v}, true
	}
	n, l := binary.Uvarint(v)
	if l <= 0 || n > uint64(len(v)) { // a Posting takes at least 3 bytes
		return List{}, false
	}
	v = v[l:]
	g, l := binary.Uvarint(v)
	if l <= 0 || g != uint64(groupsOf(int(n))) || g > uint64(len(v)-l)/16 {
		return List{}, false
	}
	v = v[l:]
	return List{delta: true, n: int(n), skips: v[:g*16], data: v[g*16:]}, true
}

// groupsOf is the number of groups after the first for n postings.
func groupsOf(n int) int {
	if n == 0 {
		return 0
	}
	return (n - 1) / plGroup
}

// Len is the number of postings.
func (l List) Len() int { return l.n }

// Cursor is a position in a list: the index of the next posting, its byte
// offset in the data and the posting before it (for the differences).
type Cursor struct {
	i, off int
	prev   Posting
}

// Pos is the index of the posting Next decodes next.
func (c *Cursor) Pos() int { return c.i }

// Next decodes the posting at c and advances c. It reports false at the
// end or on malformed data.
func (l List) Next(c *Cursor) (Posting, bool) {
	if c.i < 0 || c.i >= l.n {
		return Posting{}, false
	}
	if !l.delta {
		p := postingAt(l.data, c.i)
		c.i++
		return p, true
	}
	if c.off < 0 || c.off > len(l.data) {
		return Posting{}, false
	}
	v := l.data[c.off:]
	var p Posting
	var ok bool
	var used int
	if c.i%plGroup == 0 {
		p, used, ok = readAbsolute(v)
	} else {
		p, used, ok = readStep(v, c.prev)
	}
	if !ok {
		return Posting{}, false
	}
	c.i++
	c.off += used
	c.prev = p
	return p, true
}

func readAbsolute(v []byte) (Posting, int, bool) {
	var p Posting
	var l, used int
	if p.T, l = binary.Uvarint(v); l <= 0 {
		return p, 0, false
	}
	used += l
	if p.Item, l = binary.Uvarint(v[used:]); l <= 0 {
		return p, 0, false
	}
	used += l
	if p.Rec, l = binary.Uvarint(v[used:]); l <= 0 {
		return p, 0, false
	}
	return p, used + l, true
}

func readStep(v []byte, prev Posting) (Posting, int, bool) {
	frac, l := binary.Uvarint(v)
	if l <= 0 {
		return Posting{}, 0, false
	}
	used := l
	dt := frac >> 1
	if frac&1 == 1 {
		ms, l := binary.Uvarint(v[used:])
		if l <= 0 || ms > (^uint64(0)-dt)/1e6 {
			return Posting{}, 0, false
		}
		used += l
		dt += ms * 1e6
	} else {
		if dt > ^uint64(0)/1e6 {
			return Posting{}, 0, false
		}
		dt *= 1e6
	}
	di, l := binary.Uvarint(v[used:])
	if l <= 0 {
		return Posting{}, 0, false
	}
	used += l
	dr, l := binary.Uvarint(v[used:])
	if l <= 0 {
		return Posting{}, 0, false
	}
	used += l
	return Posting{T: prev.T + dt, Item: prev.Item + unzigzag(di), Rec: prev.Rec + unzigzag(dr)}, used, true
}

// appendTimeStep writes a non-negative time step: whole milliseconds (the
// usual case: CloudTrail and flow logs have whole seconds) as one uvarint
// of (ms << 1); anything else as uvarint((dt mod 1 ms) << 1 | 1) and
// uvarint(dt / 1 ms).
func appendTimeStep(b []byte, dt uint64) []byte {
	if dt%1e6 == 0 {
		return binary.AppendUvarint(b, dt/1e6<<1)
	}
	b = binary.AppendUvarint(b, dt%1e6<<1|1)
	return binary.AppendUvarint(b, dt/1e6)
}

func zigzag(d uint64) uint64   { return d<<1 ^ uint64(int64(d)>>63) }
func unzigzag(z uint64) uint64 { return z>>1 ^ -(z & 1) }

// AppendDelta appends the delta encoding of ps, which must be sorted.
func AppendDelta(b []byte, ps []Posting) []byte {
	b = binary.AppendUvarint(b, uint64(len(ps)))
	g := groupsOf(len(ps))
	b = binary.AppendUvarint(b, uint64(g))
	table := len(b)
	b = append(b, make([]byte, g*16)...)
	data := len(b)
	var prev Posting
	for i, p := range ps {
		if i%plGroup == 0 {
			if i > 0 {
				e := b[table+(i/plGroup-1)*16:]
				binary.BigEndian.PutUint32(e, uint32(len(b)-data))
				binary.BigEndian.PutUint64(e[8:], p.T)
			}
			b = binary.AppendUvarint(b, p.T)
			b = binary.AppendUvarint(b, p.Item)
			b = binary.AppendUvarint(b, p.Rec)
		} else {
			b = appendTimeStep(b, p.T-prev.T)
			b = binary.AppendUvarint(b, zigzag(p.Item-prev.Item))
			b = binary.AppendUvarint(b, zigzag(p.Rec-prev.Rec))
		}
		prev = p
	}
	return b
}

// AppendFixed appends the fixed encoding of ps.
func AppendFixed(b []byte, ps []Posting) []byte {
	for _, p := range ps {
		b = p.Append(b)
	}
	return b
}

// AppendList appends ps in the given encoding.
func AppendList(b []byte, ps []Posting, delta bool) []byte {
	if delta {
		return AppendDelta(b, ps)
	}
	return AppendFixed(b, ps)
}

// All decodes the whole list; false if it is malformed.
func (l List) All() ([]Posting, bool) {
	out := make([]Posting, 0, l.n)
	var c Cursor
	for c.i < l.n {
		p, ok := l.Next(&c)
		if !ok {
			return out, false
		}
		out = append(out, p)
	}
	return out, true
}

// Seek returns the position of the first posting with time >= t: Len()
// if there is none (or the list is malformed before it).
func (l List) Seek(t uint64) Cursor {
	if !l.delta {
		return Cursor{i: searchPostings(l.data, l.n, t)}
	}
	// The last group whose first time is below t holds the answer, or the
	// answer starts the group after it.
	g := len(l.skips) / 16
	k := sort.Search(g, func(k int) bool { return binary.BigEndian.Uint64(l.skips[k*16+8:]) >= t })
	c := Cursor{}
	if k > 0 { // start at group k (group 0 is at offset 0)
		c.i = k * plGroup
		c.off = int(binary.BigEndian.Uint32(l.skips[(k-1)*16:]))
	}
	for c.i < l.n {
		at := c
		p, ok := l.Next(&c)
		if !ok {
			return Cursor{i: l.n}
		}
		if p.T >= t {
			return at
		}
	}
	return Cursor{i: l.n}
}

// SeekIndex returns the index of the first posting with time >= t.
func (l List) SeekIndex(t uint64) int { return l.Seek(t).i }
