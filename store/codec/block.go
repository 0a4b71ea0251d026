package codec

import (
	"encoding/binary"
	"errors"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Events of one item are stored in blocks of consecutive records,
// compressed together: neighbouring log records share most of their
// structure, so a block compresses several times better than records one
// by one. A block's entries are: uvarint n, then n × (uvarint record,
// uvarint len, event value), in record order (see AppendEventValue).
//
// Schema 6 stores a block as TermlessBlockMagic, the zstd frame of its
// entries, and its checksum (see seal.go); its event values hold no index
// terms (see AppendTermlessValue): they are computed again from the event
// when needed. Schema 5 stored ZBlockMagic, the same but for event values
// with their terms (AppendEventValue): zstd takes about a third less than
// s2 on the same entries. Schema 4 stored SealedBlockMagic, the s2
// compression of the entries (with terms), and the checksum; blocks
// written before schema 4 start with BlockMagic and carry no checksum.
// All four are read; the first byte says which. Schema 8 stores a block
// of many small events in frames (FramedBlockMagic, frames.go) and lets
// such a block hold up to MaxBlockEvents = 256 events: a block of 128
// flow records in four frames took a little over one 4 KiB page, and
// bbolt rounds what a value takes up to whole pages.
const (
	BlockMagic         = 'B'
	ZBlockMagic        = 'D'
	TermlessBlockMagic = 'E'
	MaxBlockEvents     = 256
	MaxBlockBytes      = 64 << 10
	// maxBlockPlain bounds what a stored block may decompress to: a block
	// is cut at MaxBlockBytes of entries plus one event, and an event of
	// a log record is far below this.
	maxBlockPlain = 64 << 20
)

// The zstd encoder and decoder are made on first use and shared: both
// are safe for concurrent use through EncodeAll and DecodeAll, and each
// holds tables a block should not pay for again. The fastest level: on
// the blocks of the benchmark corpus the default level took three times
// its time for 2 % less.
var (
	zEncoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithWindowSize(1<<20), zstd.WithZeroFrames(true))
		if err != nil {
			panic(err) // only for invalid options
		}
		return e
	})
	zDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zDecoderOptions()...)
		if err != nil {
			panic(err) // only for invalid options
		}
		return d
	})
)

// Entry is one event of a block: its record number and its value.
// Termless says the value holds no index terms (a TermlessBlockMagic
// block).
type Entry struct {
	Rec      uint64
	Val      []byte
	Termless bool
}

// Header decodes the entry's value in its block's form (DecodeHeader or
// DecodeTermlessHeader).
func (e Entry) Header() (Header, bool) {
	if e.Termless {
		return DecodeTermlessHeader(e.Val)
	}
	return DecodeHeader(e.Val)
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
	if len(v) > 0 && v[0] == FramedBlockMagic {
		return decodeFrames(buf, es, v)
	}
	if len(v) > 0 && v[0] == GroupedBlockMagic {
		return decodeGrouped(buf, es, v)
	}
	p, err := decompress(buf, v)
	if err != nil {
		return buf, nil, err
	}
	buf = p
	termless := v[0] == TermlessBlockMagic
	n, l := binary.Uvarint(p)
	if l <= 0 || n > uint64(len(p)) {
		return buf, nil, errCount
	}
	out, _, err := parseEntries(es[:0], p[l:], n, termless)
	if err != nil {
		return buf, nil, err
	}
	return buf, out, nil
}

// parseEntries appends the n entries at the start of p to out and
// returns what follows them.
func parseEntries(out []Entry, p []byte, n uint64, termless bool) ([]Entry, []byte, error) {
	if n > uint64(len(p)) {
		return nil, nil, errCount
	}
	for i := uint64(0); i < n; i++ {
		rec, l := binary.Uvarint(p)
		if l <= 0 {
			return nil, nil, errRecord
		}
		p = p[l:]
		m, l := binary.Uvarint(p)
		if l <= 0 || m > uint64(len(p)-l) {
			return nil, nil, errRecordLen
		}
		out = append(out, Entry{rec, p[l : l+int(m)], termless})
		p = p[l+int(m):]
	}
	return out, p, nil
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

// decompress returns the entries of a stored block (without its
// checksum), reusing buf when it is large enough.
func decompress(buf, v []byte) ([]byte, error) {
	if len(v) < 2 {
		return nil, errNotBlock
	}
	switch v[0] {
	case ZBlockMagic, TermlessBlockMagic:
		return zDecoder().DecodeAll(v[1:], buf[:0])
	case FramedBlockMagic:
		out, _, err := decodeFrames(buf, nil, v)
		return out, err
	case GroupedBlockMagic:
		return groupedPayload(buf, v)
	case BlockMagic, SealedBlockMagic:
		if n, err := s2.DecodedLen(v[1:]); err != nil || n > maxBlockPlain {
			return nil, errors.New("block length")
		} else if n <= cap(buf) {
			buf = buf[:n]
		} else {
			buf = nil
		}
		return s2.Decode(buf, v[1:])
	}
	return nil, errNotBlock
}

// CompressBlock returns the stored value of a block's entries, without
// its checksum (the caller appends it with AppendSum once the block's key
// is known; the value has room for it). magic is the block's form:
// TermlessBlockMagic for entries made with AppendTermlessValue,
// ZBlockMagic for entries made with AppendEventValue.
func CompressBlock(magic byte, payload []byte) []byte {
	_, v := CompressBlockInto(nil, magic, payload)
	return v
}

// CompressBlockInto compresses payload using scratch (returned, perhaps
// grown, for reuse) and returns the stored value in a slice of its own
// exact size: blocks wait in queues, and the scratch is mostly slack.
func CompressBlockInto(scratch []byte, magic byte, payload []byte) ([]byte, []byte) {
	if magic == TermlessBlockMagic {
		var v []byte
		var ok bool
		if scratch, v, ok = frameBlock(scratch, payload); ok {
			return scratch, v
		}
	}
	scratch = zEncoder().EncodeAll(payload, append(scratch[:0], magic))
	v := make([]byte, len(scratch), len(scratch)+SumSize)
	copy(v, scratch)
	return scratch, v
}

// compressS2 is the block value schema 4 wrote (SealedBlockMagic and the
// s2 compression of the entries), without its checksum: kept to check
// that such blocks still read.
func compressS2(payload []byte) []byte {
	z := s2.Encode(nil, payload)
	v := make([]byte, 1+len(z), 1+len(z)+SumSize)
	v[0] = SealedBlockMagic
	copy(v[1:], z)
	return v
}

// DecompressBlock returns the entries of a block value (as CompressBlock
// returned it) as encoded.
func DecompressBlock(v []byte) ([]byte, error) {
	return decompress(nil, v)
}
