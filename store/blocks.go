package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// Events of one item are stored in blocks of consecutive records,
// compressed together (see codec.DecodeBlock); a flush puts a few hundred
// keys instead of tens of thousands. A block is keyed by its item and
// first record number; an event is found by seeking to its key and
// stepping back to the block that holds it.

// decodeBlock returns the entries of a stored block, in record order,
// after checking its checksum; strict refuses a block without one.
func decodeBlock(k, v []byte, strict bool) ([]codec.Entry, error) {
	_, es, err := decodeBlockInto(nil, nil, k, v, strict)
	return es, err
}

// decodeBlockInto is decodeBlock reusing buf and es (which the entries
// then point into); it returns the buffer used.
func decodeBlockInto(buf []byte, es []codec.Entry, k, v []byte, strict bool) ([]byte, []codec.Entry, error) {
	return decodeBlockOf(buf, es, k, v, strict, false, 0)
}

// decodeBlockOf is decodeBlockInto, or for a point read of record rec
// (point) decodes of a block stored in frames only the frame that would
// hold rec (codec.DecodeBlockForInto).
func decodeBlockOf(buf []byte, es []codec.Entry, k, v []byte, strict, point bool, rec uint64) ([]byte, []codec.Entry, error) {
	if len(k) != 16 {
		return buf, nil, fmt.Errorf("event block %x: %w: not a block", k, ErrCorrupted)
	}
	v, sealed, err := codec.OpenBlock(k, v)
	if err == nil && !sealed && strict {
		err = errors.New("no checksum")
	}
	if err == nil {
		if point {
			buf, es, err = codec.DecodeBlockForInto(buf, es, v, rec)
		} else {
			buf, es, err = codec.DecodeBlockInto(buf, es, v)
		}
	}
	if err != nil {
		return buf, nil, fmt.Errorf("%s: %w: %w", blockName(k), ErrCorrupted, err)
	}
	return buf, es, nil
}

// blockName names a stored event block: its item and first record.
func blockName(k []byte) string {
	return fmt.Sprintf("event block of item %d from record %d", binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:]))
}

func entryEvent(item uint64, e codec.Entry) (StoredEvent, error) {
	h, err := decodeHeader(item, e)
	if err != nil {
		return StoredEvent{}, err
	}
	return StoredEvent{Item: item, Record: e.Rec, Time: h.time, terms: h.terms, termless: h.termless, Data: h.rest}, nil
}

// blockCache keeps the last few decoded blocks of a read (or of a block
// stored in frames, the frames it read). Events it returns point into its
// buffers: callers copy what they keep.
type blockCache struct {
	strict  bool // blocks must carry a checksum (Store.strict)
	keys    [][]byte
	entries [][]codec.Entry
	bufs    [][]byte
	next    int // slot to reuse when full
}

const blockCacheSize = 16

// lookup returns the stored event (item, rec) using cursor c, or ok=false.
func (bc *blockCache) lookup(c *bolt.Cursor, item, rec uint64) (StoredEvent, bool, error) {
	want := eventKey(item, rec)
	for i, k := range bc.keys {
		if len(k) == 16 && bytes.Compare(k, want) <= 0 && bytes.Equal(k[:8], want[:8]) {
			if e, ok := codec.FindEntry(bc.entries[i], rec); ok {
				ev, err := entryEvent(item, e)
				return ev, err == nil, err
			}
		}
	}
	k, v := c.Seek(want)
	if k == nil || !bytes.Equal(k, want) {
		k, v = c.Prev()
	}
	if k == nil || !bytes.Equal(k[:8], want[:8]) {
		return StoredEvent{}, false, nil
	}
	slot := len(bc.keys)
	if slot == blockCacheSize {
		slot = bc.next
		bc.next = (bc.next + 1) % blockCacheSize
	} else {
		bc.keys = append(bc.keys, nil)
		bc.entries = append(bc.entries, nil)
		bc.bufs = append(bc.bufs, nil)
	}
	buf, entries, err := decodeBlockOf(bc.bufs[slot], bc.entries[slot], k, v, bc.strict, true, rec)
	bc.bufs[slot] = buf
	if err != nil {
		bc.keys[slot], bc.entries[slot] = nil, nil
		return StoredEvent{}, false, err
	}
	bc.keys[slot] = append(bc.keys[slot][:0], k...)
	bc.entries[slot] = entries
	e, ok := codec.FindEntry(entries, rec)
	if !ok {
		return StoredEvent{}, false, nil
	}
	ev, err := entryEvent(item, e)
	return ev, err == nil, err
}

// storedData returns the data of an event stored earlier (in this
// transaction or before it).
func storedData(tx *bolt.Tx, item, rec uint64, strict bool) ([]byte, bool, error) {
	bc := blockCache{strict: strict}
	ev, ok, err := bc.lookup(tx.Bucket(bEvents).Cursor(), item, rec)
	return ev.Data, ok, err
}

// batchLists returns the terms of every posting list (not chunk) of a
// batch: where an item's postings may be when its events' terms cannot
// be computed.
func batchLists(pb *bolt.Bucket, batch uint64) map[string]bool {
	out := map[string]bool{}
	prefix := u64(batch)
	c := pb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) > 8 && !isChunkKey(k) {
			out[string(k[8:])] = true
		}
	}
	return out
}
