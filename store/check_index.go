package store

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// The derived-data phases read every event block and every posting, and
// check them against each other: every block passes its checksum and
// decodes, every posting names a stored event (at that event's time),
// every event is reached from the time index (allTerm), each batch holds
// no more time postings than its entry says, the case's event total is the
// number stored, and no item holds more events than its parse produced.
//
// The terms of an event stored without them (schema 6) are computed from
// its data, and checked against the postings as a whole: the (term,
// event) pairs they give and the postings under those terms naming such
// an event must be the same multiset, so a posting under a term its event
// does not have, or a term of an event with no posting, is found.

// storedEv is one stored event as the index phase needs it.
type storedEv struct {
	item, rec, t uint64
}

// How the index phase knows a stored event's terms.
const (
	evTermsStored   = iota // stored with it: its summary facts are checked
	evTermsComputed        // computed from its data: all of them are checked
	evTermsUnknown         // stored without them and not computed: none is
)

// eventSet is every stored event, in (item, record) order, and which of
// them a time posting reached.
type eventSet struct {
	evs     []storedEv
	spans   map[uint64][2]int // item -> its events' run in evs [start, end)
	terms   []byte            // of each event, evTermsStored, evTermsComputed or evTermsUnknown (beside evs: the search reads evs)
	reached []bool
	facts   factTally // the summary facts the events carry
	posted  factTally // the postings under summary facts
	// The terms other than summary facts computed for the events stored
	// without them, and the postings under those terms naming such
	// an event.
	computed, computedPosted factTally
	unknown                  int // events whose terms could not be computed: no decoder
	// dedupOwn[i] says that the duplicate-key entry of event i's key
	// names event i; dedupOwned counts them.
	dedupOwn   []bool
	dedupOwned int
}

// find returns the index in evs of event (item, rec), or -1. An item's
// events are a run of evs (spans), its records mostly consecutive: the
// record's distance from the run's first is tried before a binary search
// of the run. Every posting of the case is looked up here.
func (es *eventSet) find(item, rec uint64) int {
	r, ok := es.spans[item]
	if !ok {
		return -1
	}
	run := es.evs[r[0]:r[1]]
	if first := run[0].rec; rec >= first && rec-first < uint64(len(run)) && run[rec-first].rec == rec {
		return r[0] + int(rec-first)
	}
	i, ok := slices.BinarySearchFunc(run, rec, func(e storedEv, rec uint64) int { return cmp.Compare(e.rec, rec) })
	if !ok {
		return -1
	}
	return r[0] + i
}

// indexSpans records where each item's run of events starts and ends.
func (es *eventSet) indexSpans() {
	es.spans = map[uint64][2]int{}
	for i := 0; i < len(es.evs); {
		j := i + 1
		for j < len(es.evs) && es.evs[j].item == es.evs[i].item {
			j++
		}
		es.spans[es.evs[i].item] = [2]int{i, j}
		i = j
	}
}

// checkEvents decodes every stored event block.
func (s *Store) checkEvents(res *CheckResult, un *unsealed) (*eventSet, error) {
	es := &eventSet{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		d := tx.Bucket(bEvDedup)
		var buf []byte
		var entries []codec.Entry
		var termBuf []string
		n := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%4096 == 0 {
				s.releaseMappedTx(tx)
			}
			if len(k) != 16 {
				continue // named by the orphan phase
			}
			item := binary.BigEndian.Uint64(k)
			if _, sealed, _ := codec.OpenBlock(k, v); !sealed {
				un.blocks++
			}
			var err error
			if buf, entries, err = decodeBlockInto(buf, entries, k, v, s.strict); err != nil {
				res.add(ProblemBlock, item, "", err.Error())
				continue
			}
			for _, e := range entries {
				h, ok := e.Header()
				if !ok {
					res.add(ProblemBlock, item, "", fmt.Sprintf("%s: record %d is malformed", blockName(k), e.Rec))
					break
				}
				ev := storedEv{item: item, rec: e.Rec, t: binary.BigEndian.Uint64(h.TimeKey)}
				terms, how := h.Terms, byte(evTermsStored)
				if h.Termless {
					how = evTermsComputed
					if terms, err = eventTermsOf(h.Rest, termBuf[:0]); err != nil {
						how, terms = evTermsUnknown, nil
						if errors.Is(err, errNoEventTerms) {
							es.unknown++
						} else {
							res.add(ProblemBlock, item, "", fmt.Sprintf("%s: record %d: its index terms cannot be computed: %v", blockName(k), e.Rec, err))
						}
					}
					termBuf = terms
				}
				es.evs = append(es.evs, ev)
				es.terms = append(es.terms, how)
				own := h.DedupKey != "" && s.checkDedupEntry(res, d, k, item, e.Rec, ev.t, h.DedupKey, h.Rest)
				es.dedupOwn = append(es.dedupOwn, own)
				if own {
					es.dedupOwned++
				}
				for _, t := range terms {
					switch {
					case isFact(t):
						es.facts.add(termHash(t), item, e.Rec)
					case how == evTermsComputed && indexable(t):
						es.computed.add(termHash(t), item, e.Rec)
					}
				}
			}
		}
		return nil
	})
	es.reached = make([]bool, len(es.evs))
	es.indexSpans()
	return es, err
}

