package store

import (
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// Events are stored once, under their provenance key (item, record), and
// found through posting lists. Every Writer flush is one batch; for each
// index term seen in the batch, one value keyed (batch, term) holds the
// time-sorted postings of the batch's events under that term. Keys of a
// flush all sort after every earlier key, so a flush only appends at the
// right edge of the tree, whatever the terms; a query for one term does
// one lookup per batch, never a scan of the case.

// allTerm is the term every event is posted under, for time-ordered
// reading of the whole case.
const allTerm = "\x01all"

// postingSize is the encoded size of one posting.
const postingSize = 24

type posting struct {
	t    uint64 // timeKey
	item uint64
	rec  uint64
}

func (p posting) append(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, p.t)
	b = binary.BigEndian.AppendUint64(b, p.item)
	return binary.BigEndian.AppendUint64(b, p.rec)
}

func postingAt(v []byte, i int) posting {
	o := i * postingSize
	return posting{binary.BigEndian.Uint64(v[o:]), binary.BigEndian.Uint64(v[o+8:]), binary.BigEndian.Uint64(v[o+16:])}
}

func cmpPosting(a, b posting) int {
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	if c := cmp.Compare(a.item, b.item); c != 0 {
		return c
	}
	return cmp.Compare(a.rec, b.rec)
}

// Terms with fewer than chunkMaxPostings postings in a batch are stored
// together in chunks of about chunkBytes, keyed (batch, 0, first term):
// most terms (one session's access key, a rarely seen address) have a
// posting or two, and a key per term cost more than the postings.
// A chunk is a sequence of (uvarint len, term, uvarint n, n postings),
// in term order.
const (
	chunkMaxPostings = 64
	chunkBytes       = 32 << 10
)

func postChunkKey(batch uint64, first string) []byte {
	k := make([]byte, 9, 9+len(first))
	binary.BigEndian.PutUint64(k, batch)
	return append(k, first...)
}

// readChunk calls fn for each entry of a chunk, in order, until fn
// returns false. It reports false for a malformed chunk. An entry is
// (uvarint len, term, list): in a batch of fixed postings the list is
// uvarint n and n postings, in a delta-encoded batch uvarint len and the
// list (see plist).
func readChunk(v []byte, delta bool, fn func(term []byte, list []byte) bool) bool {
	for len(v) > 0 {
		n, l := binary.Uvarint(v)
		if l <= 0 || n > uint64(len(v)-l) {
			return false
		}
		term := v[l : l+int(n)]
		v = v[l+int(n):]
		m, l := binary.Uvarint(v)
		size := uint64(postingSize)
		if delta {
			size = 1
		}
		if l <= 0 || m > uint64(len(v)-l)/size {
			return false
		}
		ps := v[l : l+int(m*size)]
		v = v[l+int(m*size):]
		if !fn(term, ps) {
			return true
		}
	}
	return true
}

// appendChunkEntry appends one chunk entry, encoding its list in scratch
// (returned for reuse) first.
func appendChunkEntry(b, scratch []byte, term string, ps []posting, delta bool) ([]byte, []byte) {
	scratch = appendList(scratch[:0], ps, delta)
	return appendChunkRaw(b, term, scratch, delta), scratch
}

// appendChunkRaw appends a chunk entry whose list is already encoded.
func appendChunkRaw(b []byte, term string, list []byte, delta bool) []byte {
	b = binary.AppendUvarint(b, uint64(len(term)))
	b = append(b, term...)
	if delta {
		b = binary.AppendUvarint(b, uint64(len(list)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(list)/postingSize))
	}
	return append(b, list...)
}

// termPostings returns the postings of term in a batch: its own key's
// value, or its entry in the chunk that would hold it.
func termPostings(pb *bolt.Bucket, batch uint64, term string, delta bool) []byte {
	if v := pb.Get(postKey(batch, term)); v != nil {
		return v
	}
	want := postChunkKey(batch, term)
	c := pb.Cursor()
	k, v := c.Seek(want)
	if k == nil || !bytes.Equal(k, want) {
		k, v = c.Prev()
	}
	if len(k) < 9 || !bytes.Equal(k[:8], want[:8]) || k[8] != 0 {
		return nil
	}
	var found []byte
	readChunk(v, delta, func(t, ps []byte) bool {
		switch c := strings.Compare(string(t), term); {
		case c == 0:
			found = ps
			return false
		case c > 0:
			return false
		}
		return true
	})
	return found
}

