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
const scanBatch = 4096

// EventsByTerm calls fn, in time order, for each event indexed under term
// whose time is in [from, to). Zero times mean unbounded. It reads only the
// index range for term, never the whole case. fn may not write to the store.
func (s *Store) EventsByTerm(term string, from, to time.Time, fn func(StoredEvent) error) error {
	prefix := append([]byte(term), 0)
	return s.scanIndex(bEvTerm, prefix, from, to, fn)
}

// EventsByTime calls fn for each event with time in [from, to), oldest
// first.
func (s *Store) EventsByTime(from, to time.Time, fn func(StoredEvent) error) error {
	return s.scanIndex(bEvTime, nil, from, to, fn)
}

func (s *Store) scanIndex(bucket, prefix []byte, from, to time.Time, fn func(StoredEvent) error) error {
	seek := bytes.Clone(prefix)
	if !from.IsZero() {
		seek = append(seek, timeKey(from)...)
	}
	var end []byte
	if !to.IsZero() {
		end = append(bytes.Clone(prefix), timeKey(to)...)
	}
	first := true
	for {
		var batch []StoredEvent
		var next []byte
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			events := tx.Bucket(bEvents)
			k, _ := c.Seek(seek)
			if !first && k != nil && bytes.Equal(k, seek) {
				k, _ = c.Next()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				if end != nil && bytes.Compare(k, end) >= 0 {
					return nil
				}
				if len(k) < len(prefix)+24 {
					continue
				}
				ek := k[len(k)-16:]
				v := events.Get(ek)
				if v == nil {
					continue
				}
				e, err := decodeEvent(ek, v)
				if err != nil {
					return err
				}
				batch = append(batch, e)
				if len(batch) == scanBatch {
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

// Event returns one event by provenance.
func (s *Store) Event(item, record uint64) (StoredEvent, bool, error) {
	var e StoredEvent
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		k := eventKey(item, record)
		v := tx.Bucket(bEvents).Get(k)
		if v == nil {
			return nil
		}
		var err error
		e, err = decodeEvent(k, v)
		ok = err == nil
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
				e, err := decodeEvent(k, v)
				if err != nil {
					return err
				}
				batch = append(batch, e)
				if len(batch) == scanBatch {
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

// TermValues calls fn for each distinct term starting with prefix (e.g.
// "ip:"), with the number of events under it. Used to list principals and
// addresses; it reads the whole index range for the prefix.
func (s *Store) TermValues(prefix string, fn func(term string, count int) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvTerm).Cursor()
		p := []byte(prefix)
		var cur []byte
		n := 0
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				continue
			}
			if cur != nil && !bytes.Equal(cur, k[:i]) {
				if err := fn(string(cur), n); err != nil {
					return err
				}
				n = 0
			}
			cur = append(cur[:0], k[:i]...)
			n++
		}
		if cur != nil {
			return fn(string(cur), n)
		}
		return nil
	})
}

// EventCount returns the number of stored events.
func (s *Store) EventCount() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bEvents).Stats().KeyN; return nil })
	return n, err
}
