package store

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// fetchCaches are the block caches of one read of ranges (a merged
// call), one for each goroutine of a fetch: a block whose events fall in
// two fetches of the read is decoded once. Their buffers are pooled for
// the next read; what they hold is not kept past the read, so a read
// never sees a block decoded by another (of another case, or before a
// write).
type fetchCaches struct{ bcs []blockCache }

var fetchCachePool = sync.Pool{New: func() any { return new(fetchCaches) }}

// takeFetchCaches returns parts empty block caches for a read of s.
func (s *Store) takeFetchCaches(parts int) *fetchCaches {
	fc := fetchCachePool.Get().(*fetchCaches)
	for len(fc.bcs) < parts {
		fc.bcs = append(fc.bcs, blockCache{})
	}
	for i := range fc.bcs {
		bc := &fc.bcs[i]
		bc.strict = s.strict
		for j := range bc.keys {
			bc.keys[j] = bc.keys[j][:0] // no block: the buffers stay
			bc.entries[j] = nil
		}
		bc.next = 0
	}
	return fc
}

// fetchParts is how many goroutines fetch n events.
func fetchParts(n int) int {
	if n >= 128 {
		return min(runtime.GOMAXPROCS(0), 4)
	}
	return 1
}

// fetch reads the events for ps (in order) in one read transaction,
// through the caches of fc.
func (s *Store) fetch(fc *fetchCaches, ps []codec.Posting) ([]StoredEvent, error) {
	// Postings come in time order, which jumps between items; events are
	// stored in item order. Read them in storage order, so each block is
	// decoded once, and hand them back in the postings' order.
	order := make([]int32, len(ps))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(ps[a].Item, ps[b].Item); c != 0 {
			return c
		}
		return cmp.Compare(ps[a].Rec, ps[b].Rec)
	})
	got := make([]StoredEvent, len(ps))
	found := make([]bool, len(ps))
	// Decoding blocks is most of a query's work: with many events, parts of
	// the storage order are read on all cores, each in its own read
	// transaction.
	parts := fetchParts(len(order))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for w := range parts {
		part := order[w*len(order)/parts : (w+1)*len(order)/parts]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bEvents).Cursor()
				bc := &fc.bcs[w]
				for _, i := range part {
					if s.lookups.Add(1) >= releaseLookups {
						s.lookups.Store(0)
						s.releaseMappedTx(tx)
					}
					p := ps[i]
					if e, ok := s.kept.get(p.Item, p.Rec); ok {
						got[i], found[i] = e, true
						continue
					}
					e, ok, err := bc.lookup(c, p.Item, p.Rec)
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
	if err == nil && s.kept.keeping() {
		s.kept.add(out)
	}
	return out, err
}

// releaseLookups is how many event blocks queries look up before the
// mapped pages they read are released (releaseMapped): a random read
// faults in up to 64 KiB around its block, so a query's resident set
// stays within about 32 MiB of the case file however many events it
// reads. Counted across fetches and queries, not per fetch: a small query
// (one address, a principal and the addresses it used, read in several
// rounds and passes) then faults in the index pages it comes back to once,
// not again in every round.
const releaseLookups = 512

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
	caches       *fetchCaches // the read's block caches; nil until the first fetch
}

// done gives the read's block caches back to the pool.
func (f *fetchSizer) done() {
	if f.caches != nil {
		fetchCachePool.Put(f.caches)
		f.caches = nil
	}
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

func (s *Store) emit(fs *fetchSizer, ps []codec.Posting, ins, ends []int, fn func(StoredEvent, []int) error) error {
	if fs.caches == nil {
		fs.caches = s.takeFetchCaches(fetchParts(fetchMax))
	}
	for off := 0; off < len(ps); {
		n := min(len(ps)-off, fs.next())
		evs, err := s.fetch(fs.caches, ps[off:off+n])
		if err != nil {
			return err
		}
		fs.saw(evs)
		// fetch drops events removed since the postings were read; match
		// the rest back to their postings, which are in the same order.
		k := off
		for i, e := range evs {
			for k < off+n && (ps[k].Item != e.Item || ps[k].Rec != e.Record) {
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
