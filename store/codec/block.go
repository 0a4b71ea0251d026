package codec

import (
	"encoding/binary"
	"errors"

	"github.com/klauspost/compress/s2"
)

// Events of one item are stored in blocks of consecutive records,
// compressed together: neighbouring log records share most of their
// structure, so a block compresses several times better than records one
// by one. A stored block is SealedBlockMagic, the s2 compression of its
// entries: uvarint n, then n × (uvarint record, uvarint len, event value),
// in record order (see AppendEventValue), and its checksum (see seal.go).
// Blocks written before schema 4 start with BlockMagic and carry no
// checksum.
const (
	BlockMagic     = 'B'
	MaxBlockEvents = 64
	MaxBlockBytes  = 64 << 10
)

// Entry is one event of a block: its record number and its value.
type Entry struct {
	Rec uint64
	Val []byte
}

var (
	errNotBlock  = errors.New("not a block")
	errCount     = errors.New("count")
	errRecord    = errors.New("record number")
	errRecordLen = errors.New("record length")
)

// DecodeBlock returns the entries of a stored block, in record order. Its
// errors say what is malformed.
func DecodeBlock(v []byte) ([]Entry, error) {
	_, es, err := DecodeBlockInto(nil, nil, v)
	return es, err
}

// DecodeBlockInto is DecodeBlock reusing buf and es (which the entries
// then point into); it returns the buffer used. A sealed block must have
// been opened (OpenBlock) first.
func DecodeBlockInto(buf []byte, es []Entry, v []byte) ([]byte, []Entry, error) {
	if len(v) < 2 || (v[0] != BlockMagic && v[0] != SealedBlockMagic) {
		return buf, nil, errNotBlock
	}
	if n, err := s2.DecodedLen(v[1:]); err == nil && n <= cap(buf) {
		buf = buf[:n]
	} else {
		buf = nil
	}
	p, err := s2.Decode(buf, v[1:])
	if err != nil {
		return buf, nil, err
	}
	buf = p
	n, l := binary.Uvarint(p)
	if l <= 0 || n > uint64(len(p)) {
		return buf, nil, errCount
	}
	p = p[l:]
	out := es[:0]
	for i := uint64(0); i < n; i++ {
		rec, l := binary.Uvarint(p)
		if l <= 0 {
			return buf, nil, errRecord
		}
		p = p[l:]
		m, l := binary.Uvarint(p)
		if l <= 0 || m > uint64(len(p)-l) {
			return buf, nil, errRecordLen
		}
		out = append(out, Entry{rec, p[l : l+int(m)]})
		p = p[l+int(m):]
	}
	return buf, out, nil
}

// FindEntry returns the entry of es (in record order) for rec.
func FindEntry(es []Entry, rec uint64) (Entry, bool) {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].Rec < rec {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].Rec == rec {
		return es[lo], true
	}
	return Entry{}, false
}

// CompressBlock returns the stored value of a block's entries, without
// its checksum (the caller appends it with AppendSum once the block's key
// is known; the value has room for it).
func CompressBlock(payload []byte) []byte {
	_, v := CompressBlockInto(nil, payload)
	return v
}

// CompressBlockInto compresses payload using scratch (returned, perhaps
// grown, for reuse) and returns the stored value in a slice of its own
// exact size: blocks wait in queues, and the scratch is mostly slack.
func CompressBlockInto(scratch, payload []byte) ([]byte, []byte) {
	if n := 1 + s2.MaxEncodedLen(len(payload)); cap(scratch) < n {
		scratch = make([]byte, n)
	}
	scratch = scratch[:cap(scratch)]
	z := s2.Encode(scratch[1:], payload)
	v := make([]byte, 1+len(z), 1+len(z)+SumSize)
	v[0] = SealedBlockMagic
	copy(v[1:], z)
	return scratch, v
}

// DecompressBlock returns the entries of a block value (as CompressBlock
// returned it) as encoded.
func DecompressBlock(v []byte) ([]byte, error) {
	if len(v) < 1 || (v[0] != BlockMagic && v[0] != SealedBlockMagic) {
		return nil, errNotBlock
	}
	return s2.Decode(nil, v[1:])
}
