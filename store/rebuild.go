package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// derivedBuckets hold what indexing builds from the evidence: events,
// their postings, batches and duplicate keys. The evidence itself (items,
// blobs, sidecars) and the custody log never depend on them.
var derivedBuckets = [][]byte{bEvents, bEvPost, bEvBatches, bEvDedup}

// IndexCounts counts a case's derived data.
type IndexCounts struct {
	Items   int   `json:"items"`   // evidence items
	Indexed int   `json:"indexed"` // items whose events are indexed (parse done or failed)
	Events  int64 `json:"events"`  // events their parses recorded, duplicates included
	Blocks  int   `json:"event_blocks"`
	Keys    int   `json:"posting_keys"`
	Batches int   `json:"batches"`
	Dedup   int   `json:"dedup_keys"`
}

// IndexCounts returns what the case holds of derived data.
func (s *Store) IndexCounts() (IndexCounts, error) {
	var c IndexCounts
	err := s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bItems).ForEach(func(k, v []byte) error {
			var it evidence.Item
			if err := s.getJSON(bItems, k, v, &it); err != nil {
				return err
			}
			c.Items++
			if it.ParseState == evidence.ParseDone || it.ParseState == evidence.ParseFailed {
				c.Indexed++
				c.Events += it.Events
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.Blocks = s.countKeys(tx, bEvents)
		c.Keys = s.countKeys(tx, bEvPost)
		c.Batches = s.countKeys(tx, bEvBatches)
		c.Dedup = s.countKeys(tx, bEvDedup)
		return nil
	})
	return c, err
}

// countKeys counts the keys of a top-level bucket, releasing the mapped
// pages every 64 MiB of keys and values stepped over. (bbolt's Stats
// reads every page of the bucket in one call: the whole index, resident.)
func (s *Store) countKeys(tx *bolt.Tx, name []byte) int {
	n, spanned := 0, 0
	c := tx.Bucket(name).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n++
		if spanned += len(k) + len(v); spanned >= releaseEvery*ChunkSize {
			s.releaseMappedTx(tx)
			spanned = 0
		}
	}
	return n
}

// ResetIndex drops every event, posting, batch and duplicate key and hands
// every item's record to reset, storing it again when reset reports a
// change (e.g. marked pending, to be indexed again). It is one
// transaction: after it, the case holds its evidence and custody log as
// before and no derived data, or, if it fails, is as it was. It returns
// the number of items reset changed.
//
// The transaction sets the derived buckets aside (bTrash) and puts empty
// ones in their place; dropTrash then frees their pages a slice at a
// time. Dropping them whole would read every page of them through the
// memory map in one go: 1.2 GB resident for a 4M-event case.
func (s *Store) ResetIndex(reset func(*evidence.Item) bool) (int, error) {
	changed, err := s.setIndexAside(reset)
	if err != nil {
		return changed, err
	}
	return changed, s.dropTrash()
}

// setIndexAside is ResetIndex's transaction: the derived buckets set aside
// in bTrash, empty ones in their place, the items reset.
func (s *Store) setIndexAside(reset func(*evidence.Item) bool) (int, error) {
	var changed int
	err := s.db.Update(func(tx *bolt.Tx) error {
		trash, err := tx.CreateBucketIfNotExists(bTrash)
		if err != nil {
			return fmt.Errorf("create %s: %w", bTrash, err)
		}
		seq, err := trash.NextSequence()
		if err != nil {
			return err
		}
		set, err := trash.CreateBucket(u64(seq))
		if err != nil {
			return fmt.Errorf("create %s %d: %w", bTrash, seq, err)
		}
		for _, name := range derivedBuckets {
			if err := tx.MoveBucket(name, nil, set); err != nil {
				return fmt.Errorf("set %s aside: %w", name, err)
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
		}
		m := tx.Bucket(bMeta)
		for _, k := range [][]byte{kNextBatch, kEventsTotal, kLongDedup} {
			if err := m.Delete(k); err != nil {
				return err
			}
		}
		changed, err = s.resetItems(tx.Bucket(bItems), reset)
		return err
	})
	if err != nil {
		return changed, err
	}
	s.dedup.mu.Lock()
	s.dedup.owner = nil // the duplicate-key bucket is empty again
	s.dedup.mu.Unlock()
	s.longDedup.Store(false) // and holds no keys of the older form
	return changed, nil
}

// bTrash holds the derived buckets a rebuild set aside, each set under a
// sequence number, until dropTrash has freed them. It exists only in
// between: a writable open drops what an interrupted rebuild left.
var bTrash = []byte("ev_trash")

// trashSlice is how many bytes of keys and values one transaction of
// dropTrash deletes, at most; the mapped pages are released after each.
var trashSlice = 32 << 20

// trashKeys bounds the keys one transaction of dropTrash deletes.
const trashKeys = 64 << 10

// dropTrash frees the derived buckets set aside, a slice per transaction.
func (s *Store) dropTrash() error {
	var left bool
	err := s.db.View(func(tx *bolt.Tx) error {
		left = tx.Bucket(bTrash) != nil
		return nil
	})
	for left && err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error {
			left, err = dropTrashSlice(tx)
			return err
		})
		s.releaseMapped()
	}
	if err != nil {
		return fmt.Errorf("drop the derived data set aside: %w", err)
	}
	return nil
}

