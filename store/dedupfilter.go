package store

import (
	"hash/maphash"
	"math/bits"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// A case is usually built by one acquisition into a fresh case. Then the
// duplicate keys in the case are exactly those the indexing writer put,
// and a Bloom filter of them answers most duplicate checks ("certainly
// new") without a lookup in the bucket. The filter is only ever a
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
			c.owner, w.filter = w, newKeyFilter()
			return
		}
	}
	w.filter = nil
}

// noteKey adds a key w put to its filter, dropping the filter when full.
func (w *Writer) noteKey(dk []byte) {
	if w.filter == nil || w.filter.add(dk) {
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

// keyFilter is a Bloom filter that grows by adding layers, each twice the
// size of the one before, so it keeps about 1 % false positives at any
// number of keys, up to maxFilterBytes in all.
type keyFilter struct {
	seed   maphash.Seed
	layers []filterLayer
}

type filterLayer struct {
	bits  []uint64
	mask  uint64 // len(bits)*64 - 1
	n     int    // keys added
	limit int    // keys it takes before the next layer starts
}

const (
	filterFirstBits = 1 << 22 // 512 KiB: 400,000 keys at 10 bits each
	filterHashes    = 7
)

// maxFilterBytes bounds a filter's memory (about 50 million keys).
var maxFilterBytes = 64 << 20

func newKeyFilter() *keyFilter {
	f := &keyFilter{seed: maphash.MakeSeed()}
	f.grow(filterFirstBits)
	return f
}

func (f *keyFilter) grow(nbits int) {
	f.layers = append(f.layers, filterLayer{bits: make([]uint64, nbits/64), mask: uint64(nbits - 1), limit: nbits / 10})
}

// size is the filter's memory in bytes.
func (f *keyFilter) size() int {
	n := 0
	for _, l := range f.layers {
		n += len(l.bits) * 8
	}
	return n
}

func (f *keyFilter) hashes(key []byte) (uint64, uint64) {
	h := maphash.Bytes(f.seed, key)
	return h, bits.RotateLeft64(h, 32) | 1
}

// has reports whether key may have been added.
func (f *keyFilter) has(key []byte) bool {
	h1, h2 := f.hashes(key)
	for i := range f.layers {
		l := &f.layers[i]
		found := true
		for j := range uint64(filterHashes) {
			b := (h1 + j*h2) & l.mask
			if l.bits[b>>6]&(1<<(b&63)) == 0 {
				found = false
				break
			}
		}
		if found {
			return true
		}
	}
	return false
}

// add adds key. It reports false when the filter is full; it must then
// not be used again.
func (f *keyFilter) add(key []byte) bool {
	l := &f.layers[len(f.layers)-1]
	if l.n >= l.limit {
		next := 2 * (int(l.mask) + 1)
		if f.size()+next/8 > maxFilterBytes {
			return false
		}
		f.grow(next)
		l = &f.layers[len(f.layers)-1]
	}
	h1, h2 := f.hashes(key)
	for j := range uint64(filterHashes) {
		b := (h1 + j*h2) & l.mask
		l.bits[b>>6] |= 1 << (b & 63)
	}
	l.n++
	return true
}
