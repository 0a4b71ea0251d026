package store

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// A BlockBuilder lays out and compresses blocks of consecutive events of
// one item and groups their index terms, on the caller's goroutine.
// Parsers run on several goroutines, the Writer on one; doing the
// per-event work before the writer lets indexing use every core.
// PutEvent uses one on the writer's goroutine.
type BlockBuilder struct {
	item  uint64
	magic byte // codec.TermlessBlockMagic, or ZBlockMagic with no SetEventTerms
	cur   *EventBlock
	terms map[string]uint16 // term -> index in cur.terms
	names map[string]string // group names of cur, kept once
	buf   []byte            // entries of the block being built, reused
	zbuf  []byte            // compression scratch, reused
}

// EventBlock is a sealed block of events of one item, ready for
// Writer.PutBlock.
type EventBlock struct {
	item    uint64
	entries []byte // count byte, then (uvarint record, uvarint len, value)…
	evs     []blockEv
	terms   []string
	refs    []uint32 // term index << 8 | event index, sorted after sealing
	comp    []byte   // magic + zstd(entries)
	magic   byte     // codec.TermlessBlockMagic or ZBlockMagic
	groups  []string // each event's group, when the block is grouped
}

type blockEv struct {
	rec      uint64
	t        uint64 // timeKey
	off, end int    // the entry (record, length, value) within entries
	dedupKey string
	hash     evidence.SHA256
}

// NewBlockBuilder returns a builder for the events of one item. Its
// blocks hold the events without their terms (schema 6) when the terms
// can be computed again from the events (SetEventTerms), with them
// otherwise.
func NewBlockBuilder(item uint64) *BlockBuilder {
	magic := byte(codec.ZBlockMagic)
	if eventTerms.Load() != nil {
		magic = codec.TermlessBlockMagic
	}
	return &BlockBuilder{item: item, magic: magic, terms: map[string]uint16{}, names: map[string]string{}}
}

// Add appends an event (ev.Item must be the builder's item, ev.Record
// greater than the previous one) and returns the block it completed, if
// any. ev.Data is copied: the caller may reuse it.
func (bb *BlockBuilder) Add(ev *EventRecord) *EventBlock {
	var done *EventBlock
	if b := bb.cur; b != nil && (len(b.evs) >= codec.MaxBlockEvents || len(b.entries) >= b.maxBytes() || ev.Record <= b.evs[len(b.evs)-1].rec) {
		done = bb.seal()
	}
	b := bb.cur
	if b == nil {
		if bb.buf == nil {
			bb.buf = getBlockBuf()
		}
		b = &EventBlock{item: bb.item, magic: bb.magic, entries: append(bb.buf[:0], 0), evs: make([]blockEv, 0, codec.MaxBlockEvents), refs: make([]uint32, 0, 4*codec.MaxBlockEvents)}
		if ev.Group != "" && b.magic == codec.TermlessBlockMagic {
			b.groups = make([]string, 0, codec.MaxBlockEvents)
		}
		bb.cur = b
		clear(bb.terms)
		clear(bb.names)
	}
	if b.groups != nil {
		g, ok := bb.names[ev.Group]
		if !ok {
			g = strings.Clone(ev.Group)
			bb.names[g] = g
		}
		b.groups = append(b.groups, g)
	}
	i := len(b.evs)
	off := len(b.entries)
	tk := binary.BigEndian.Uint64(timeKey(ev.Time))
	b.entries = binary.AppendUvarint(b.entries, ev.Record)
	if b.magic == codec.TermlessBlockMagic {
		b.entries = binary.AppendUvarint(b.entries, uint64(codec.TermlessValueLen(ev.DedupKey, ev.Data)))
		b.entries = codec.AppendTermlessValue(b.entries, tk, ev.DedupKey, ev.Data)
	} else {
		b.entries = binary.AppendUvarint(b.entries, uint64(codec.EventValueLen(ev.Terms, ev.DedupKey, ev.Data)))
		b.entries = codec.AppendEventValue(b.entries, tk, ev.Terms, ev.DedupKey, ev.Data)
	}
	b.evs = append(b.evs, blockEv{rec: ev.Record, t: tk, off: off, end: len(b.entries),
		dedupKey: ev.DedupKey, hash: ev.ContentHash})
	for _, t := range ev.Terms {
		if !indexable(t) {
			continue
		}
		ti, ok := bb.terms[t]
		if !ok {
			ti = uint16(len(b.terms))
			bb.terms[t] = ti
			b.terms = append(b.terms, t)
		}
		b.refs = append(b.refs, uint32(ti)<<8|uint32(i))
	}
	return done
}