// dropTrashSlice deletes up to trashSlice bytes of what bTrash holds, and
// reports whether anything is left.
func dropTrashSlice(tx *bolt.Tx) (bool, error) {
	trash := tx.Bucket(bTrash)
	if trash == nil {
		return false, nil
	}
	seq, _ := trash.Cursor().First()
	if seq == nil {
		return false, tx.DeleteBucket(bTrash)
	}
	set := trash.Bucket(seq)
	if set == nil {
		return true, trash.Delete(seq)
	}
	name, _ := set.Cursor().First()
	if name == nil {
		return true, trash.DeleteBucket(seq)
	}
	b := set.Bucket(name)
	if b == nil {
		return true, set.Delete(name)
	}
	// The slice's keys are read first and then deleted one by one: a
	// cursor that deletes as it goes walks over the emptied pages again
	// at every step until the transaction ends.
	var keys [][]byte
	subs := map[string]bool{}
	n := 0
	c := b.Cursor()
	for k, v := c.First(); k != nil && n < trashSlice && len(keys) < trashKeys; k, v = c.Next() {
		n += len(k) + len(v)
		keys = append(keys, bytes.Clone(k))
		if v == nil {
			subs[string(k)] = true
		}
	}
	if len(keys) == 0 {
		return true, set.DeleteBucket(name)
	}
	for _, k := range keys {
		del := b.Delete
		if subs[string(k)] && b.Bucket(k) != nil {
			del = b.DeleteBucket
		}
		if err := del(k); err != nil {
			return true, err
		}
	}
	return true, nil
}

func (s *Store) resetItems(b *bolt.Bucket, reset func(*evidence.Item) bool) (int, error) {
	var out []evidence.Item
	err := b.ForEach(func(k, v []byte) error {
		var it evidence.Item
		if err := s.getJSON(bItems, k, v, &it); err != nil {
			return err
		}
		if reset(&it) {
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, it := range out {
		if err := putJSON(b, u64(it.ID), it); err != nil {
			return 0, err
		}
	}
	return len(out), nil
}

// ReleaseMappedWhile releases, every 20 ms until stop is called, the pages
// of the case file that reads through its memory map made resident. The
// store's own long reads release as they go; a caller that runs many
// short ones (indexing, which reads the trees it writes to) keeps its
// resident set bounded with it. Pages stay in the page cache.
func (s *Store) ReleaseMappedWhile() (stop func()) { return s.releaseWhile() }

// DedupOwner returns the event stored under duplicate key key at time t:
// an event with that key not stored itself was dropped as its duplicate.
func (s *Store) DedupOwner(t time.Time, key string) (item, record uint64, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		tk := binary.BigEndian.Uint64(timeKey(t))
		_, v := s.getDedup(tx.Bucket(bEvDedup), dedupKey(tk, key), tk, key)
		item, record, _, ok = parseDedupValue(v)
		return nil
	})
	return item, record, ok, err
}

// Same reports whether stored event e holds what r would store: the same
// record number, time (as the store keeps it), index terms and data. The
// terms of an event stored without them are computed from its data
// (IndexTerms): they must be the terms r was indexed under.
func (e StoredEvent) Same(r *EventRecord) bool {
	if e.Item != r.Item || e.Record != r.Record || !bytes.Equal(timeKey(e.Time), timeKey(r.Time)) || !bytes.Equal(e.Data, r.Data) {
		return false
	}
	terms, err := e.IndexTerms()
	return err == nil && slices.Equal(terms, r.Terms)
}
