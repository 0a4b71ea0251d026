package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
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
	Data   []byte
	// terms are the index terms stored with the event (blocks written
	// before schema 6); termless says it was stored without them.
	terms    []string
	termless bool
}

// StoredTerms returns the index terms stored with the event, as they
// were stored: blocks written before schema 6 keep them. It is nil for an
// event stored without them (Termless).
func (e StoredEvent) StoredTerms() []string { return e.terms }

// Termless reports whether the event was stored without its index terms
// (from schema 6): IndexTerms computes them from its data.
func (e StoredEvent) Termless() bool { return e.termless }

// IndexTerms returns the index terms of the event: those stored with it,
// or, for an event stored without them, those the function set with
// SetEventTerms computes from its data. The error says that data does
// not decode, or that no function was set.
func (e StoredEvent) IndexTerms() ([]string, error) {
	if !e.termless {
		return e.terms, nil
	}
	return eventTermsOf(e.Data, nil)
}

// EventTermsFunc computes the index terms of an event from its stored
// data (as EventRecord.Data held it) and appends them to dst: the terms
// indexing gave it, in the same order.
type EventTermsFunc func(data []byte, dst []string) ([]string, error)

// eventTerms is the function SetEventTerms set, or nil.
var eventTerms atomic.Pointer[EventTermsFunc]

// SetEventTerms sets the function that computes an event's index terms
// from its stored data, as indexing computes them from the parsed event.
// The store cannot decode events itself (the timeline packages do, and
// they use the store); the indexer sets it when it is loaded. With it
// set, writers store events without their terms (TermlessBlockMagic
// blocks, schema 6) and readers compute them when asked (IndexTerms);
// without it (a store used on its own, as its tests do) events are
// stored with their terms, as in schema 5. nil unsets it.
func SetEventTerms(f EventTermsFunc) {
	if f == nil {
		eventTerms.Store(nil)
		return
	}
	eventTerms.Store(&f)
}

// errNoEventTerms: an event stored without its terms, and no function to
// compute them (SetEventTerms).
var errNoEventTerms = errors.New("event stored without its index terms, and no decoder to compute them")

// eventTermsOf computes the terms of an event stored without them.
func eventTermsOf(data []byte, dst []string) ([]string, error) {
	f := eventTerms.Load()
	if f == nil {
		return dst, errNoEventTerms
	}
	return (*f)(data, dst)
}

// EventRawFunc returns the raw text of an event from its stored data: the
// record as found, whose SHA-256 is the content hash of its duplicate key.
type EventRawFunc func(data []byte) ([]byte, error)

// eventRaw is the function SetEventRaw set, or nil.
var eventRaw atomic.Pointer[EventRawFunc]

// SetEventRaw sets the function that returns an event's raw text from its
// stored data, for verify to check each duplicate key's content hash
// against the record it names; the indexer sets it, as SetEventTerms.
// Without it the hashes are not checked. nil unsets it.
func SetEventRaw(f EventRawFunc) {
	if f == nil {
		eventRaw.Store(nil)
		return
	}
	eventRaw.Store(&f)
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
	// Group, when set, stores the event's block grouped (codec
	// GroupedBlockMagic): events of one group (a CloudTrail record's event
	// name) share its frames, so a query for them reads few frames.
	Group string
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

// eventHeader is a stored event's value decoded (see codec.Entry.Header).
type eventHeader struct {
	time     time.Time
	terms    []string // nil when termless
	termless bool
	dedupKey string
	rest     []byte
}

func decodeHeader(item uint64, e codec.Entry) (eventHeader, error) {
	h, ok := e.Header()
	if !ok {
		return eventHeader{}, fmt.Errorf("event %d/%d: %w: bad record", item, e.Rec, ErrCorrupted)
	}
	return eventHeader{time: keyTime(h.TimeKey), terms: h.Terms, termless: h.Termless, dedupKey: h.DedupKey, rest: h.Rest}, nil
}

// indexTerms returns the event's index terms: stored, or computed from
// its data.
func (h *eventHeader) indexTerms(dst []string) ([]string, error) {
	if !h.termless {
		return append(dst, h.terms...), nil
	}
	return eventTermsOf(h.rest, dst)
}
