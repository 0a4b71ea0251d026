package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/findings"
)

// DeepReport is what Deep found.
type DeepReport struct {
	Items    int                  `json:"items"`       // items re-parsed and compared
	Events   int64                `json:"events"`      // events the re-parses gave
	Bytes    int64                `json:"bytes"`       // evidence bytes re-parsed
	NotYet   int                  `json:"not_indexed"` // items not indexed yet: nothing to compare
	Problems finding.ItemProblems `json:"problems"`
}

// Deep re-parses every indexed item from its verbatim bytes, as indexing
// does, and compares what it gives with the events stored for the item:
// their number (as its parse recorded it and as stored) and each event's
// time, terms and content. An event the re-parse gives that is not stored
// is accepted only when the case holds another event under its duplicate
// key (indexing dropped it as a duplicate). Each item that differs is one
// EVENTS_DIFFER finding. Items are compared on several workers, each
// streaming one item's events, so memory does not grow with the case.
// progress (nil for none) advances by the bytes re-parsed.
func Deep(ctx context.Context, st *store.Store, progress evidence.Progress) (DeepReport, error) {
	if progress == nil {
		progress = evidence.NoProgress{}
	}
	rep := DeepReport{Problems: finding.ItemProblems{}}
	// The stored events and the duplicate keys are read through the case
	// file's memory map, in many short reads.
	defer st.ReleaseMappedWhile()()
	ids := make(chan evidence.Item)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range indexWorkers() {
		wg.Go(func() {
			for it := range ids {
				f, events, err := compareItem(ctx, st, it)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
					cancel()
				case err == nil:
					rep.Items++
					rep.Events += events
					rep.Bytes += it.Size
					if f != nil {
						rep.Problems = append(rep.Problems, *f)
					}
				}
				progress.Advance(evidence.PhaseDeep, it.Size)
				progress.End(evidence.PhaseDeep)
				mu.Unlock()
			}
		})
	}
	err := st.Items(func(it evidence.Item) error {
		if it.ParseState == evidence.ParsePending {
			rep.NotYet++
			return nil
		}
		select {
		case ids <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(ids)
	wg.Wait()
	slices.SortFunc(rep.Problems, func(a, b finding.Finding) int { return cmp.Compare(a.Item, b.Item) })
	if firstErr != nil {
		return rep, firstErr
	}
	return rep, err
}

// eventDiff counts how an item's stored events differ from its re-parse.
type eventDiff struct {
	parsed, stored, dups      int64
	missing, extra, different int64
	first                     []string // the first few differences, described
	readErr                   error    // the stored events could not be read
}

func (d *eventDiff) note(n *int64, format string, args ...any) {
	*n++
	if len(d.first) < 3 {
		d.first = append(d.first, fmt.Sprintf(format, args...))
	}
}

var errStop = errors.New("stop")

// storedEvents yields the stored events of an item, then its read error.
func storedEvents(st *store.Store, item uint64) iter.Seq2[store.StoredEvent, error] {
	return func(yield func(store.StoredEvent, error) bool) {
		err := st.ItemEvents(item, func(e store.StoredEvent) error {
			if !yield(e, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(store.StoredEvent{}, err)
		}
	}
}

// compareItem re-parses one item and walks its stored events beside the
// re-parse, both in record order. It returns the finding (nil when all
// agree) and the events the re-parse gave; err only when ctx ends.
func compareItem(ctx context.Context, st *store.Store, it evidence.Item) (*finding.Finding, int64, error) {
	next, stop := iter.Pull2(storedEvents(st, it.ID))
	defer stop()
	var d eventDiff
	var cur *store.StoredEvent
	pull := func() bool {
		if cur != nil || d.readErr != nil {
			return cur != nil
		}
		e, err, ok := next()
		switch {
		case !ok:
			return false
		case err != nil:
			d.readErr = err
			return false
		}
		d.stored++
		cur = &e
		return true
	}
	add := func(r *store.EventRecord) error {
		d.parsed++
		for pull() && cur.Record < r.Record {
			d.note(&d.extra, "record %d is stored but the bytes do not give it", cur.Record)
			cur = nil
		}
		switch {
		case cur != nil && cur.Record == r.Record:
			if !sameAsStored(cur, withoutFacts(cur, r)) {
				d.note(&d.different, "record %d differs from what the bytes give", r.Record)
			}
			cur = nil
		case !d.duplicate(st, r):
			d.note(&d.missing, "record %d is missing from the stored events", r.Record)
		}
		return nil
	}
	finish := func() error {
		for pull() {
			d.note(&d.extra, "record %d is stored but the bytes do not give it", cur.Record)
			cur = nil
		}
		return nil
	}
	if it.ParseState == evidence.ParseSkipped {
		_ = finish() // nothing to parse: any stored event is extra
		return d.finding(it, it), 0, nil
	}
	parsed := it
	parsed.Warnings, parsed.Flags = nil, slices.Clone(it.Flags)
	events, err := parseItem(ctx, st, &parsed, evidence.NoProgress{}, add, finish)
	if err != nil {
		return nil, events, err
	}
	_ = finish() // a parse that stopped early did not
	return d.finding(it, parsed), events, nil
}

// duplicate reports whether r, not stored itself, was dropped as the
// duplicate of an event the case holds under its duplicate key.
func (d *eventDiff) duplicate(st *store.Store, r *store.EventRecord) bool {
	if r.DedupKey == "" {
		return false
	}
	item, rec, ok, err := st.DedupOwner(r.Time, r.DedupKey)
	if err != nil || !ok || (item == r.Item && rec == r.Record) {
		return false
	}
	d.dups++
	return true
}

// finding describes how the stored events of item recorded differ from
// its re-parse (parsed), or returns nil when they agree.
func (d *eventDiff) finding(recorded, parsed evidence.Item) *finding.Finding {
	var why []string
	if d.readErr != nil {
		why = append(why, "the stored events cannot be read: "+d.readErr.Error())
	}
	if recorded.ParseState != evidence.ParseSkipped && recorded.Events != parsed.Events {
		why = append(why, fmt.Sprintf("its parse recorded %d event(s), the bytes give %d", recorded.Events, parsed.Events))
	}
	if recorded.ParseState != parsed.ParseState {
		why = append(why, fmt.Sprintf("its parse state is recorded as %s, the bytes give %s", recorded.ParseState, parsed.ParseState))
	}
	if d.missing+d.extra+d.different > 0 {
		why = append(why, fmt.Sprintf("%d stored, %d duplicate(s): %d missing, %d extra, %d different (%s)",
			d.stored, d.dups, d.missing, d.extra, d.different, strings.Join(d.first, "; ")))
	}
	if len(why) == 0 {
		return nil
	}
	f := finding.New(finding.EventsDiffer, recorded.Path, strings.Join(why, "; "))
	f.Item = recorded.ID
	return &f
}

// withoutFacts returns r without its summary facts when the stored event
// has none: events indexed before the facts were kept are compared on
// the terms they were indexed with (the summary then reads their events).
// An event stored without its terms (schema 6) has them computed, facts
// and all.
func withoutFacts(stored *store.StoredEvent, r *store.EventRecord) *store.EventRecord {
	if stored.Termless() || slices.ContainsFunc(stored.StoredTerms(), findings.IsFactTerm) || !slices.ContainsFunc(r.Terms, findings.IsFactTerm) {
		return r
	}
	c := *r
	c.Terms = slices.DeleteFunc(slices.Clone(r.Terms), findings.IsFactTerm)
	return &c
}

// sameAsStored reports whether stored event e holds what r would store;
// an event stored by an older version of the event encoding holds the
// same event in other bytes.
func sameAsStored(e *store.StoredEvent, r *store.EventRecord) bool {
	if e.Same(r) {
		return true
	}
	alt := *r
	alt.Data = e.Data
	return e.Same(&alt) && timeline.SameStoredEvent(e.Data, r.Data)
}
