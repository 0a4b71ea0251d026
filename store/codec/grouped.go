package codec

import (
	"cmp"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"sync"
)

// A block of CloudTrail records is stored grouped (schema 8): its events,
// consecutive records of one item, are put in order of their group (the
// event name), cut into frames of about GroupFrameBytes, each frame's
// events in record order and compressed on its own:
//
//	GroupedBlockMagic | uvarint frames
//	| frames × (uvarint events, uvarint stored length, CRC-32C of the
//	  stored bytes [4 bytes, big-endian])
//	| uvarint events | events × (uvarint record [the first as it is,
//	  each later one as the difference from the one before], uvarint
//	  frame), in record order
//	| the frames' zstd bytes, in order
//
// The checksums are those of a framed block (frames.go).
//
// A query for an event name reads the frames its events share, not every
// block of their item; a point read (an event of a principal) decompresses
// one frame of 32 KiB instead of a block of 64 KiB. Records of one name
// share most of their text, so the frames compress about as well as the
// whole blocks of schema 7: on the CloudTrail of the benchmark corpus the
// raw records took 36.6 MB in grouped frames against 35.9 MB in blocks of
// 64 KiB, and `--event GetObject` decompressed 50 MB instead of 248 MB.
// A full read decodes every frame and hands the entries on in record
// order, as from any other block.
const (
	GroupedBlockMagic = 'G'
	// GroupFrameBytes is the size of entries at which a frame of a
	// grouped block is cut.
	GroupFrameBytes = 32 << 10
	// GroupedBlockBytes is the size of entries at which a block of events
	// with groups is cut (instead of MaxBlockBytes).
	GroupedBlockBytes = 512 << 10
	// maxGroupFrames bounds a grouped block's directory: a block is cut
	// at GroupedBlockBytes plus one event, so it makes at most 17 frames.
	maxGroupFrames = 64
)

var errGroups = errors.New("group directory")

// framePlain keeps the buffers a frame's entries are gathered in.
var framePlain sync.Pool

// groupDir is the directory of a grouped block.
type groupDir struct {
	frames []frame  // their field first is not used
	recs   []uint64 // the block's records, in order
	in     []uint8  // the frame of each
}

// groupBufs hold a groupDir's lists: a directory read into buffers on
// the stack allocates nothing (a query reads one for every frame it
// decodes).
type groupBufs struct {
	frames [maxGroupFrames]frame
	recs   [MaxBlockEvents]uint64
	in     [MaxBlockEvents]uint8
}

// groupBlock returns payload (a termless block's uvarint count and
// entries, in record order) stored grouped by groups (one per event), or
// ok=false when it would make a single frame or is not well formed.
func groupBlock(scratch, payload []byte, groups []string) (out []byte, v []byte, ok bool) {
	var spans [MaxBlockEvents]span
	es, p, ok := entrySpans(spans[:0], payload)
	if !ok || len(es) < 2 || len(es) != len(groups) {
		return scratch, nil, false
	}
	n := uint64(len(es))
	// Events in order of group, records in order within one.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(groups[a], groups[b]) })
	// Frames of about GroupFrameBytes in that order.
	var cuts []int // start of each frame in order
	size := 0
	for i, e := range order {
		if i == 0 || size >= GroupFrameBytes {
			cuts = append(cuts, i)
			size = 0
		}
		size += es[e].end - es[e].off
	}
	if len(cuts) < 2 || len(cuts) > maxGroupFrames {
		return scratch, nil, false
	}
	cuts = append(cuts, len(order))
	frameOf := make([]uint8, n)
	pp, _ := framePlain.Get().(*[]byte)
	if pp == nil {
		pp = new([]byte)
	}
	defer framePlain.Put(pp)
	plain := (*pp)[:0]
	scratch = scratch[:0]
	ends := make([]int, len(cuts)-1)
	for f := 0; f+1 < len(cuts); f++ {
		in := order[cuts[f]:cuts[f+1]]
		slices.Sort(in) // record order within the frame
		plain = plain[:0]
		for _, e := range in {
			frameOf[e] = uint8(f)
			plain = append(plain, p[es[e].off:es[e].end]...)
		}
		scratch = zEncoder().EncodeAll(plain, scratch)
		ends[f] = len(scratch)
	}
	*pp = plain
	dir := make([]byte, 0, 8+len(ends)*6+int(n)*3)
	dir = append(dir, GroupedBlockMagic)
	dir = binary.AppendUvarint(dir, uint64(len(ends)))
	start := 0
	for f, end := range ends {
		dir = binary.AppendUvarint(dir, uint64(cuts[f+1]-cuts[f]))
		dir = binary.AppendUvarint(dir, uint64(end-start))
		dir = binary.BigEndian.AppendUint32(dir, crc32.Checksum(scratch[start:end], castagnoli))
		start = end
	}
	dir = binary.AppendUvarint(dir, n)
	prev := uint64(0)
	for i, e := range es {
		dir = binary.AppendUvarint(dir, e.rec-prev)
		dir = binary.AppendUvarint(dir, uint64(frameOf[i]))
		prev = e.rec
	}
	v = make([]byte, 0, len(dir)+len(scratch)+SumSize)
	v = append(append(v, dir...), scratch...)
	return scratch, v, true
}

