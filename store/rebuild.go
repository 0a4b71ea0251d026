package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
		c.Blocks = tx.Bucket(bEvents).Stats().KeyN
		c.Keys = tx.Bucket(bEvPost).Stats().KeyN
		c.Batches = tx.Bucket(bEvBatches).Stats().KeyN
		c.Dedup = tx.Bucket(bEvDedup).Stats().KeyN
		return nil
	})
	return c, err
}

// ResetIndex drops every event, posting, batch and duplicate key and hands
// every item's record to reset, storing it again when reset reports a
// change (e.g. marked pending, to be indexed again). It is one
// transaction: after it, the case holds its evidence and custody log as
// before and no derived data, or, if it fails, is as it was. It returns
// the number of items reset changed.
func (s *Store) ResetIndex(reset func(*evidence.Item) bool) (int, error) {
	var changed int
	// Dropping a bucket reads every page of it through the memory map, a
	// gigabyte a second: release them as often, and all of them after.
	stop := s.releaseEvery(2 * time.Millisecond)
	defer s.releaseMapped()
	defer stop()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range derivedBuckets {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("drop %s: %w", name, err)
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
		}
		m := tx.Bucket(bMeta)
		for _, k := range [][]byte{kNextBatch, kEventsTotal} {
			if err := m.Delete(k); err != nil {
				return err
			}
		}
		var err error
		changed, err = s.resetItems(tx.Bucket(bItems), reset)
		return err
	})
	if err == nil {
		s.dedup.mu.Lock()
		s.dedup.owner = nil // the duplicate-key bucket is empty again
		s.dedup.mu.Unlock()
	}
	return changed, err
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
		v := tx.Bucket(bEvDedup).Get(dedupBucketKey(t, key))
		if len(v) < 16 {
			return nil
		}
		item, record, ok = binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:16]), true
		return nil
	})
	return item, record, ok, err
}

// Same reports whether stored event e holds what r would store: the same
// record number, time (as the store keeps it), index terms and data.
func (e StoredEvent) Same(r *EventRecord) bool {
	if e.Item != r.Item || e.Record != r.Record || !bytes.Equal(timeKey(e.Time), timeKey(r.Time)) || !bytes.Equal(e.Data, r.Data) {
		return false
	}
	if len(e.Terms) != len(r.Terms) {
		return false
	}
	for i := range e.Terms {
		if e.Terms[i] != r.Terms[i] {
			return false
		}
	}
	return true
}
