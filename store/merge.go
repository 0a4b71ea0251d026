package store

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// EventsByTerm calls fn, in time order, for each event indexed under term
// whose time is in [from, to). Zero times mean unbounded. It does one
// lookup per stored batch and reads only the postings of term, a round at
// a time: memory does not grow with the number of matches. fn may not
// write to the store.
func (s *Store) EventsByTerm(term string, from, to time.Time, fn func(StoredEvent) error) error {
	return s.EventsByTerms([]TermRange{{Term: term, From: from, To: to}}, func(e StoredEvent, _ []int) error { return fn(e) })
}

// EventsByTime calls fn for each event with time in [from, to), oldest
// first (time, item, record), merging the batches' postings and taking
// the events from blocks each decoded once (see timeread.go), on a
// goroutine that reads ahead of fn. Memory stays bounded: postings are
// read back a few thousand at a time, in short read transactions, and the
// blocks and events held are capped (see inTimeOrder). fn may not write
// to the store.
func (s *Store) EventsByTime(from, to time.Time, fn func(StoredEvent) error) error {
	return s.inTimeOrder(from, to, fn)
}

// TermRange selects the events indexed under Term with time in [From,
// To); zero times mean unbounded. With Prefix set, Term is a prefix: the
// range selects the events of every term starting with it that Match
// accepts (nil: every one), read from each batch's key range of the
// prefix at once rather than looked up term by term.
type TermRange struct {
	Term     string
	From, To time.Time
	Prefix   bool
	Match    func(term []byte) bool
}

// EventsByTerms calls fn, in time order, once for each event selected by
// any of the ranges, with the indexes in rs of the ranges that select it
// (ascending; fn must not keep the slice). An event's Data is a copy the
// store never changes: fn may keep it, and must not change it (a kept
// event's is handed to later reads too: Remember). The ranges' postings are merged
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
	rng       int          // index of the range
	term      string       // the term (of a prefix range, the one found)
	batch     batchInfo    // the batch
	cur       codec.Cursor // the position after next
	end       int          // end of the window (an index)
	next      codec.Posting
	list      codec.List // valid in round listRound
	listRound int
}

