package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store/codec"
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
		bc := blockCache{strict: s.strict}
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
				entries, err := decodeBlock(k, v, s.strict)
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

// eventHeader is a stored event's value decoded (see codec.DecodeHeader).
type eventHeader struct {
	time     time.Time
	terms    []string
	dedupKey string
	rest     []byte
}

func decodeHeader(item, rec uint64, v []byte) (eventHeader, error) {
	h, ok := codec.DecodeHeader(v)
	if !ok {
		return eventHeader{}, fmt.Errorf("event %d/%d: %w: bad record", item, rec, ErrCorrupted)
	}
	return eventHeader{time: keyTime(h.TimeKey), terms: h.Terms, dedupKey: h.DedupKey, rest: h.Rest}, nil
}

func dedupBucketKey(t time.Time, key string) []byte {
	return append(timeKey(t), key...)
}
