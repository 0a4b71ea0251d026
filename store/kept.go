package store

import (
	"sync"
	"sync/atomic"
)

// keptEvents holds events that reads fetched, for the reads after them
// (Store.Remember): a principal's timeline reads the principal's events
// to learn its keys and addresses, then reads them again with the network
// events of those addresses, and each read of a CloudTrail event
// decompresses a frame of up to 32 KiB for a record of a few. Kept
// events are shared between reads, which never change their data.
//
// Only a case opened read-only keeps events: no writer can change it
// while it is open (the file's lock), so a kept event is what a read
// would find in its block.
type keptEvents struct {
	on     atomic.Bool // events is not nil: a read without kept events takes no lock
	mu     sync.RWMutex
	budget int64 // bytes still to keep
	events map[eventRef]StoredEvent
}

// eventRef names a stored event.
type eventRef struct{ item, rec uint64 }

// Remember makes the reads of a read-only case keep the events they
// fetch for the reads that follow, until Forget: a read takes a kept
// event instead of decoding its block again. When the events read
// outgrow maxBytes, none are kept any more. On a case open for writing
// it does nothing.
func (s *Store) Remember(maxBytes int64) {
	if !s.readOnly {
		return
	}
	k := &s.kept
	k.mu.Lock()
	defer k.mu.Unlock()
	k.budget = maxBytes
	if k.events == nil {
		k.events = map[eventRef]StoredEvent{}
		k.on.Store(true)
	}
}

// Forget drops the kept events and keeps no more.
func (s *Store) Forget() {
	k := &s.kept
	k.mu.Lock()
	defer k.mu.Unlock()
	k.budget, k.events = 0, nil
	k.on.Store(false)
}

// get returns the kept event item/rec.
func (k *keptEvents) get(item, rec uint64) (StoredEvent, bool) {
	if !k.on.Load() {
		return StoredEvent{}, false
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	e, ok := k.events[eventRef{item, rec}]
	return e, ok
}

// keeping reports whether reads keep what they fetch (add checks again,
// under the lock).
func (k *keptEvents) keeping() bool { return k.on.Load() }

// add keeps the events evs. The first that does not fit the budget drops
// them all, and no more are kept: the reads of many events gain little
// from the few kept, and would hold them in memory.
func (k *keptEvents) add(evs []StoredEvent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, e := range evs {
		if k.events == nil {
			return
		}
		r := eventRef{e.Item, e.Record}
		if _, ok := k.events[r]; ok {
			continue
		}
		if k.budget -= int64(len(e.Data)) + storedEventOverhead; k.budget < 0 {
			k.events = nil
			k.on.Store(false)
			return
		}
		k.events[r] = e
	}
}