// indexable reports whether an event's term gets a posting: not empty,
// without a NUL byte, and not the time index's own term.
func indexable(t string) bool {
	return t != "" && strings.IndexByte(t, 0) < 0 && t != allTerm
}

// Finish returns the last, partial block, or nil. The builder is done
// with: its buffers go back to the pool.
func (bb *BlockBuilder) Finish() *EventBlock {
	var b *EventBlock
	if bb.cur != nil {
		b = bb.seal()
	}
	putBlockBuf(bb.buf)
	putBlockBuf(bb.zbuf)
	bb.buf, bb.zbuf = nil, nil
	return b
}

// blockBufs keeps the entry and compression buffers of finished
// builders: a builder is made for every item, and a grouped block grows
// its buffer to half a megabyte.
var blockBufs sync.Pool

func getBlockBuf() []byte {
	if b, ok := blockBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, codec.MaxBlockBytes+4096)
}

func putBlockBuf(b []byte) {
	if cap(b) == 0 || cap(b) > 2*codec.GroupedBlockBytes {
		return
	}
	b = b[:0]
	blockBufs.Put(&b)
}

func (bb *BlockBuilder) seal() *EventBlock {
	b := bb.cur
	bb.cur = nil
	// The count was given one byte; a count of 128 or more takes two.
	if n := len(b.evs); n < 0x80 {
		b.entries[0] = byte(n)
	} else {
		b.entries = append(b.entries, 0)
		copy(b.entries[2:], b.entries[1:])
		binary.AppendUvarint(b.entries[:0], uint64(n))
		for i := range b.evs {
			b.evs[i].off++
			b.evs[i].end++
		}
	}
	bb.zbuf, b.comp = b.compress(bb.zbuf, b.entries, b.groups)
	bb.buf = b.entries[:0] // rarely needed again: decompressed on demand
	b.entries = nil
	slices.Sort(b.refs) // group by term, events in order within a term
	return b
}

// compress stores payload (the block's count and entries, or some of
// them) in the block's form, grouped by groups (one per entry) when the
// block is grouped, using scratch (returned, perhaps grown).
func (b *EventBlock) compress(scratch, payload []byte, groups []string) ([]byte, []byte) {
	if b.groups != nil {
		return codec.CompressGroupedInto(scratch, payload, groups)
	}
	return codec.CompressBlockInto(scratch, b.magic, payload)
}

// maxBytes is the size of entries at which the block is cut: larger for
// a grouped block, whose point reads decompress one frame.
func (b *EventBlock) maxBytes() int {
	if b.groups != nil {
		return codec.GroupedBlockBytes
	}
	return codec.MaxBlockBytes
}

// uncompressed returns the block's entries, decompressing them when they
// are needed (to drop duplicates or compare contents).
func (b *EventBlock) uncompressed() []byte {
	if b.entries == nil {
		b.entries, _ = codec.DecompressBlock(b.comp) // our own encoding
	}
	return b.entries
}

// Events is the number of events in the block.
func (b *EventBlock) Events() int { return len(b.evs) }

// MemSize estimates the memory the block holds.
func (b *EventBlock) MemSize() int {
	n := 128 + len(b.comp) + len(b.entries) + 4*len(b.refs) + 80*len(b.evs)
	for i := range b.evs {
		n += len(b.evs[i].dedupKey)
	}
	for _, t := range b.terms {
		n += 16 + len(t)
	}
	return n
}

// PutBlock buffers a block from a BlockBuilder.
func (w *Writer) PutBlock(b *EventBlock) error {
	return w.add(op{kind: 'k', blk: b})
}

func (b *EventBlock) opSize() int {
	return b.MemSize() + 24*len(b.refs)
}

