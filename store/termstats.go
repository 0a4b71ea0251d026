package store

import (
	"bytes"
	"container/heap"
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// TermStat is what the index holds on one term: how many events are
// posted under it and its first and last posting.
type TermStat struct {
	Term        string
	Count       int64
	First, Last time.Time
	// FirstItem and FirstRecord are the event of the first posting (the
	// first in time, item, record order).
	FirstItem, FirstRecord uint64
}

// TermStats calls fn, in term order, once for each distinct term starting
// with prefix, with its count and first and last posting over every
// batch. It reads only the postings' headers and ends; the batches' terms
// are merged as sorted streams, so memory grows with the number of
// batches, not with the number of distinct terms.
func (s *Store) TermStats(prefix string, fn func(TermStat) error) error {
	if prefix == "" || prefix[0] == 0 {
		return fmt.Errorf("term stats: prefix %q: not a term prefix", prefix)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		var h termHeap
		err := tx.Bucket(bEvBatches).ForEach(func(bk, bv []byte) error {
			b, err := parseBatch(bk, bv, s.strict)
			if err != nil {
				return err
			}
			own := &termStream{pc: s.posts, b: b, c: tx.Bucket(bEvPost).Cursor(), prefix: prefix}
			if err := own.startOwn(); err != nil {
				return err
			}
			chunks := &termStream{pc: s.posts, b: b, c: tx.Bucket(bEvPost).Cursor(), prefix: prefix, chunked: true}
			if err := chunks.startChunks(); err != nil {
				return err
			}
			for _, st := range []*termStream{own, chunks} {
				if st.ok {
					h = append(h, st)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		heap.Init(&h)
		var cur *TermStat
		var first, last codec.Posting
		for len(h) > 0 {
			st := h[0]
			if cur == nil || string(st.term) != cur.Term {
				if cur != nil {
					if err := fn(finishStat(cur, first, last)); err != nil {
						return err
					}
				}
				cur = &TermStat{Term: string(st.term)}
				first, last = codec.Posting{T: ^uint64(0)}, codec.Posting{}
			}
			l, ok := codec.ParseList(st.list, st.b.delta)
			if !ok {
				return fmt.Errorf("index list of batch %d for term %q: %w: malformed", st.b.id, st.term, ErrCorrupted)
			}
			if f, ok := l.First(); ok && codec.ComparePostings(f, first) < 0 {
				first = f
			}
			// A list's last posting is at most its batch's latest time:
			// lists of a term come newest batch first (termHeap), so
			// most need no decoding to their end.
			if st.b.max > last.T || cur.Count == 0 {
				if e, ok := l.Last(); ok && codec.ComparePostings(e, last) > 0 {
					last = e
				}
			}
			cur.Count += int64(l.Len())
			if err := st.next(); err != nil {
				return err
			}
			if st.ok {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
		}
		if cur != nil {
			return fn(finishStat(cur, first, last))
		}
		return nil
	})
}

func finishStat(t *TermStat, first, last codec.Posting) TermStat {
	if t.Count > 0 {
		t.First, t.Last = keyTime(u64(first.T)), keyTime(u64(last.T))
		t.FirstItem, t.FirstRecord = first.Item, first.Rec
	}
	return *t
}

// termStream yields, in term order, the lists of one batch under a
// prefix: those under keys of their own, or (chunked) those in chunks.
type termStream struct {
	pc      *postCache
	b       batchInfo
	c       *bolt.Cursor
	prefix  string
	chunked bool
	ok      bool   // term and list are set
	term    []byte // the current term (the store's memory: valid in the transaction)
	list    []byte // its postings
	// chunked: the entries of the current chunk after the current one
	pending []chunkEntry
}

type chunkEntry struct {
	term, list []byte
}

// startOwn positions an own-key stream at the prefix's first term.
func (st *termStream) startOwn() error {
	seek := append(u64(st.b.id), st.prefix...)
	k, v := st.c.Seek(seek)
	return st.own(k, v)
}

func (st *termStream) own(k, v []byte) error {
	seekLen := 8 + len(st.prefix)
	if k == nil || len(k) < seekLen || !bytes.Equal(k[:8], u64(st.b.id)) || string(k[8:seekLen]) != st.prefix {
		st.ok = false
		return nil
	}
	v, err := openPost(st.pc, st.b, k, v)
	if err != nil {
		return err
	}
	st.ok, st.term, st.list = true, k[8:], v
	return nil
}

// startChunks positions a chunk stream at the last chunk whose first term
// sorts at or before the prefix (it may hold terms with the prefix).
func (st *termStream) startChunks() error {
	cseek := append(append(u64(st.b.id), 0), st.prefix...)
	k, v := st.c.Seek(cseek)
	if k == nil || !bytes.Equal(k, cseek) {
		if pk, pv := st.c.Prev(); len(pk) > 8 && bytes.Equal(pk[:9], cseek[:9]) {
			k, v = pk, pv
		} else {
			k, v = st.c.Seek(cseek)
		}
	}
	return st.chunk(k, v)
}

// chunk loads the entries with the prefix from chunk k, and from the
// chunks after it while the current one holds none.
func (st *termStream) chunk(k, v []byte) error {
	for ; isChunkKey(k) && bytes.Equal(k[:8], u64(st.b.id)); k, v = st.c.Next() {
		if first := string(k[9:]); first > st.prefix && !strings.HasPrefix(first, st.prefix) {
			break
		}
		v, err := openPost(st.pc, st.b, k, v)
		if err != nil {
			return err
		}
		st.pending = st.pending[:0]
		ok := codec.ReadChunk(v, st.b.delta, func(t, list []byte) bool {
			if bytes.HasPrefix(t, []byte(st.prefix)) {
				st.pending = append(st.pending, chunkEntry{t, list})
			}
			return true
		})
		if !ok && st.b.sealed {
			return fmt.Errorf("%s: %w: malformed", postName(k), ErrCorrupted)
		}
		if len(st.pending) > 0 {
			st.take()
			return nil
		}
	}
	st.ok = false
	return nil
}

func (st *termStream) take() {
	e := st.pending[0]
	st.pending = st.pending[1:]
	st.ok, st.term, st.list = true, e.term, e.list
}

// next moves the stream to its next term.
func (st *termStream) next() error {
	if !st.chunked {
		k, v := st.c.Next()
		return st.own(k, v)
	}
	if len(st.pending) > 0 {
		st.take()
		return nil
	}
	k, v := st.c.Next()
	return st.chunk(k, v)
}

// termHeap orders streams by their current term, then newest batch
// first.
type termHeap []*termStream

func (h termHeap) Len() int { return len(h) }
func (h termHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].term, h[j].term); c != 0 {
		return c < 0
	}
	return h[i].b.max > h[j].b.max
}
func (h termHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *termHeap) Push(x any)   { *h = append(*h, x.(*termStream)) }
func (h *termHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TermPostings calls fn for every posting under a term starting with
// prefix, in (time, item, record) order across terms and batches, with
// the posting's term; it reads postings only, never events. Memory grows
// with the number of lists under the prefix (terms per batch).
func (s *Store) TermPostings(prefix string, fn func(term string, t time.Time, item, record uint64) error) error {
	if prefix == "" || prefix[0] == 0 {
		return fmt.Errorf("term postings: prefix %q: not a term prefix", prefix)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		var h postingHeap
		err := tx.Bucket(bEvBatches).ForEach(func(bk, bv []byte) error {
			b, err := parseBatch(bk, bv, s.strict)
			if err != nil {
				return err
			}
			for _, chunked := range []bool{false, true} {
				st := &termStream{pc: s.posts, b: b, c: tx.Bucket(bEvPost).Cursor(), prefix: prefix, chunked: chunked}
				if chunked {
					err = st.startChunks()
				} else {
					err = st.startOwn()
				}
				for ; err == nil && st.ok; err = st.next() {
					l, ok := codec.ParseList(st.list, b.delta)
					if !ok {
						return fmt.Errorf("index list of batch %d for term %q: %w: malformed", b.id, st.term, ErrCorrupted)
					}
					pc := &postingCursor{term: string(st.term), l: l}
					if pc.advance() {
						h = append(h, pc)
					}
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		heap.Init(&h)
		for len(h) > 0 {
			pc := h[0]
			if err := fn(pc.term, keyTime(u64(pc.p.T)), pc.p.Item, pc.p.Rec); err != nil {
				return err
			}
			switch {
			case pc.advance():
				heap.Fix(&h, 0)
			case pc.c.Pos() < pc.l.Len():
				return fmt.Errorf("index list for term %q: %w: malformed at posting %d", pc.term, ErrCorrupted, pc.c.Pos())
			default:
				heap.Pop(&h)
			}
		}
		return nil
	})
}

// postingCursor walks one list.
type postingCursor struct {
	term string
	l    codec.List
	c    codec.Cursor
	p    codec.Posting
}

func (pc *postingCursor) advance() bool {
	p, ok := pc.l.Next(&pc.c)
	pc.p = p
	return ok
}

// postingHeap orders cursors by their current posting.
type postingHeap []*postingCursor

func (h postingHeap) Len() int           { return len(h) }
func (h postingHeap) Less(i, j int) bool { return codec.ComparePostings(h[i].p, h[j].p) < 0 }
func (h postingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *postingHeap) Push(x any)        { *h = append(*h, x.(*postingCursor)) }
func (h *postingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
