package codec

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A block of many small events is stored in frames (schema 8):
// FramedBlockMagic, a directory, then the zstd frames of consecutive
// runs of its entries, each compressed on its own. A point read (one
// event of a query's answer) decompresses only the frame holding the
// event; a full read decompresses every frame. Frames are FrameEvents
// events long, so only blocks of many small events (VPC flow and ELB
// records) are framed; a block of CloudTrail records holds far fewer and
// is grouped instead (grouped.go).
//
//	FramedBlockMagic | uvarint frames
//	| frames × (uvarint first record [the first frame's as it is, each
//	  later one as the difference from the frame before], uvarint
//	  events, uvarint stored length, CRC-32C of the stored bytes [4
//	  bytes, big-endian])
//	| the frames' zstd bytes, in order
//
// The block's own checksum (SealBlock) covers its key and directory; each
// frame is checked against its CRC-32C before it is decompressed. The
// values are termless (AppendTermlessValue). Decompressed one after the
// other behind the uvarint count of all events, the frames give the
// entries of the block exactly as a TermlessBlockMagic block holds them.
const (
	FramedBlockMagic = 'F'
	// FrameEvents is the number of events of a frame (the last may hold
	// fewer). Blocks of fewer than 2 × FrameEvents events are not framed.
	FrameEvents = 32
	// maxFrames bounds a directory: MaxBlockEvents / FrameEvents frames
	// are written; a block of more is refused as damaged.
	maxFrames = MaxBlockEvents / FrameEvents
)

var errFrames = errors.New("frame directory")

// frame is a directory entry of a framed block.
type frame struct {
	first    uint64 // record number of its first event
	n        int    // events
	off, end int    // its zstd bytes within the block value
	sum      uint32 // CRC-32C of those bytes
}

// frameBlock returns payload (a termless block's uvarint count and
// entries) stored in frames, or ok=false when it holds too few events
// to be framed or is not well formed.
func frameBlock(scratch, payload []byte) (out []byte, v []byte, ok bool) {
	var spans [MaxBlockEvents]span
	es, p, ok := entrySpans(spans[:0], payload)
	if !ok || len(es) < 2*FrameEvents {
		return scratch, nil, false
	}
	// Cut the entries into runs of FrameEvents.
	type run struct {
		first    uint64
		n        int
		off, end int
	}
	var runs [maxFrames]run
	nr := 0
	for i, e := range es {
		if i%FrameEvents == 0 {
			runs[nr] = run{first: e.rec, off: e.off}
			nr++
		}
		runs[nr-1].n++
		runs[nr-1].end = e.end
	}
	// Compress each run after the others in scratch, then lay out the
	// directory and the frames.
	scratch = scratch[:0]
	var ends [maxFrames]int
	for i := 0; i < nr; i++ {
		scratch = zEncoder().EncodeAll(p[runs[i].off:runs[i].end], scratch)
		ends[i] = len(scratch)
	}
	dir := make([]byte, 0, 2+nr*12)
	dir = append(dir, FramedBlockMagic)
	dir = binary.AppendUvarint(dir, uint64(nr))
	prev, start := uint64(0), 0
	for i := 0; i < nr; i++ {
		dir = binary.AppendUvarint(dir, runs[i].first-prev)
		dir = binary.AppendUvarint(dir, uint64(runs[i].n))
		dir = binary.AppendUvarint(dir, uint64(ends[i]-start))
		dir = binary.BigEndian.AppendUint32(dir, crc32.Checksum(scratch[start:ends[i]], castagnoli))
		prev, start = runs[i].first, ends[i]
	}
	v = make([]byte, 0, len(dir)+len(scratch)+SumSize)
	v = append(append(v, dir...), scratch...)
	return scratch, v, true
}

// readFrames parses the directory of a framed block value (without its
// checksum) into fs.
func readFrames(fs []frame, v []byte) ([]frame, error) {
	if len(v) < 2 || v[0] != FramedBlockMagic {
		return nil, errNotBlock
	}
	p := v[1:]
	nf, l := binary.Uvarint(p)
	if l <= 0 || nf == 0 || nf > maxFrames {
		return nil, errFrames
	}
	p = p[l:]
	fs = fs[:0]
	var rec uint64
	size := 0
	for i := uint64(0); i < nf; i++ {
		d, l1 := binary.Uvarint(p)
		if l1 <= 0 || (i > 0 && d == 0) || rec+d < rec {
			return nil, errFrames
		}
		p = p[l1:]
		n, l2 := binary.Uvarint(p)
		if l2 <= 0 || n == 0 || n > MaxBlockEvents {
			return nil, errFrames
		}
		p = p[l2:]
		z, l3 := binary.Uvarint(p)
		if l3 <= 0 || z > uint64(len(v)) || len(p) < l3+4 {
			return nil, errFrames
		}
		sum := binary.BigEndian.Uint32(p[l3:])
		p = p[l3+4:]
		rec += d
		fs = append(fs, frame{first: rec, n: int(n), off: size, end: size + int(z), sum: sum})
		size += int(z)
	}
	base := len(v) - len(p)
	if size != len(p) {
		return nil, errFrames
	}
	for i := range fs {
		fs[i].off += base
		fs[i].end += base
	}
	return fs, nil
}

