package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/s2"
	bolt "go.etcd.io/bbolt"
)

// Events of one item are stored in blocks of consecutive records,
// compressed together: neighbouring log records share most of their
// structure, so a block compresses several times better than records one
// by one, and a flush puts a few hundred keys instead of tens of
// thousands. A block is keyed by its item and first record number; an
// event is found by seeking to its key and stepping back to the block
// that holds it.

const (
	blockMagic     = 'B'
	maxBlockEvents = 64
	maxBlockBytes  = 64 << 10
)

type blockEntry struct {
	rec uint64
	val []byte
}

// decodeBlock returns the entries of a stored block, in record order.
func decodeBlock(k, v []byte) ([]blockEntry, error) {
	_, es, err := decodeBlockInto(nil, nil, k, v)
	return es, err
}

// decodeBlockInto is decodeBlock reusing buf and es (which the entries
// then point into); it returns the buffer used.
func decodeBlockInto(buf []byte, es []blockEntry, k, v []byte) ([]byte, []blockEntry, error) {
	bad := func(why string) error {
		return fmt.Errorf("event block %x: %w: %s", k, ErrCorrupted, why)
	}
	if len(k) != 16 || len(v) < 2 || v[0] != blockMagic {
		return buf, nil, bad("not a block")
	}
	if n, err := s2.DecodedLen(v[1:]); err == nil && n <= cap(buf) {
		buf = buf[:n]
	} else {
		buf = nil
	}
	p, err := s2.Decode(buf, v[1:])
	if err != nil {
		return buf, nil, bad(err.Error())
	}
	buf = p
	n, l := binary.Uvarint(p)
	if l <= 0 || n > uint64(len(p)) {
		return buf, nil, bad("count")
	}
	p = p[l:]
	out := es[:0]
	for i := uint64(0); i < n; i++ {
		rec, l := binary.Uvarint(p)
		if l <= 0 {
			return buf, nil, bad("record number")
		}
		p = p[l:]
		m, l := binary.Uvarint(p)
		if l <= 0 || m > uint64(len(p)-l) {
			return buf, nil, bad("record length")
		}
		out = append(out, blockEntry{rec, p[l : l+int(m)]})
		p = p[l+int(m):]
	}
	return buf, out, nil
}

func entryEvent(item uint64, e blockEntry) (StoredEvent, error) {
	h, err := decodeHeader(item, e.rec, e.val)
	if err != nil {
		return StoredEvent{}, err
	}
	return StoredEvent{Item: item, Record: e.rec, Time: h.time, Terms: h.terms, Data: h.rest}, nil
}

// blockCache keeps the last few decoded blocks of a read. Events it
// returns point into its buffers: callers copy what they keep.
type blockCache struct {
	keys    [][]byte
	entries [][]blockEntry
	bufs    [][]byte
	next    int // slot to reuse when full
}

const blockCacheSize = 16

// lookup returns the stored event (item, rec) using cursor c, or ok=false.
func (bc *blockCache) lookup(c *bolt.Cursor, item, rec uint64) (StoredEvent, bool, error) {
	want := eventKey(item, rec)
	for i, k := range bc.keys {
		if len(k) == 16 && bytes.Compare(k, want) <= 0 && bytes.Equal(k[:8], want[:8]) {
			if e, ok := findEntry(bc.entries[i], rec); ok {
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
	buf, entries, err := decodeBlockInto(bc.bufs[slot], bc.entries[slot], k, v)
	bc.bufs[slot] = buf
	if err != nil {
		bc.keys[slot], bc.entries[slot] = nil, nil
		return StoredEvent{}, false, err
	}
	bc.keys[slot] = append(bc.keys[slot][:0], k...)
	bc.entries[slot] = entries
	e, ok := findEntry(entries, rec)
	if !ok {
		return StoredEvent{}, false, nil
	}
	ev, err := entryEvent(item, e)
	return ev, err == nil, err
}

func findEntry(es []blockEntry, rec uint64) (blockEntry, bool) {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].rec < rec {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].rec == rec {
		return es[lo], true
	}
	return blockEntry{}, false
}

// storedData returns the data of an event stored earlier (in this
// transaction or before it).
func storedData(tx *bolt.Tx, item, rec uint64) ([]byte, bool, error) {
	var bc blockCache
	ev, ok, err := bc.lookup(tx.Bucket(bEvents).Cursor(), item, rec)
	return ev.Data, ok, err
}
