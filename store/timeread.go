package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// Reading the whole case in time order (EventsByTime) visits every event
// once, in an order that jumps between the items whose logs cover the
// same hours, while events are stored in blocks of consecutive records of
// one item. Fetching each posting by a point lookup would seek and
// decompress a block for every few events; instead the read keeps the
// blocks it has decoded (openBlocks) until every event in them has been
// handed on, so each block is found, checked and decompressed once: the
// open blocks are, per item, the ones its time-ordered events are being
// taken from. Their decoded size is bounded by openBlockBytes; past it
// the least recently used block is dropped (and decoded again if an event
// of it comes later), so memory stays bounded whatever the case's layout.

// openBlockBytes bounds the decoded size of the blocks a time-ordered read
// holds open (see openBlocks).
var openBlockBytes = 96 << 20

// releaseBlockBytes is how many bytes of stored blocks a time-ordered read
// reads between two releases of the mapped pages (see releaseMapped).
const releaseBlockBytes = 16 << 20

// openBlock is a decoded block a time-ordered read takes events from.
type openBlock struct {
	item        uint64
	first, last uint64 // record numbers
	entries     []codec.Entry
	buf         []byte
	left        int // entries not handed on yet
	prev, next  *openBlock
}

// openBlocks holds the decoded blocks of a time-ordered read, most
// recently used first.
type openBlocks struct {
	strict   bool
	byItem   map[uint64][]*openBlock // by first record
	head     openBlock               // sentinel of the use list
	size     int                     // decoded bytes held
	read     int                     // stored bytes read since the last release
	spare    [][]byte                // buffers of dropped blocks, for reuse
	spareEnt [][]codec.Entry
	decoded  int    // blocks decoded (for tests)
	slab     []byte // where events' data is copied to
}

func newOpenBlocks(strict bool) *openBlocks {
	ob := &openBlocks{strict: strict, byItem: map[uint64][]*openBlock{}}
	ob.head.prev, ob.head.next = &ob.head, &ob.head
	return ob
}

// event returns the event (item, rec), reading its block through c when
// it is not open; ok is false for an event no longer stored. The event's
// data is its own; its terms are shared with nothing.
func (ob *openBlocks) event(c *bolt.Cursor, item, rec uint64) (StoredEvent, bool, error) {
	b := ob.find(item, rec)
	if b == nil {
		var err error
		if b, err = ob.open(c, item, rec); b == nil || err != nil {
			return StoredEvent{}, false, err
		}
	}
	en, ok := codec.FindEntry(b.entries, rec)
	if !ok {
		return StoredEvent{}, false, nil
	}
	ev, err := entryEvent(item, en)
	if err != nil {
		return StoredEvent{}, false, err
	}
	ev.Data = ob.copyData(ev.Data)
	if b.left--; b.left <= 0 {
		ob.drop(b)
	} else if ob.head.next != b {
		ob.unlink(b)
		ob.pushFront(b)
	}
	return ev, true, nil
}

// dataSlab is the size of the buffers events' data is copied into: one
// allocation for many small events. An event kept by the caller keeps at
// most one slab alive; data larger than a quarter slab gets its own.
const dataSlab = 32 << 10

// copyData returns a copy of d that shares no memory with a block (the
// capacity is cut, so appending to it cannot touch another event's data).
func (ob *openBlocks) copyData(d []byte) []byte {
	if len(d) > dataSlab/4 {
		return bytes.Clone(d)
	}
	if cap(ob.slab)-len(ob.slab) < len(d) {
		ob.slab = make([]byte, 0, dataSlab)
	}
	n := len(ob.slab)
	ob.slab = append(ob.slab, d...)
	return ob.slab[n:len(ob.slab):len(ob.slab)]
}

// find returns the open block of item that would hold rec, or nil.
func (ob *openBlocks) find(item, rec uint64) *openBlock {
	for _, b := range ob.byItem[item] {
		if b.first <= rec && rec <= b.last {
			return b
		}
	}
	return nil
}

// open reads and decodes the stored block holding (item, rec), or
// returns nil if there is none.
func (ob *openBlocks) open(c *bolt.Cursor, item, rec uint64) (*openBlock, error) {
	var want [16]byte
	binary.BigEndian.PutUint64(want[:], item)
	binary.BigEndian.PutUint64(want[8:], rec)
	k, v := c.Seek(want[:])
	if k == nil || !bytes.Equal(k, want[:]) {
		k, v = c.Prev()
	}
	if k == nil || !bytes.Equal(k[:8], want[:8]) {
		return nil, nil
	}
	b := &openBlock{item: item}
	if n := len(ob.spare); n > 0 {
		b.buf, b.entries = ob.spare[n-1], ob.spareEnt[n-1]
		ob.spare, ob.spareEnt = ob.spare[:n-1], ob.spareEnt[:n-1]
	}
	var err error
	b.buf, b.entries, err = decodeBlockInto(b.buf, b.entries, k, v, ob.strict)
	if err != nil {
		return nil, err
	}
	ob.decoded++
	ob.read += len(v)
	if len(b.entries) == 0 {
		return nil, fmt.Errorf("%s: %w: empty", blockName(k), ErrCorrupted)
	}
	b.first, b.last = b.entries[0].Rec, b.entries[len(b.entries)-1].Rec
	b.left = len(b.entries)
	ob.size += cap(b.buf)
	for ob.size > openBlockBytes && ob.head.prev != &ob.head {
		ob.drop(ob.head.prev)
	}
	ob.pushFront(b)
	bs := ob.byItem[item]
	ob.byItem[item] = append(bs, b)
	return b, nil
}