// checkDedupEntry looks up the duplicate-key entry of a stored event (of
// block k) with dedup key key at time key t, and reports whether it names
// the event. An entry that names it must hold the hash of its raw text:
// acquisition leaves out a later record with this key and that hash as a
// copy of this one. An entry that names another event is that of an
// event stored earlier with the same key and other content; an event
// without an entry (its first holder re-indexed away) is stored again if
// acquired again, which loses nothing: neither is a problem.
func (s *Store) checkDedupEntry(res *CheckResult, d *bolt.Bucket, k []byte, item, rec, t uint64, key string, data []byte) bool {
	_, v := s.getDedup(d, dedupKey(t, key), t, key)
	if v == nil {
		return false
	}
	hItem, hRec, kept, ok := parseDedupValue(v)
	if !ok {
		res.add(ProblemIndex, item, "", fmt.Sprintf("%s: record %d: the duplicate-key entry of %s is malformed", blockName(k), rec, key))
		return false
	}
	if hItem != item || hRec != rec {
		return false
	}
	if f := eventRaw.Load(); f != nil {
		raw, err := (*f)(data)
		if err == nil && !sameContent(kept, evidence.Sum256(raw)) {
			res.add(ProblemIndexRefs, item, "", fmt.Sprintf("%s: record %d: the duplicate-key entry of %s holds the hash of another record: a later copy of that record would be left out as a duplicate of this one", blockName(k), rec, key))
		}
	}
	return true
}

// checkDedup checks that every duplicate-key entry names a stored event
// holding its key (checkDedupEntry found those that do): an entry naming
// none would make acquisition leave out a record no event holds.
func (s *Store) checkDedup(res *CheckResult, es *eventSet) error {
	return s.db.View(func(tx *bolt.Tx) error {
		d := tx.Bucket(bEvDedup)
		if n := d.Stats().KeyN; n == es.dedupOwned {
			return nil
		}
		// An entry is good when the event it names found it under its own
		// key: at that event's time, and the only entry naming it.
		bad, first := 0, ""
		named := map[int]bool{}
		c := d.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			item, rec, _, ok := parseDedupValue(v)
			if i := es.find(item, rec); ok && len(k) > 8 && i >= 0 && es.dedupOwn[i] && !named[i] && es.evs[i].t == binary.BigEndian.Uint64(k) {
				named[i] = true
				continue
			}
			if bad++; first == "" {
				first = dedupName(k, v)
			}
		}
		if bad > 0 {
			res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("duplicate-key entries naming no stored event that holds their key: %d (the first: %s); acquisition would leave out records under them", bad, first))
		}
		return nil
	})
}

// checkIndex reads every batch's posting lists and chunks against the
// stored events.
func (s *Store) checkIndex(res *CheckResult, un *unsealed, es *eventSet) error {
	return s.db.View(func(tx *bolt.Tx) error {
		batches := map[uint64]batchInfo{}
		_ = tx.Bucket(bEvBatches).ForEach(func(k, v []byte) error {
			if b, err := parseBatch(k, v, s.strict); err == nil {
				batches[b.id] = b
			} // else named by checkRecords
			return nil
		})
		timePostings := map[uint64]uint64{}
		c := tx.Bucket(bEvPost).Cursor()
		n := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%4096 == 0 {
				s.releaseMappedTx(tx)
			}
			if len(k) < 9 {
				res.add(ProblemIndex, 0, "", fmt.Sprintf("malformed index key %x", k))
				continue
			}
			b, ok := batches[binary.BigEndian.Uint64(k)]
			if !ok {
				res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("%s: its batch is not in the index", postName(k)))
				continue
			}
			if !b.sealed {
				un.postings++
			}
			p, err := openPost(nil, b, k, v)
			if err != nil {
				res.add(ProblemIndex, 0, "", err.Error())
				continue
			}
			if k[8] != 0 {
				timePostings[b.id] += es.checkList(res, b, k, k[8:], p)
				continue
			}
			if !codec.ReadChunk(p, b.delta, func(term, list []byte) bool {
				es.checkList(res, b, k, term, list)
				return true
			}) {
				res.add(ProblemIndex, 0, "", postName(k)+": malformed")
			}
		}
		for id, b := range batches {
			// Re-indexing an item removes its postings from earlier
			// batches without changing their entries: fewer is fine.
			if timePostings[id] > b.count {
				res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("index batch %d holds %d time postings, its entry says at most %d", id, timePostings[id], b.count))
			}
		}
		return nil
	})
}