// decodeFrames decodes every frame of a framed block into buf behind the
// uvarint count of all its events (so that buf reads as the entries of a
// TermlessBlockMagic block) and returns its entries, each frame checked
// against its directory entry.
func decodeFrames(buf []byte, es []Entry, v []byte) ([]byte, []Entry, error) {
	var dir [maxFrames]frame
	fs, err := readFrames(dir[:0], v)
	if err != nil {
		return buf, nil, err
	}
	total := 0
	for _, f := range fs {
		total += f.n
	}
	var starts [maxFrames + 1]int
	out, err := decompressFrames(binary.AppendUvarint(buf[:0], uint64(total)), v, fs, starts[:])
	if err != nil {
		return buf, nil, err
	}
	es = es[:0]
	for i, f := range fs {
		if es, err = frameEntries(es, out[starts[i]:starts[i+1]], f); err != nil {
			return out, nil, err
		}
	}
	return out, es, nil
}

// frameEntries appends the entries of decompressed frame p of a framed
// block to es: as many as its directory entry f says, the first of them
// the record it names, and nothing after them.
func frameEntries(es []Entry, p []byte, f frame) ([]Entry, error) {
	if rec, l := binary.Uvarint(p); l <= 0 || rec != f.first {
		return nil, errFrames
	}
	return parseFrame(es, p, f.n, errFrames)
}

// parseFrame appends the n entries of decompressed frame p to es; left
// is the error when bytes follow them.
func parseFrame(es []Entry, p []byte, n int, left error) ([]Entry, error) {
	es, rest, err := parseEntries(es, p, uint64(n), true)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, left
	}
	return es, nil
}

// DecodeBlockForInto is DecodeBlockInto for a point read of record rec:
// of a framed or grouped block it decodes only the frame that would hold
// rec (its entries are then those of the frame); any other block is
// decoded whole.
func DecodeBlockForInto(buf []byte, es []Entry, v []byte, rec uint64) ([]byte, []Entry, error) {
	if len(v) > 0 && v[0] == GroupedBlockMagic {
		return decodeGroupedFor(buf, es, v, rec)
	}
	if len(v) == 0 || v[0] != FramedBlockMagic {
		return DecodeBlockInto(buf, es, v)
	}
	var dir [maxFrames]frame
	fs, err := readFrames(dir[:0], v)
	if err != nil {
		return buf, nil, err
	}
	i := len(fs) - 1
	for i > 0 && fs[i].first > rec {
		i--
	}
	var starts [2]int
	p, err := decompressFrames(buf[:0], v, fs[i:i+1], starts[:])
	if err != nil {
		return buf, nil, err
	}
	out, err := frameEntries(es[:0], p, fs[i])
	return p, out, err
}

// span is where an entry of a block's payload lies.
type span struct {
	rec      uint64
	off, end int // within the entries, after the count
}

// entrySpans appends to dst where each entry of payload (a block's
// uvarint count and entries) lies, and returns the entries; ok is false
// when payload is not well formed or holds more than MaxBlockEvents.
func entrySpans(dst []span, payload []byte) ([]span, []byte, bool) {
	n, l := binary.Uvarint(payload)
	if l <= 0 || n > MaxBlockEvents {
		return nil, nil, false
	}
	p := payload[l:]
	at := 0
	for i := uint64(0); i < n; i++ {
		rec, l1 := binary.Uvarint(p[at:])
		if l1 <= 0 {
			return nil, nil, false
		}
		m, l2 := binary.Uvarint(p[at+l1:])
		if l2 <= 0 || m > uint64(len(p)-at-l1-l2) {
			return nil, nil, false
		}
		dst = append(dst, span{rec, at, at + l1 + l2 + int(m)})
		at += l1 + l2 + int(m)
	}
	if at != len(p) {
		return nil, nil, false
	}
	return dst, p, true
}

// frameBytes returns the stored bytes of frame f of block value v after
// checking them against the frame's checksum.
func frameBytes(v []byte, f frame) ([]byte, error) {
	z := v[f.off:f.end]
	if crc32.Checksum(z, castagnoli) != f.sum {
		return nil, ErrChecksum
	}
	return z, nil
}

// decompressFrames appends the decompressed bytes of each frame fs of
// block value v to out, each checked against its checksum first, and
// sets starts[i] to where frame i begins in out (starts[len(fs)] to its
// end).
func decompressFrames(out, v []byte, fs []frame, starts []int) ([]byte, error) {
	for i, f := range fs {
		starts[i] = len(out)
		z, err := frameBytes(v, f)
		if err != nil {
			return nil, err
		}
		if out, err = zDecoder().DecodeAll(z, out); err != nil {
			return nil, err
		}
		if len(out) > maxBlockPlain {
			return nil, errors.New("block length")
		}
	}
	starts[len(fs)] = len(out)
	return out, nil
}
