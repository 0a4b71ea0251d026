package index

import (
	"sync"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/findings"
)

// Events are stored without their index terms (schema 6): the store asks
// storedTerms for them, which computes them from the stored event as
// indexing computed them from the parsed one. Loading the indexer is
// what lets the store write and read such events.
func init() {
	store.SetEventTerms(storedTerms)
	store.SetEventRaw(timeline.StoredRaw)
}

// addTerms adds the index terms of ev to ts: its timeline terms, then
// its summary facts. Indexing files the event under them.
func addTerms(ts *timeline.TermSet, ev *timeline.Event) {
	ev.AddTerms(ts)
	findings.AddFactTerms(ts, ev)
}

// termScratch is what storedTerms reuses from one event to the next.
type termScratch struct {
	ev timeline.Event
	ts timeline.TermSet
}

var termScratches = sync.Pool{New: func() any { return new(termScratch) }}

// storedTerms appends to dst the index terms of a stored event (its
// EventRecord.Data): those addTerms gave the event when it was indexed,
// in the same order (a store.EventTermsFunc). Only the normalised fields
// are decoded: the terms read nothing else. (Terms reads a flow record's
// log-status field to tell a gap, but the flow parser makes a gap status
// the record's Outcome, which Terms reads first.)
func storedTerms(data []byte, dst []string) ([]string, error) {
	sc := termScratches.Get().(*termScratch)
	defer termScratches.Put(sc)
	if err := timeline.DecodeEventInto(&sc.ev, data, timeline.DecodeOptions{NormalisedOnly: true}); err != nil {
		return dst, err
	}
	sc.ts.Reset()
	addTerms(&sc.ts, &sc.ev)
	return sc.ts.AppendTo(dst), nil
}