// putBlock stores a block: duplicates (by dedup key) are dropped from it
// first, then the block is put and its postings gathered.
func (w *Writer) putBlock(tx *bolt.Tx, b *EventBlock) error {
	st := w.stats[b.item]
	if st == nil {
		st = &EventStats{}
		w.stats[b.item] = st
	}
	var drop dropSet // event i is a duplicate
	var d *bolt.Bucket
	for i := range b.evs {
		e := &b.evs[i]
		if e.dedupKey == "" {
			continue
		}
		if d == nil {
			d = tx.Bucket(bEvDedup)
			d.FillPercent = dedupFill
			w.useFilter(d)
		}
		dup, err := w.dedup(tx, d, b, i)
		if err != nil {
			return err
		}
		if dup {
			drop.add(i)
		}
	}
	kept := len(b.evs) - drop.count()
	if kept == 0 {
		return nil
	}
	v, first := b.comp, b.evs[0].rec
	if drop.count() != 0 {
		payload := binary.AppendUvarint(nil, uint64(kept))
		first = 0
		entries := b.uncompressed()
		var groups []string
		for i := range b.evs {
			if !drop.has(i) {
				if first == 0 {
					first = b.evs[i].rec
				}
				payload = append(payload, entries[b.evs[i].off:b.evs[i].end]...)
				if b.groups != nil {
					groups = append(groups, b.groups[i])
				}
			}
		}
		_, v = b.compress(nil, payload, groups)
	}
	evb := tx.Bucket(bEvents)
	evb.FillPercent = 0.95
	k := eventKey(b.item, first)
	// v has room for the checksum; b.comp keeps its length.
	if err := evb.Put(k, codec.SealBlock(k, v)); err != nil {
		return err
	}
	all := w.postingList(allTerm)
	for i := range b.evs {
		if !drop.has(i) {
			*all = append(*all, codec.Posting{T: b.evs[i].t, Item: b.item, Rec: b.evs[i].rec})
		}
	}
	for j := 0; j < len(b.refs); {
		ti := b.refs[j] >> 8
		var list *[]codec.Posting
		for ; j < len(b.refs) && b.refs[j]>>8 == ti; j++ {
			i := b.refs[j] & 0xff
			if drop.has(int(i)) {
				continue
			}
			if list == nil {
				list = w.postingList(b.terms[ti])
			}
			*list = append(*list, codec.Posting{T: b.evs[i].t, Item: b.item, Rec: b.evs[i].rec})
		}
	}
	st.Stored += int64(kept)
	return nil
}

// dropSet is a set of event indexes within a block.
type dropSet [(codec.MaxBlockEvents + 63) / 64]uint64

func (d *dropSet) add(i int)      { d[i>>6] |= 1 << (i & 63) }
func (d *dropSet) has(i int) bool { return d[i>>6]&(1<<(i&63)) != 0 }
func (d *dropSet) count() int {
	n := 0
	for _, w := range d {
		n += bits.OnesCount64(w)
	}
	return n
}

// dedupFill is how full the duplicate-key bucket's pages are left when
// split: keys arrive roughly in time order, so pages split at bbolt's
// default (half full) mostly stay half empty.
const dedupFill = 0.9

// dedup decides whether event i of b repeats an event stored earlier (or
// earlier in b), recording its key when it is new.
func (w *Writer) dedup(tx *bolt.Tx, d *bolt.Bucket, b *EventBlock, i int) (bool, error) {
	e := &b.evs[i]
	st := w.stats[b.item]
	dk := dedupKey(e.t, e.dedupKey)
	var v []byte
	if w.filter == nil || w.filter.Has(dk) {
		_, v = w.s.getDedup(d, dk, e.t, e.dedupKey)
	}
	item, rec, kept, ok := parseDedupValue(v)
	if !ok {
		w.noteKey(dk)
		return false, d.Put(dk, dedupValue(b.item, e.rec, e.hash))
	}
	if sameContent(kept, e.hash) {
		if item != b.item || rec != e.rec {
			st.Duplicates++
		}
		return true, nil
	}
	if w.same != nil {
		var stored []byte
		ok := false
		if item == b.item {
			for j := range i {
				if b.evs[j].rec == rec {
					stored, ok = b.entryData(j)
				}
			}
		}
		if !ok {
			var err error
			if stored, ok, err = storedData(tx, item, rec, w.s.strict); err != nil {
				return false, err
			}
		}
		if ok {
			incoming, _ := b.entryData(i)
			if w.same(stored, incoming) {
				st.Duplicates++
				return true, nil
			}
		}
	}
	st.Conflicts++
	return false, nil
}

// entryData returns the event data of entry i.
func (b *EventBlock) entryData(i int) ([]byte, bool) {
	p := b.uncompressed()[b.evs[i].off:b.evs[i].end]
	_, l := binary.Uvarint(p)
	p = p[l:]
	_, l = binary.Uvarint(p)
	ev, err := entryEvent(b.item, codec.Entry{Rec: b.evs[i].rec, Val: p[l:], Termless: b.magic == codec.TermlessBlockMagic})
	return ev.Data, err == nil
}

// postingList returns the list of term's postings in this flush.
func (w *Writer) postingList(term string) *[]codec.Posting {
	i, ok := w.postIdx[term]
	if !ok {
		i = len(w.postLists)
		w.postIdx[term] = i
		w.postLists = append(w.postLists, nil)
	}
	return &w.postLists[i]
}
