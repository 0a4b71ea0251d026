package store

import (
	"sync"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// A case is usually built by one acquisition into a fresh case. Then the
// duplicate keys in the case are exactly those the indexing writer put,
// and a Bloom filter of them (codec.KeyFilter) answers most duplicate
// checks ("certainly new") without a lookup in the bucket. The filter is
// only ever a
// superset of the keys stored (keys of a transaction that failed, or of
// events deleted since, stay in it): "maybe present" falls back to the
// lookup, so a false positive costs what every check cost before.
//
// A writer may keep such a filter only while it is the one writer that has
// put duplicate keys since the bucket was empty: the Store records which
// writer that is, and any other writer that puts a key takes the filter
// away from it.

// dedupClaim is the Store's record of the writer whose filter is valid.
type dedupClaim struct {
	mu    sync.Mutex
	owner *Writer
}

// useFilter sets w.filter to w's filter for the duplicate-key bucket d
// when w may use one (claiming the bucket for w when it is empty), and to
// nil otherwise. It is called in each write transaction before the filter
// is used: transactions do not overlap, so no other writer's key can go
// in while w relies on it.
func (w *Writer) useFilter(d *bolt.Bucket) {
	c := &w.s.dedup
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.owner == w:
		return
	case c.owner != nil:
		c.owner = nil // w's keys go in: the owner's filter is no longer complete
	case !w.filterTried:
		w.filterTried = true
		if k, _ := d.Cursor().First(); k == nil {
			c.owner, w.filter = w, codec.NewKeyFilter()
			return
		}
	}
	w.filter = nil
}

// noteKey adds a key w put to its filter, dropping the filter when full.
func (w *Writer) noteKey(dk []byte) {
	if w.filter == nil || w.filter.Add(dk) {
		return
	}
	c := &w.s.dedup
	c.mu.Lock()
	if c.owner == w {
		c.owner = nil
	}
	c.mu.Unlock()
	w.filter = nil
}
