package codec

import (
	"cmp"
	"encoding/binary"
)

// PostingSize is the encoded size of one fixed posting.
const PostingSize = 24

// Posting locates one event under a term: its time key and its provenance
// (item, record).
type Posting struct {
	T    uint64 // time key
	Item uint64
	Rec  uint64
}

// Append appends the fixed encoding of p: big-endian time, item, record.
func (p Posting) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, p.T)
	b = binary.BigEndian.AppendUint64(b, p.Item)
	return binary.BigEndian.AppendUint64(b, p.Rec)
}

func postingAt(v []byte, i int) Posting {
	o := i * PostingSize
	return Posting{binary.BigEndian.Uint64(v[o:]), binary.BigEndian.Uint64(v[o+8:]), binary.BigEndian.Uint64(v[o+16:])}
}

// ComparePostings orders postings by time, item, record.
func ComparePostings(a, b Posting) int {
	if c := cmp.Compare(a.T, b.T); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Item, b.Item); c != 0 {
		return c
	}
	return cmp.Compare(a.Rec, b.Rec)
}

// searchPostings returns the first index of n fixed postings in v whose
// time is >= t.
func searchPostings(v []byte, n int, t uint64) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.BigEndian.Uint64(v[m*PostingSize:]) < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