// drop forgets block b, keeping its buffers for the next block.
func (ob *openBlocks) drop(b *openBlock) {
	ob.unlink(b)
	bs := ob.byItem[b.item]
	for i, o := range bs {
		if o == b {
			bs = append(bs[:i], bs[i+1:]...)
			break
		}
	}
	if len(bs) == 0 {
		delete(ob.byItem, b.item)
	} else {
		ob.byItem[b.item] = bs
	}
	ob.size -= cap(b.buf)
	if len(ob.spare) < 8 {
		ob.spare = append(ob.spare, b.buf)
		ob.spareEnt = append(ob.spareEnt, b.entries[:0])
	}
	b.buf, b.entries = nil, nil
}

func (ob *openBlocks) unlink(b *openBlock) {
	if b.prev != nil {
		b.prev.next, b.next.prev = b.next, b.prev
		b.prev, b.next = nil, nil
	}
}

func (ob *openBlocks) pushFront(b *openBlock) {
	b.prev, b.next = &ob.head, ob.head.next
	ob.head.next.prev = b
	ob.head.next = b
}

// openChunk is how many events a time-ordered read reads per read
// transaction and hands over at a time.
const openChunk = 2048

// openAhead is how many chunks of events a time-ordered read keeps ready
// while fn works on one.
const openAhead = 2

// inTimeOrder is EventsByTime. The events are read (postings merged,
// blocks decoded, data copied) on a goroutine of their own, a chunk ahead
// of fn, which the calling goroutine runs: on two cores reading the case
// overlaps with what fn does with it. Memory stays bounded: the merge
// holds a round of postings (mergeRound), the open blocks at most
// openBlockBytes, and at most openAhead+2 chunks of openChunk events are
// alive (one being read, openAhead ready, one being handed on).
func (s *Store) inTimeOrder(from, to time.Time, fn func(StoredEvent) error) error {
	free := make(chan []StoredEvent, openAhead+2)
	return s.chunksInTimeOrder(from, to, free, func(evs []StoredEvent) error {
		for i := range evs {
			if err := fn(evs[i]); err != nil {
				return err
			}
			evs[i] = StoredEvent{} // let it go
		}
		free <- evs[:0]
		return nil
	})
}

// EventChunksByTime is EventsByTime handing the events over a chunk
// (at most a few thousand events) at a time, for a caller that spreads
// the work on them over several goroutines. Each chunk and its events
// are the caller's to keep; fn runs on the calling goroutine while the
// next chunks are read, and may not write to the store.
func (s *Store) EventChunksByTime(from, to time.Time, fn func([]StoredEvent) error) error {
	return s.chunksInTimeOrder(from, to, nil, fn)
}

// chunksInTimeOrder reads chunks of events in time order on a goroutine
// of its own, openAhead chunks ahead of fn, taking the slices for them
// from free when it has some (a nil free: always new ones).
func (s *Store) chunksInTimeOrder(from, to time.Time, free chan []StoredEvent, fn func([]StoredEvent) error) error {
	m, err := s.newMerge([]TermRange{{Term: allTerm, From: from, To: to}})
	if err != nil {
		return err
	}
	ready := make(chan []StoredEvent, openAhead)
	done := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ready)
		readErr = s.readInOrder(m, free, func(evs []StoredEvent) bool {
			select {
			case ready <- evs:
				return true
			case <-done:
				return false
			}
		})
	}()
	defer wg.Wait()
	defer close(done) // (before Wait) stops the reader if fn fails or panics
	for evs := range ready {
		if err := fn(evs); err != nil {
			return err
		}
	}
	return readErr
}

// readInOrder reads the events of m's postings in order, through open
// blocks, and hands them on in chunks; it stops when send reports false.
func (s *Store) readInOrder(m *merge, free chan []StoredEvent, send func([]StoredEvent) bool) error {
	ob := newOpenBlocks(s.strict)
	for m.more() {
		if err := s.nextRound(m); err != nil {
			return err
		}
		for off := 0; off < len(m.ps); off += openChunk {
			var evs []StoredEvent
			select {
			case evs = <-free:
			default:
				evs = make([]StoredEvent, 0, openChunk)
			}
			part := m.ps[off:min(len(m.ps), off+openChunk)]
			err := s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bEvents).Cursor()
				for _, p := range part {
					e, ok, err := ob.event(c, p.Item, p.Rec)
					if err != nil {
						return err
					}
					if ok { // else removed since the postings were read
						evs = append(evs, e)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if ob.read >= releaseBlockBytes {
				s.releaseMapped() // the pages just read are not needed again
				ob.read = 0
			}
			if !send(evs) {
				return nil
			}
		}
	}
	return nil
}
