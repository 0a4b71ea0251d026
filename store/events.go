package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StoredEvent is an event read back from the case.
type StoredEvent struct {
	Item   uint64
	Record uint64
	Time   time.Time
	Terms  []string
	Data   []byte
}

// Key returns the event's provenance key (item id, record number).
func (e StoredEvent) Key() [2]uint64 { return [2]uint64{e.Item, e.Record} }

// scanBatch is how many events a query reads per read transaction, so a
// long query never pins one transaction (and its pages) for its whole run.
const scanBatch = 256

// Event returns one event by provenance.
func (s *Store) Event(item, record uint64) (StoredEvent, bool, error) {
	var e StoredEvent
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var bc blockCache
		var err error
		e, ok, err = bc.lookup(tx.Bucket(bEvents).Cursor(), item, record)
		return err
	})
	return e, ok, err
}

// ItemEvents calls fn for each event of an item, in record order.
func (s *Store) ItemEvents(item uint64, fn func(StoredEvent) error) error {
	prefix := u64(item)
	seek := bytes.Clone(prefix)
	first := true
	for {
		var batch []StoredEvent
		var next []byte
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bEvents).Cursor()
			k, v := c.Seek(seek)
			if !first && k != nil && bytes.Equal(k, seek) {
				k, v = c.Next()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				entries, err := decodeBlock(k, v)
				if err != nil {
					return err
				}
				for _, en := range entries {
					e, err := entryEvent(item, en)
					if err != nil {
						return err
					}
					e.Data = bytes.Clone(e.Data)
					batch = append(batch, e)
				}
				if len(batch) >= scanBatch {
					next = bytes.Clone(k)
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		seek, first = next, false
	}
}