// readGroups parses the directory of a grouped block value (without its
// checksum), its lists in bufs.
func readGroups(v []byte, bufs *groupBufs) (groupDir, error) {
	var d groupDir
	if len(v) < 2 || v[0] != GroupedBlockMagic {
		return d, errNotBlock
	}
	p := v[1:]
	next := func() (uint64, bool) {
		x, l := binary.Uvarint(p)
		if l <= 0 {
			return 0, false
		}
		p = p[l:]
		return x, true
	}
	nf, ok := next()
	if !ok || nf < 1 || nf > maxGroupFrames {
		return d, errGroups
	}
	d.frames = bufs.frames[:nf]
	size, total := 0, 0
	for i := range d.frames {
		n, ok1 := next()
		z, ok2 := next()
		if !ok1 || !ok2 || n == 0 || n > MaxBlockEvents || z > uint64(len(v)) || len(p) < 4 {
			return d, errGroups
		}
		sum := binary.BigEndian.Uint32(p)
		p = p[4:]
		d.frames[i] = frame{n: int(n), off: size, end: size + int(z), sum: sum}
		size += int(z)
		total += int(n)
	}
	n, ok := next()
	if !ok || n != uint64(total) || n > MaxBlockEvents {
		return d, errGroups
	}
	d.recs, d.in = bufs.recs[:n], bufs.in[:n]
	var rec uint64
	var seenBuf [maxGroupFrames]int
	seen := seenBuf[:nf]
	for i := range d.recs {
		delta, ok1 := next()
		f, ok2 := next()
		if !ok1 || !ok2 || (i > 0 && delta == 0) || rec+delta < rec || f >= nf {
			return d, errGroups
		}
		rec += delta
		d.recs[i], d.in[i] = rec, uint8(f)
		seen[f]++
	}
	for f := range seen {
		if seen[f] != d.frames[f].n {
			return d, errGroups
		}
	}
	base := len(v) - len(p)
	if size != len(p) {
		return d, errGroups
	}
	for i := range d.frames {
		d.frames[i].off += base
		d.frames[i].end += base
	}
	return d, nil
}

// decodeGroupedFor decodes the frame of a grouped block that holds record
// rec, checked against the directory, and returns its entries (none when
// the block does not hold rec).
func decodeGroupedFor(buf []byte, es []Entry, v []byte, rec uint64) ([]byte, []Entry, error) {
	var bufs groupBufs
	d, err := readGroups(v, &bufs)
	if err != nil {
		return buf, nil, err
	}
	i, found := slices.BinarySearch(d.recs, rec)
	if !found {
		return buf, es[:0], nil
	}
	f := int(d.in[i])
	var starts [2]int
	p, err := decompressFrames(buf[:0], v, d.frames[f:f+1], starts[:])
	if err != nil {
		return buf, nil, err
	}
	out, err := parseFrame(es[:0], p, d.frames[f].n, errGroups)
	if err != nil {
		return p, nil, err
	}
	j := 0
	for i, r := range d.recs {
		if int(d.in[i]) == f {
			if out[j].Rec != r {
				return p, nil, errGroups
			}
			j++
		}
	}
	return p, out, nil
}

// decodeGrouped decodes every frame of a grouped block and returns its
// entries in record order; buf holds the frames one after the other.
func decodeGrouped(buf []byte, es []Entry, v []byte) ([]byte, []Entry, error) {
	var bufs groupBufs
	d, err := readGroups(v, &bufs)
	if err != nil {
		return buf, nil, err
	}
	starts := make([]int, len(d.frames)+1)
	out, err := decompressFrames(buf[:0], v, d.frames, starts)
	if err != nil {
		return buf, nil, err
	}
	// Each frame's entries, then the block's in record order.
	per := make([][]Entry, len(d.frames))
	for f := range d.frames {
		if per[f], err = parseFrame(nil, out[starts[f]:starts[f+1]], d.frames[f].n, errGroups); err != nil {
			return out, nil, err
		}
	}
	es = es[:0]
	pos := make([]int, len(d.frames))
	for i, r := range d.recs {
		f := d.in[i]
		e := per[f][pos[f]]
		if e.Rec != r {
			return out, nil, errGroups
		}
		pos[f]++
		es = append(es, e)
	}
	return out, es, nil
}

// groupedPayload returns a grouped block's entries as a TermlessBlockMagic
// block holds them: the uvarint count, then each entry in record order,
// encoded as a block's builder encodes it.
func groupedPayload(buf, v []byte) ([]byte, error) {
	_, es, err := decodeGrouped(nil, nil, v)
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(buf[:0], uint64(len(es)))
	for _, e := range es {
		out = binary.AppendUvarint(out, e.Rec)
		out = binary.AppendUvarint(out, uint64(len(e.Val)))
		out = append(out, e.Val...)
	}
	return out, nil
}

// CompressGroupedInto is CompressBlockInto for the termless entries of a
// block whose events have groups (one per event, in record order): the
// block is stored grouped when it makes two frames or more, else as
// CompressBlockInto stores it.
func CompressGroupedInto(scratch []byte, payload []byte, groups []string) ([]byte, []byte) {
	if s, v, ok := groupBlock(scratch, payload, groups); ok {
		return s, v
	}
	return CompressBlockInto(scratch, TermlessBlockMagic, payload)
}
