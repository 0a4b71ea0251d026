package findings

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// errEnough stops a read that has what it needs.
var errEnough = errors.New("enough")

// fromIndex fills the summary's counts, lists and egress from the
// summary facts in the index (facts.go) and the few events they point
// at, without reading the case's events. It reports false, with the
// reason, when the index cannot give them exactly: events indexed before
// the facts were kept, or a value the index could not hold.
func (sm *summariser) fromIndex(ctx context.Context, st *store.Store) (bool, string, error) {
	total, err := st.EventCount()
	if err != nil {
		return false, "", err
	}
	unfit := false
	if err := st.TermStats(factUnfit, func(store.TermStat) error { unfit = true; return nil }); err != nil {
		return false, "", err
	}
	if unfit {
		return false, "some values (with a NUL byte or longer than 1 KiB) cannot be counted from the index", nil
	}
	if err := sm.addresses(st); err != nil {
		return false, "", err
	}
	if sm.s.Events != int64(total) {
		return false, fmt.Sprintf("%d of the case's %d events were indexed before the summary's counts were kept ('trailcase index --rebuild' keeps them for all)", int64(total)-sm.s.Events, total), nil
	}
	for _, d := range []struct {
		prefix string
		c      *counter
	}{{factPrincipal, sm.principals}, {factKey, sm.keys}, {factName, sm.names}, {factError, sm.errs}, {factAgent, sm.ua}} {
		if err := d.c.fromIndex(st, d.prefix); err != nil {
			return false, "", err
		}
	}
	if err := ctx.Err(); err != nil {
		return false, "", err
	}
	if err := st.TermPostings(factDenied, func(term string, t time.Time, _, _ uint64) error {
		principal, address, _ := strings.Cut(term[len(factDenied):], factSep)
		sm.denyAt(principal, address, t)
		return nil
	}); err != nil {
		return false, "", err
	}
	s := sm.s
	err = st.EventsByTerms([]store.TermRange{{Term: factChange}, {Term: factRole}}, func(se store.StoredEvent, _ []int) error {
		if len(s.Changes) >= summaryList && len(s.Roles) >= summaryList {
			return errEnough
		}
		ev, err := decodeStored(se)
		if err == nil {
			sm.change(&ev)
		}
		return err
	})
	if err != nil && !errors.Is(err, errEnough) {
		return false, "", err
	}
	if err := sm.egressFromIndex(st); err != nil {
		return false, "", err
	}
	sm.s.keysFrom = st
	return true, "", nil
}

func decodeStored(se store.StoredEvent) (timeline.Event, error) {
	ev, err := timeline.DecodeEvent(se.Data)
	if err != nil {
		return ev, fmt.Errorf("event %d/%d: %w", se.Item, se.Record, err)
	}
	return ev, nil
}

// addresses counts the events per source and per source address.
func (sm *summariser) addresses(st *store.Store) error {
	var addr string
	var n int64
	var first time.Time
	flush := func() {
		if addr != "" {
			sm.addrs.set(addr, n, first)
		}
	}
	err := st.TermStats(factAddress, func(t store.TermStat) error {
		a, src, ok := strings.Cut(t.Term[len(factAddress):], factSep)
		if !ok {
			return fmt.Errorf("summary: index term %q: no source", t.Term)
		}
		sm.s.Events += t.Count
		sc := sm.sources[src]
		if sc == nil {
			sc = &SourceCount{Source: src, First: t.First, Last: t.Last}
			sm.sources[src] = sc
		}
		sc.Events += t.Count
		if t.First.Before(sc.First) {
			sc.First = t.First
		}
		if t.Last.After(sc.Last) {
			sc.Last = t.Last
		}
		if a != addr {
			flush()
			addr, n, first = a, 0, t.First
		}
		n += t.Count
		if t.First.Before(first) {
			first = t.First
		}
		return nil
	})
	flush()
	return err
}

// egressFromIndex finds the largest flows out: it reads the flows of the
// largest size classes, enough of them to fill the list, in time order.
func (sm *summariser) egressFromIndex(st *store.Store) error {
	var classes []store.TermStat
	if err := st.TermStats(factEgress, func(t store.TermStat) error { classes = append(classes, t); return nil }); err != nil {
		return err
	}
	var rs []store.TermRange
	var n int64
	for i := len(classes) - 1; i >= 0 && n < summaryTop; i-- {
		rs = append(rs, store.TermRange{Term: classes[i].Term})
		n += classes[i].Count
	}
	return st.EventsByTerms(rs, func(se store.StoredEvent, _ []int) error {
		ev, err := decodeStored(se)
		if err == nil {
			sm.flow(&ev)
		}
		return err
	})
}

// keysUsedFrom returns the access keys used from address ip, in the
// order of their first use, at most MaxListed.
func keysUsedFrom(st *store.Store, ip string) ([]string, error) {
	var ts []store.TermStat
	prefix := factKeyFrom + ip + factSep
	if err := st.TermStats(prefix, func(t store.TermStat) error { ts = append(ts, t); return nil }); err != nil {
		return nil, err
	}
	slices.SortFunc(ts, func(a, b store.TermStat) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		if a.FirstItem != b.FirstItem {
			return cmp.Compare(a.FirstItem, b.FirstItem)
		}
		return cmp.Compare(a.FirstRecord, b.FirstRecord)
	})
	var out []string
	for _, t := range ts[:min(len(ts), MaxListed)] {
		out = append(out, t.Term[len(prefix):])
	}
	return out, nil
}

// fromIndex sets the counter from the terms under prefix: exact counts
// and first-seen times. It keeps what top and newest need, the
// counter's capacity of each.
func (c *counter) fromIndex(st *store.Store, prefix string) error {
	return st.TermStats(prefix, func(t store.TermStat) error {
		c.set(t.Term[len(prefix):], t.Count, t.First)
		return nil
	})
}
