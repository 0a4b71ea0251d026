package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// The reads below serve salvage: each reads one record in its own
// transaction, so damage to one page of a bucket costs only the records
// routed through it, never the rest of the bucket.

// Counters returns the next item id and the custody entry count the case
// recorded (zero when a record is missing or unreadable).
func (s *Store) Counters() (nextItem, custodyCount uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if v := m.Get(kNextItem); len(v) == 8 {
			nextItem = binary.BigEndian.Uint64(v)
		}
		if v := m.Get(kCustodyCount); len(v) == 8 {
			custodyCount = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return nextItem, custodyCount, err
}

// CustodyAt returns custody entry seq as stored (not checked), or
// ok=false when there is none.
func (s *Store) CustodyAt(seq uint64) (e evidence.CustodyEntry, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCustody).Get(u64(seq))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("custody entry %d: %w: %v", seq, ErrCorrupted, err)
		}
		ok = true
		return nil
	})
	return e, ok, err
}

// PutItemAs buffers an item under the id it already has (copied from
// another case), like PutItem; ids given later must be higher.
func (w *Writer) PutItemAs(it evidence.Item, sidecar []byte) error {
	if err := w.loadCounters(); err != nil {
		return err
	}
	if it.ID < w.nextItem {
		return fmt.Errorf("item %d: id already used (next is %d)", it.ID, w.nextItem)
	}
	w.nextItem = it.ID
	_, err := w.PutItem(it, sidecar)
	return err
}