// mergeHeap orders cursors by their next posting, then range.
type mergeHeap []*mergeCursor

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if c := codec.ComparePostings(h[i].next, h[j].next); c != 0 {
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

// merge is the state of one merged read (see merged).
type merge struct {
	rs      []TermRange
	bs      [][2]uint64 // the time keys [lo, hi) of each range
	pending []batchInfo // batches not opened yet, by first time
	h       mergeHeap
	round   int
	// A round's postings; ins[ends[k-1]:ends[k]] are the ranges of ps[k].
	ps        []codec.Posting
	ins, ends []int
	err       error // a posting list that could not be read
	pc        *postCache
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
	m, err := s.newMerge(rs)
	if err != nil {
		return err
	}
	var fs fetchSizer
	defer fs.done()
	for m.more() {
		if err := s.nextRound(m); err != nil {
			return err
		}
		if err := s.emit(&fs, m.ps, m.ins, m.ends, fn); err != nil {
			return err
		}
	}
	return nil
}

// newMerge starts a merged read of rs (see merged).
func (s *Store) newMerge(rs []TermRange) (*merge, error) {
	m := &merge{rs: rs, bs: make([][2]uint64, len(rs)), ps: make([]codec.Posting, 0, min(mergeRound, 1024)), pc: s.posts}
	for i, r := range rs {
		m.bs[i][0], m.bs[i][1] = timeBounds(r.From, r.To)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m.pending, err = batchesIn(tx, time.Time{}, time.Time{}, s.strict)
		return err
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(m.pending, func(a, b batchInfo) int {
		if c := cmp.Compare(a.min, b.min); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return m, nil
}

// more reports whether postings are left to merge.
func (m *merge) more() bool { return m.h.Len() > 0 || len(m.pending) > 0 }

// nextRound merges the next round's postings into m.ps, m.ins and m.ends
// in a read transaction of its own.
func (s *Store) nextRound(m *merge) error {
	err := s.db.View(func(tx *bolt.Tx) error {
		m.fill(tx.Bucket(bEvPost))
		return m.err
	})
	for _, c := range m.h {
		c.list = codec.List{} // not valid past the transaction
	}
	m.round++
	return err
}

// open adds the cursors of the ranges that reach into batch b.
func (m *merge) open(pb *bolt.Bucket, b batchInfo) {
	for ri, r := range m.rs {
		lo, hi := m.bs[ri][0], m.bs[ri][1]
		if b.max < lo || b.min >= hi {
			continue
		}
		if r.Prefix {
			m.openPrefix(pb, b, ri)
			continue
		}
		l, ok := m.list(pb, b, r.Term)
		if ok {
			m.push(ri, r.Term, b, l)
		}
	}
	if mergeOpened != nil {
		mergeOpened(m.h.Len())
	}
}

// push adds a cursor over the postings of list l (term's in batch b)
// within range ri's times, if there are any.
func (m *merge) push(ri int, term string, b batchInfo, l codec.List) {
	if l.Len() == 0 {
		return
	}
	lo, hi := m.bs[ri][0], m.bs[ri][1]
	c := &mergeCursor{rng: ri, term: term, batch: b, cur: l.Seek(lo), end: l.SeekIndex(hi), list: l, listRound: m.round}
	if c.cur.Pos() < c.end {
		var ok bool
		if c.next, ok = l.Next(&c.cur); ok {
			heap.Push(&m.h, c)
		}
	}
}

// openPrefix adds the cursors of prefix range ri in batch b: one for each
// term of the batch in the prefix's key range that the range matches.
func (m *merge) openPrefix(pb *bolt.Bucket, b batchInfo, ri int) {
	r := m.rs[ri]
	err := scanPrefix(m.pc, pb.Cursor(), b, r.Term, func(t, v []byte) error {
		if r.Match != nil && !r.Match(t) {
			return nil
		}
		l, ok := codec.ParseList(v, b.delta)
		if !ok {
			if b.sealed {
				return fmt.Errorf("index list of batch %d for term %q: %w: malformed", b.id, t, ErrCorrupted)
			}
			return nil
		}
		m.push(ri, string(t), b, l)
		return nil
	})
	if err != nil {
		m.err = err
	}
}

// list returns term's posting list in batch b; a list that cannot be
// read sets m.err (in a sealed batch, where it is damage) and reports
// false.
func (m *merge) list(pb *bolt.Bucket, b batchInfo, term string) (codec.List, bool) {
	v, err := termPostings(m.pc, pb, b, term)
	if err != nil {
		m.err = err
		return codec.List{}, false
	}
	l, ok := codec.ParseList(v, b.delta)
	if !ok && b.sealed && v != nil {
		m.err = fmt.Errorf("index list of batch %d for term %q: %w: malformed", b.id, term, ErrCorrupted)
	}
	return l, ok
}

// fill merges one round's postings, about mergeRound of them, from the
// posting bucket pb of the round's read transaction.
func (m *merge) fill(pb *bolt.Bucket) {
	ps, ins, ends := m.ps[:0], m.ins[:0], m.ends[:0]
	defer func() { m.ps, m.ins, m.ends = ps, ins, ends }()
	for {
		for len(m.pending) > 0 && (m.h.Len() == 0 || m.pending[0].min <= m.h[0].next.T) {
			m.open(pb, m.pending[0])
			m.pending = m.pending[1:]
		}
		if m.h.Len() == 0 {
			return
		}
		c := m.h[0]
		n := len(ps)
		if n >= mergeRound && ps[n-1] != c.next {
			return // (an event's ranges all go in one round)
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
		more := c.cur.Pos() < c.end
		if more && c.listRound != m.round {
			l, ok := m.list(pb, c.batch, c.term)
			c.list, c.listRound = l, m.round
			c.end = min(c.end, l.Len())
			more = ok && c.cur.Pos() < c.end
		}
		if more {
			c.next, more = c.list.Next(&c.cur)
		}
		if more {
			heap.Fix(&m.h, 0)
		} else {
			heap.Pop(&m.h)
		}
	}
}

// mergeOpened, when set (by tests), is told how many cursors a merge
// holds after opening a batch.
var mergeOpened func(cursors int)