// checkList checks one posting list of batch b (stored under k, for term)
// and returns how many time postings it holds.
func (es *eventSet) checkList(res *CheckResult, b batchInfo, k, term, v []byte) uint64 {
	l, ok := codec.ParseList(v, b.delta)
	if !ok {
		res.add(ProblemIndex, 0, "", fmt.Sprintf("%s: list for term %q is malformed", postName(k), term))
		return 0
	}
	isTime := string(term) == allTerm
	fact, th := isFact(string(term)), termHash(string(term))
	var cur codec.Cursor
	dangling, wrongTime := 0, 0
	for cur.Pos() < l.Len() {
		p, ok := l.Next(&cur)
		if !ok {
			res.add(ProblemIndex, 0, "", fmt.Sprintf("%s: list for term %q is malformed at posting %d", postName(k), term, cur.Pos()))
			break
		}
		i := es.find(p.Item, p.Rec)
		switch {
		case i >= 0 && es.terms[i] == evTermsUnknown:
		case fact:
			es.posted.add(th, p.Item, p.Rec)
		case i >= 0 && !isTime && es.terms[i] == evTermsComputed:
			es.computedPosted.add(th, p.Item, p.Rec)
		}
		switch {
		case i < 0:
			dangling++
		case es.evs[i].t != p.T:
			wrongTime++
		case isTime:
			es.reached[i] = true
		}
	}
	if dangling > 0 {
		res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("index batch %d, term %q: %d posting(s) name no stored event", b.id, term, dangling))
	}
	if wrongTime > 0 {
		res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("index batch %d, term %q: %d posting(s) give another time than their event", b.id, term, wrongTime))
	}
	if isTime {
		return uint64(l.Len())
	}
	return 0
}

// checkEventCounts reports events no time posting reaches, an event
// total that is not the number stored, and items holding more events
// than their parse produced.
func (s *Store) checkEventCounts(res *CheckResult, es *eventSet) error {
	stored := map[uint64]int64{}
	unreached := map[uint64]int{}
	for i, e := range es.evs {
		stored[e.item]++
		if !es.reached[i] {
			unreached[e.item]++
		}
	}
	for item, n := range unreached {
		res.add(ProblemIndexRefs, item, "", fmt.Sprintf("%d stored event(s) of item %d are in no time posting: the timeline would miss them", n, item))
	}
	total, err := s.EventCount()
	if err != nil {
		return err
	}
	if total != len(es.evs) {
		res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("the case records %d events, %d are stored", total, len(es.evs)))
	}
	if es.facts != es.posted {
		res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("the events carry %d summary fact(s), the index holds %d posting(s) under them%s: the summary's counts would be wrong ('trailcase index --rebuild' indexes them again)",
			es.facts.n, es.posted.n, map[bool]string{true: ", for other events or terms", false: ""}[es.facts.n == es.posted.n]))
	}
	if es.computed != es.computedPosted {
		res.add(ProblemIndexRefs, 0, "", fmt.Sprintf("the events stored without their index terms have %d (term, event) pair(s), the index holds %d posting(s) under their terms%s: queries would miss events or find the wrong ones ('trailcase index --rebuild' indexes them again)",
			es.computed.n, es.computedPosted.n, map[bool]string{true: ", for other events or terms", false: ""}[es.computed.n == es.computedPosted.n]))
	}
	if es.unknown > 0 {
		res.Notices = append(res.Notices, fmt.Sprintf("%d event(s) stored without their index terms were not checked against the index: nothing here decodes events", es.unknown))
	}
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bItems).ForEach(func(k, v []byte) error {
			var it evidence.Item
			if s.getJSON(bItems, k, v, &it) != nil {
				return nil // named by the item phase
			}
			// Duplicates of events stored earlier are not stored again,
			// so an item may hold fewer events than it parsed, never more.
			if n := stored[it.ID]; it.ParseState == evidence.ParseDone && n > it.Events {
				res.add(ProblemEventCount, it.ID, it.Path, fmt.Sprintf("%d events stored, its parse produced %d", n, it.Events))
			}
			return nil
		})
	})
}

// checkDerived runs the derived-data phases.
func (s *Store) checkDerived(res *CheckResult) error {
	var un unsealed
	if err := s.checkRecords(res, &un); err != nil {
		return err
	}
	es, err := s.checkEvents(res, &un)
	if err != nil {
		return err
	}
	if err := s.checkIndex(res, &un, es); err != nil {
		return err
	}
	if err := s.checkDedup(res, es); err != nil {
		return err
	}
	if err := s.checkEventCounts(res, es); err != nil {
		return err
	}
	if n := un.notice(); n != "" {
		res.Notices = append(res.Notices, n)
	}
	return nil
}
