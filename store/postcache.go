package store

import (
	"bytes"
	"container/list"
	"sync"
)

// postCacheBytes bounds what a Store's postCache holds: the decompressed
// values and the stored ones they came from.
const postCacheBytes = 8 << 20

// postCache keeps the decompressed posting values of compressed batches
// that queries read (see openPost), least recently used dropped first,
// within postCacheBytes. Queries come back to the same values: a merged
// read looks its lists up again in every round, the terms of a principal
// or an address range often share a chunk, and the summary reads the
// lists of its facts several times.
//
// An entry is the value as stored (its key's current value when it was
// read) and what it decompressed to. It is used only for the same stored
// bytes under the same key, so a value rewritten since (an item's
// postings dropped, the index rebuilt) is read anew, and the stored
// bytes were checked against their checksum when the entry was made.
// Values are shared: readers never change them. A nil *postCache keeps
// nothing (the check reads every value once, and must read it).
type postCache struct {
	mu      sync.Mutex
	max     int
	size    int
	entries map[string]*list.Element // of *postEntry
	lru     list.List                // most recently used first
}

type postEntry struct {
	key, stored, plain []byte
}

func (e *postEntry) cost() int { return len(e.key) + len(e.stored) + len(e.plain) + 64 }

func newPostCache(max int) *postCache {
	return &postCache{max: max, entries: map[string]*list.Element{}}
}

// get returns what the value v stored under k decompressed to, if kept.
func (pc *postCache) get(k, v []byte) ([]byte, bool) {
	if pc == nil {
		return nil, false
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	el, ok := pc.entries[string(k)]
	if !ok {
		return nil, false
	}
	e := el.Value.(*postEntry)
	if !bytes.Equal(e.stored, v) {
		return nil, false
	}
	pc.lru.MoveToFront(el)
	return e.plain, true
}

// put keeps what the checked value v stored under k decompressed to.
func (pc *postCache) put(k, v, plain []byte) {
	if pc == nil {
		return
	}
	e := &postEntry{key: bytes.Clone(k), stored: bytes.Clone(v), plain: plain}
	if e.cost() > pc.max/4 {
		return // a list this large would push out everything else
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.entries[string(k)]; ok {
		pc.remove(el)
	}
	pc.entries[string(e.key)] = pc.lru.PushFront(e)
	pc.size += e.cost()
	for pc.size > pc.max {
		pc.remove(pc.lru.Back())
	}
}

func (pc *postCache) remove(el *list.Element) {
	e := pc.lru.Remove(el).(*postEntry)
	delete(pc.entries, string(e.key))
	pc.size -= e.cost()
}