// dropFromChunks removes an item's postings from a batch's chunks.
func dropFromChunks(pb *bolt.Bucket, batch, item uint64, delta bool) error {
	prefix := postChunkKey(batch, "")
	type rewrite struct{ k, v []byte }
	var rw []rewrite
	c := pb.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		out := make([]byte, 0, len(v))
		var scratch []byte
		changed := false
		readChunk(v, delta, func(t, raw []byte) bool {
			l, ok := parsePlist(raw, delta)
			if !ok {
				out = appendChunkRaw(out, string(t), raw, delta) // kept as found
				return true
			}
			ps, _ := l.all()
			keep := slices.DeleteFunc(ps, func(p posting) bool { return p.item == item })
			if len(keep) != l.Len() {
				changed = true
			}
			if len(keep) > 0 {
				out, scratch = appendChunkEntry(out, scratch, string(t), keep, delta)
			}
			return true
		})
		if changed {
			rw = append(rw, rewrite{bytes.Clone(k), out})
		}
	}
	for _, r := range rw {
		var err error
		if len(r.v) == 0 {
			err = pb.Delete(r.k)
		} else {
			err = pb.Put(r.k, r.v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func postKey(batch uint64, term string) []byte {
	k := make([]byte, 8, 8+len(term))
	binary.BigEndian.PutUint64(k, batch)
	return append(k, term...)
}

var (
	kNextBatch   = []byte("next_batch")
	kEventsTotal = []byte("events_total")
)

// EventRecord is one normalised event as the store sees it: opaque data,
// a time, and the index terms under which it can be found.
type EventRecord struct {
	Item   uint64
	Record uint64 // line or record number within the item, 1-based
	Time   time.Time
	Terms  []string // e.g. "ip:10.0.0.1", "p:arn:aws:iam::1:user/x"
	Data   []byte
	// DedupKey, when set, makes the event appear once across the case:
	// a second event with the same key, time and ContentHash is not
	// stored; one with the same key and time but another ContentHash is
	// stored and counted as a conflict.
	DedupKey    string
	ContentHash evidence.SHA256
}

// EventStats counts what happened to one item's events.
type EventStats struct {
	Stored     int64
	Duplicates int64
	Conflicts  int64
}

// Stats returns the event counts for an item gathered by this writer's
// committed flushes. Call after Flush.
func (w *Writer) Stats(item uint64) EventStats {
	if st := w.stats[item]; st != nil {
		return *st
	}
	return EventStats{}
}

// PutEvent buffers an event. Events of one item must come in increasing
// record order to share blocks; PutEvent builds the blocks a BlockBuilder
// would, on the writer's goroutine.
func (w *Writer) PutEvent(ev EventRecord) error {
	if w.pend != nil && w.pend.item != ev.Item {
		if err := w.finishPending(); err != nil {
			return err
		}
	}
	if w.pend == nil {
		w.pend = NewBlockBuilder(ev.Item)
	}
	if b := w.pend.Add(&ev); b != nil {
		return w.PutBlock(b)
	}
	return nil
}

// finishPending buffers the block PutEvent is building.
func (w *Writer) finishPending() error {
	if w.pend == nil {
		return nil
	}
	b := w.pend.Finish()
	w.pend = nil
	if b == nil {
		return nil
	}
	return w.PutBlock(b)
}

// DeleteItemEvents buffers the removal of every event of an item and its
// postings, to re-index an item whose indexing was interrupted.
func (w *Writer) DeleteItemEvents(item uint64) error {
	if err := w.finishPending(); err != nil {
		return err
	}
	delete(w.stats, item)
	return w.add(op{kind: 'x', key: u64(item)})
}

func eventKey(item, rec uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, item)
	binary.BigEndian.PutUint64(k[8:], rec)
	return k
}

// Event value (inside a block): time(8) | uvarint n | n × (uvarint len,
// term) | uvarint len, dedup key | data. See appendEventValue.

func readUvarintString(v []byte) (string, []byte, bool) {
	m, l := binary.Uvarint(v)
	if l <= 0 || m > uint64(len(v)-l) {
		return "", nil, false
	}
	return string(v[l : l+int(m)]), v[l+int(m):], true
}

type eventHeader struct {
	time     time.Time
	terms    []string
	dedupKey string
	rest     []byte
}

func decodeHeader(item, rec uint64, v []byte) (eventHeader, error) {
	var h eventHeader
	bad := fmt.Errorf("event %d/%d: %w: bad record", item, rec, ErrCorrupted)
	if len(v) < 9 {
		return h, bad
	}
	h.time = keyTime(v[:8])
	v = v[8:]
	n, l := binary.Uvarint(v)
	if l <= 0 || n > uint64(len(v)) {
		return h, bad
	}
	v = v[l:]
	h.terms = make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		var t string
		var ok bool
		if t, v, ok = readUvarintString(v); !ok {
			return h, bad
		}
		h.terms = append(h.terms, t)
	}
	var ok bool
	if h.dedupKey, v, ok = readUvarintString(v); !ok {
		return h, bad
	}
	h.rest = v
	return h, nil
}

func dedupBucketKey(t time.Time, key string) []byte {
	return append(timeKey(t), key...)
}

// eventValueLen is the length appendEventValue adds.
func eventValueLen(ev *EventRecord) int {
	n := 8 + uvarintLen(uint64(len(ev.Terms))) + uvarintLen(uint64(len(ev.DedupKey))) + len(ev.DedupKey) + len(ev.Data)
	for _, t := range ev.Terms {
		n += uvarintLen(uint64(len(t))) + len(t)
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// appendEventValue appends the stored form of an event to b.
func appendEventValue(b []byte, ev *EventRecord) []byte {
	b = append(b, timeKey(ev.Time)...)
	b = binary.AppendUvarint(b, uint64(len(ev.Terms)))
	for _, t := range ev.Terms {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	b = binary.AppendUvarint(b, uint64(len(ev.DedupKey)))
	b = append(b, ev.DedupKey...)
	return append(b, ev.Data...)
}

// writePostings writes the postings gathered in this flush as one batch.
func (w *Writer) writePostings(tx *bolt.Tx) error {
	if len(w.postLists) == 0 {
		return nil
	}
	all := w.postLists[w.postIdx[allTerm]]
	m := tx.Bucket(bMeta)
	batch := uint64(1)
	if v := m.Get(kNextBatch); len(v) == 8 {
		batch = binary.BigEndian.Uint64(v)
	}
	type termList struct {
		term string
		i    int
	}
	terms := make([]termList, 0, len(w.postIdx))
	for t, i := range w.postIdx {
		terms = append(terms, termList{t, i})
	}
	slices.SortFunc(terms, func(a, b termList) int { return strings.Compare(a.term, b.term) })
	pb := tx.Bucket(bEvPost)
	pb.FillPercent = 1.0
	// Terms with few postings share chunk values; the others (and the
	// time order of the whole batch) get a key of their own. Chunk keys
	// sort before the batch's term keys, so both are put in key order.
	var chunk []byte
	chunkFirst := ""
	putChunk := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := pb.Put(postChunkKey(batch, chunkFirst), chunk)
		chunk = nil
		return err
	}
	var own []termList
	var scratch []byte
	for _, tl := range terms {
		t, ps := tl.term, w.postLists[tl.i]
		if !slices.IsSortedFunc(ps, cmpPosting) {
			slices.SortFunc(ps, cmpPosting)
		}
		if t == allTerm || len(ps) >= chunkMaxPostings {
			own = append(own, tl)
			continue
		}
		if len(chunk) == 0 {
			chunkFirst = t
			chunk = make([]byte, 0, chunkBytes+4096)
		}
		chunk, scratch = appendChunkEntry(chunk, scratch, t, ps, writeDelta)
		if len(chunk) >= chunkBytes {
			if err := putChunk(); err != nil {
				return err
			}
		}
	}
	if err := putChunk(); err != nil {
		return err
	}
	for _, tl := range own {
		ps := w.postLists[tl.i]
		if err := pb.Put(postKey(batch, tl.term), appendList(make([]byte, 0, 16+len(ps)*6), ps, writeDelta)); err != nil {
			return err
		}
	}
	info := make([]byte, 0, 25)
	info = binary.BigEndian.AppendUint64(info, all[0].t)
	info = binary.BigEndian.AppendUint64(info, all[len(all)-1].t)
	info = binary.BigEndian.AppendUint64(info, uint64(len(all)))
	if writeDelta {
		info = append(info, batchDelta)
	}
	if err := tx.Bucket(bEvBatches).Put(u64(batch), info); err != nil {
		return err
	}
	if err := m.Put(kNextBatch, u64(batch+1)); err != nil {
		return err
	}
	w.postIdx, w.postLists = nil, nil
	return addTotal(m, int64(len(all)))
}

func addTotal(m *bolt.Bucket, d int64) error {
	var n int64
	if v := m.Get(kEventsTotal); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	return m.Put(kEventsTotal, u64(uint64(max(0, n+d))))
}

func deleteItemEvents(tx *bolt.Tx, item uint64) error {
	prefix := u64(item)
	c := tx.Bucket(bEvents).Cursor()
	db := tx.Bucket(bEvDedup)
	terms := map[string]bool{allTerm: true}
	var n int64
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
		entries, err := decodeBlock(k, v)
		if err == nil {
			for _, e := range entries {
				h, err := decodeHeader(item, e.rec, e.val)
				if err != nil {
					continue
				}
				for _, t := range h.terms {
					terms[t] = true
				}
				if h.dedupKey != "" {
					dk := dedupBucketKey(h.time, h.dedupKey)
					if dv := db.Get(dk); len(dv) == 48 && bytes.Equal(dv[:8], k[:8]) && binary.BigEndian.Uint64(dv[8:16]) == e.rec {
						if err := db.Delete(dk); err != nil {
							return err
						}
					}
				}
				n++
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	if n == 0 {
		return nil
	}
	// Drop the item's postings from every batch.
	pb := tx.Bucket(bEvPost)
	for _, b := range batchesIn(tx, time.Time{}, time.Time{}) {
		for t := range terms {
			k := postKey(b.id, t)
			l, ok := parsePlist(pb.Get(k), b.delta)
			if !ok || l.Len() == 0 {
				continue
			}
			ps, _ := l.all()
			kept := slices.DeleteFunc(ps, func(p posting) bool { return p.item == item })
			if len(kept) == l.Len() {
				continue
			}
			var err error
			if len(kept) == 0 {
				err = pb.Delete(k)
			} else {
				err = pb.Put(k, appendList(nil, kept, b.delta))
			}
			if err != nil {
				return err
			}
		}
		if err := dropFromChunks(pb, b.id, item, b.delta); err != nil {
			return err
		}
	}
	return addTotal(tx.Bucket(bMeta), -n)
}

// ---- reading ----

type batchInfo struct {
	id       uint64
	min, max uint64
	delta    bool // posting lists delta-encoded (else fixed)
}

// batchDelta, after a batch's time range and count, marks its posting
// lists delta-encoded; batches written by schema 2 lack it.
const batchDelta = 1

// writeDelta is false only in tests, to write batches as schema 2 did.
var writeDelta = true

func batchesIn(tx *bolt.Tx, from, to time.Time) []batchInfo {
	var lo, hi uint64 = 0, ^uint64(0)
	if !from.IsZero() {
		lo = binary.BigEndian.Uint64(timeKey(from))
	}
	if !to.IsZero() {
		hi = binary.BigEndian.Uint64(timeKey(to))
	}
	var out []batchInfo
	_ = tx.Bucket(bEvBatches).ForEach(func(k, v []byte) error {
		if len(k) != 8 || len(v) < 16 {
			return nil
		}
		b := batchInfo{binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), len(v) > 24 && v[24] == batchDelta}
		if b.max >= lo && b.min < hi {
			out = append(out, b)
		}
		return nil
	})
	return out
}

// searchPostings returns the first index whose time is >= t.
func searchPostings(v []byte, n int, t uint64) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.BigEndian.Uint64(v[m*postingSize:]) < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func timeBounds(from, to time.Time) (uint64, uint64) {
	var lo, hi uint64 = 0, ^uint64(0)
	if !from.IsZero() {
		lo = binary.BigEndian.Uint64(timeKey(from))
	}
	if !to.IsZero() {
		hi = binary.BigEndian.Uint64(timeKey(to))
	}
	return lo, hi
}

// fetch reads the events for ps (in order) in one read transaction.
func (s *Store) fetch(ps []posting) ([]StoredEvent, error) {
	// Postings come in time order, which jumps between items; events are
	// stored in item order. Read them in storage order, so each block is
	// decoded once, and hand them back in the postings' order.
	order := make([]int32, len(ps))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(ps[a].item, ps[b].item); c != 0 {
			return c
		}
		return cmp.Compare(ps[a].rec, ps[b].rec)
	})
	got := make([]StoredEvent, len(ps))
	found := make([]bool, len(ps))
	// Decoding blocks is most of a query's work: with many events, parts of
	// the storage order are read on all cores, each in its own read
	// transaction.
	parts := 1
	if len(order) >= 128 {
		parts = min(runtime.GOMAXPROCS(0), 4)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for w := range parts {
		part := order[w*len(order)/parts : (w+1)*len(order)/parts]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bEvents).Cursor()
				var bc blockCache
				for n, i := range part {
					if n%512 == 511 {
						s.releaseMappedTx(tx) // random reads fault in 64 KiB around each block
					}
					p := ps[i]
					e, ok, err := bc.lookup(c, p.item, p.rec)
					if err != nil {
						return err
					}
					if ok { // else removed since the postings were read
						// Copy: the data points into a decoded block, which must
						// not stay alive for one event.
						e.Data = bytes.Clone(e.Data)
						got[i], found[i] = e, true
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	err := errors.Join(errs...)
	out := got[:0]
	for i := range got {
		if found[i] {
			out = append(out, got[i])
		}
	}
	clear(got[len(out):])
	return out, err
}

// EventsByTerm calls fn, in time order, for each event indexed under term
// whose time is in [from, to). Zero times mean unbounded. It does one
// lookup per stored batch and reads only the postings of term, a round at
// a time: memory does not grow with the number of matches. fn may not
// write to the store.
func (s *Store) EventsByTerm(term string, from, to time.Time, fn func(StoredEvent) error) error {
	return s.EventsByTerms([]TermRange{{Term: term, From: from, To: to}}, func(e StoredEvent, _ []int) error { return fn(e) })
}

// EventsByTime calls fn for each event with time in [from, to), oldest
// first, merging the batches' postings. Memory stays bounded: postings are
// read back a few thousand at a time, in short read transactions. fn may
// not write to the store.
func (s *Store) EventsByTime(from, to time.Time, fn func(StoredEvent) error) error {
	return s.merged([]TermRange{{Term: allTerm, From: from, To: to}}, func(e StoredEvent, _ []int) error { return fn(e) })
}

// TermRange selects the events indexed under Term with time in [From,
// To); zero times mean unbounded.
type TermRange struct {
	Term     string
	From, To time.Time
}

// EventsByTerms calls fn, in time order, once for each event selected by
// any of the ranges, with the indexes in rs of the ranges that select it
// (ascending; fn must not keep the slice). The ranges' postings are merged
// together, so each stored block is read once per round however many
// ranges reach into it. Memory stays bounded as for EventsByTerm. fn may
// not write to the store.
func (s *Store) EventsByTerms(rs []TermRange, fn func(StoredEvent, []int) error) error {
	ok := make([]TermRange, 0, len(rs))
	idx := make([]int, 0, len(rs))
	for i, r := range rs {
		if r.Term != "" && strings.IndexByte(r.Term, 0) < 0 {
			ok = append(ok, r)
			idx = append(idx, i)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	if len(ok) == len(rs) {
		return s.merged(rs, fn)
	}
	var in []int
	return s.merged(ok, func(e StoredEvent, which []int) error {
		in = in[:0]
		for _, w := range which {
			in = append(in, idx[w])
		}
		return fn(e, in)
	})
}

// mergeRound is how many postings merged reads per read transaction.
var mergeRound = 16384

// mergeCursor walks one range's postings in one batch.
type mergeCursor struct {
	rng       int    // index of the range
	batch     uint64 // batch id
	delta     bool   // the batch's encoding
	cur       pcur   // the position after next
	end       int    // end of the window (an index)
	next      posting
	list      plist // valid in round listRound
	listRound int
}

// mergeHeap orders cursors by their next posting, then range.
type mergeHeap []*mergeCursor

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if c := cmpPosting(h[i].next, h[j].next); c != 0 {
		return c < 0
	}
	return h[i].rng < h[j].rng
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeCursor)) }
func (h *mergeHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

// merged calls fn, in time order, for the events of the ranges: the
// batches' posting lists are merged a round at a time in short read
// transactions, so memory does not grow with the number of matches. A
// batch is opened only when the merge reaches its first time (nothing in
// it can come before), so the cursors held are those of the ranges in
// the batches that overlap the time being merged, not of every batch. A
// cursor's posting list is looked up again in a round only when the
// round reaches it.
func (s *Store) merged(rs []TermRange, fn func(StoredEvent, []int) error) error {
	type bounds struct{ lo, hi uint64 }
	bs := make([]bounds, len(rs))
	for i, r := range rs {
		bs[i].lo, bs[i].hi = timeBounds(r.From, r.To)
	}
	var pending []batchInfo // batches not opened yet, by first time
	if err := s.db.View(func(tx *bolt.Tx) error {
		pending = batchesIn(tx, time.Time{}, time.Time{})
		return nil
	}); err != nil {
		return err
	}
	slices.SortFunc(pending, func(a, b batchInfo) int {
		if c := cmp.Compare(a.min, b.min); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	h := mergeHeap{}
	open := func(pb *bolt.Bucket, b batchInfo, round int) {
		for ri, r := range rs {
			lo, hi := bs[ri].lo, bs[ri].hi
			if b.max < lo || b.min >= hi {
				continue
			}
			l, ok := parsePlist(termPostings(pb, b.id, r.Term, b.delta), b.delta)
			if !ok || l.Len() == 0 {
				continue
			}
			c := &mergeCursor{rng: ri, batch: b.id, delta: b.delta, cur: l.seek(lo), end: l.index(hi), list: l, listRound: round}
			if c.cur.i < c.end {
				if c.next, ok = l.next(&c.cur); ok {
					heap.Push(&h, c)
				}
			}
		}
		if mergeOpened != nil {
			mergeOpened(h.Len())
		}
	}
	var fs fetchSizer
	ps := make([]posting, 0, min(mergeRound, 1024))
	// ins[ends[k-1]:ends[k]] are the ranges of ps[k].
	var ins []int
	var ends []int
	for round := 0; h.Len() > 0 || len(pending) > 0; round++ {
		ps, ins, ends = ps[:0], ins[:0], ends[:0]
		err := s.db.View(func(tx *bolt.Tx) error {
			pb := tx.Bucket(bEvPost)
			for {
				for len(pending) > 0 && (h.Len() == 0 || pending[0].min <= h[0].next.t) {
					open(pb, pending[0], round)
					pending = pending[1:]
				}
				if h.Len() == 0 {
					return nil
				}
				c := h[0]
				n := len(ps)
				if n >= mergeRound && ps[n-1] != c.next {
					return nil // (an event's ranges all go in one round)
				}
				if n > 0 && ps[n-1] == c.next {
					if ins[len(ins)-1] != c.rng {
						ins = append(ins, c.rng)
						ends[n-1] = len(ins)
					}
				} else {
					ps = append(ps, c.next)
					ins = append(ins, c.rng)
					ends = append(ends, len(ins))
				}
				more := c.cur.i < c.end
				if more && c.listRound != round {
					l, ok := parsePlist(termPostings(pb, c.batch, rs[c.rng].Term, c.delta), c.delta)
					c.list, c.listRound = l, round
					c.end = min(c.end, l.Len())
					more = ok && c.cur.i < c.end
				}
				if more {
					c.next, more = c.list.next(&c.cur)
				}
				if more {
					heap.Fix(&h, 0)
				} else {
					heap.Pop(&h)
				}
			}
		})
		for _, c := range h {
			c.list = plist{} // not valid past the transaction
		}
		if err != nil {
			return err
		}
		if err := s.emit(&fs, ps, ins, ends, fn); err != nil {
			return err
		}
	}
	return nil
}

// mergeOpened, when set (by tests), is told how many cursors a merge
// holds after opening a batch.
var mergeOpened func(cursors int)

// A round's postings are fetched together, in storage order, so the
// more are fetched at once, the more of each decoded block is used before
// it is dropped: a principal's events are spread thinly over the blocks
// of many files. The events fetched are held until handed on, so how many
// go together is set by their size: the first fetch of a query takes
// fetchMin, later ones as many as fit fetchBytes at the sizes seen so far
// (growing at most fourfold a time), never more than fetchMax.
const (
	fetchMin   = 256
	fetchMax   = 16384
	fetchBytes = 24 << 20
)

// fetchSizer picks the size of a query's next fetch.
type fetchSizer struct {
	n            int // next fetch size
	events, size int64
}

func (f *fetchSizer) next() int {
	if f.n == 0 {
		f.n = fetchMin
	}
	return f.n
}

// saw records a fetch's events and sizes the next.
func (f *fetchSizer) saw(evs []StoredEvent) {
	for _, e := range evs {
		f.size += int64(len(e.Data)) + storedEventOverhead
	}
	f.events += int64(len(evs))
	if f.events == 0 {
		return
	}
	avg := max(1, f.size/f.events)
	f.n = int(min(int64(f.next())*4, max(fetchMin, min(fetchMax, fetchBytes/avg))))
}

// storedEventOverhead is what a fetched event costs besides its data.
const storedEventOverhead = 160

func (s *Store) emit(fs *fetchSizer, ps []posting, ins, ends []int, fn func(StoredEvent, []int) error) error {
	for off := 0; off < len(ps); {
		n := min(len(ps)-off, fs.next())
		evs, err := s.fetch(ps[off : off+n])
		if err != nil {
			return err
		}
		s.releaseMapped() // the pages just read are not needed again
		fs.saw(evs)
		// fetch drops events removed since the postings were read; match
		// the rest back to their postings, which are in the same order.
		k := off
		for i, e := range evs {
			for k < off+n && (ps[k].item != e.Item || ps[k].rec != e.Record) {
				k++
			}
			if k == off+n {
				return fmt.Errorf("case %q: event %d/%d was fetched for no posting", s.path, e.Item, e.Record)
			}
			start := 0
			if k > 0 {
				start = ends[k-1]
			}
			if err := fn(e, ins[start:ends[k]]); err != nil {
				return err
			}
			evs[i] = StoredEvent{} // let it go
			k++
		}
		off += n
	}
	return nil
}

// TermValues calls fn, in term order, for each distinct term starting
// with prefix (e.g. "ip:"), with the number of events under it. It reads
// the prefix's range in every batch.
func (s *Store) TermValues(prefix string, fn func(term string, count int) error) error {
	counts := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvPost).Cursor()
		return tx.Bucket(bEvBatches).ForEach(func(bk, bv []byte) error {
			delta := len(bv) > 24 && bv[24] == batchDelta
			seek := append(bytes.Clone(bk), prefix...)
			for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, v = c.Next() {
				if len(k) > 8 && k[8] == 0 {
					continue // a chunk: below
				}
				t := string(k[8:])
				if l, ok := parsePlist(v, delta); ok && t != allTerm {
					counts[t] += l.Len()
				}
			}
			// Chunks: start at the last one whose first term sorts at or
			// before the prefix; stop at one that starts past the terms
			// with the prefix.
			cseek := append(append(bytes.Clone(bk), 0), prefix...)
			k, v := c.Seek(cseek)
			if k == nil || !bytes.Equal(k, cseek) {
				if pk, pv := c.Prev(); len(pk) > 8 && bytes.Equal(pk[:9], cseek[:9]) {
					k, v = pk, pv
				} else {
					k, v = c.Seek(cseek)
				}
			}
			for ; len(k) > 8 && bytes.Equal(k[:9], cseek[:9]); k, v = c.Next() {
				if first := string(k[9:]); first > prefix && !strings.HasPrefix(first, prefix) {
					break
				}
				readChunk(v, delta, func(t, list []byte) bool {
					if l, ok := parsePlist(list, delta); ok && bytes.HasPrefix(t, []byte(prefix)) {
						counts[string(t)] += l.Len()
					}
					return true
				})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	terms := make([]string, 0, len(counts))
	for t := range counts {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	for _, t := range terms {
		if err := fn(t, counts[t]); err != nil {
			return err
		}
	}
	return nil
}

// EventCount returns the number of stored events.
func (s *Store) EventCount() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kEventsTotal); len(v) == 8 {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}
