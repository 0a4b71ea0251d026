package sigma

import (
	"slices"
	"sort"
	"time"

	"github.com/trailcase/trailcase/timeline"
)

// corrState is one correlation rule's groups during a Run.
type corrState struct {
	cr        *corrRule
	c         *correlation
	lim       Limits
	dropped   *int
	groups    map[string]*group
	nextSweep time.Time
}

// group is the state of one group-by key. Only the parts its
// correlation type needs are used.
type group struct {
	vals  []KeyValue
	last  time.Time
	open  *Result // a sliding condition that holds; reported when the window passes
	ring  []EventRef
	start time.Time // tumbling window start
	count int
	refs  []EventRef
	seen  map[string]EventRef // value_count
	has   []bool              // temporal: rule i seen, at at[i]
	at    []EventRef
	chain [][]EventRef // temporal_ordered: the chain that reached step i
}

func newCorrState(cr *corrRule, lim Limits, dropped *int) *corrState {
	return &corrState{cr: cr, c: cr.c, lim: lim, dropped: dropped, groups: map[string]*group{}}
}

// feed adds one event matched by base rule f.index; fv is what the
// correlation reads from it.
func (s *corrState) feed(ev *timeline.Event, f corrFeed, fv *feedValue, emit func(Result)) {
	t := ev.Time
	g := s.groups[fv.key]
	if g == nil {
		if len(s.groups) >= s.lim.MaxGroups {
			s.sweep(t, emit)
		}
		if len(s.groups) >= s.lim.MaxGroups {
			*s.dropped++
			return
		}
		g = &group{vals: groupValues(s.c.groupBy, fv.key)}
		s.groups[fv.key] = g
	}
	ref := refOf(ev)
	switch s.c.typ {
	case EventCount:
		s.countEvent(g, ref, emit)
	case ValueCount:
		switch {
		case fv.has:
			s.countValue(g, fv.value, ref, emit)
		case len(fv.list) > 0:
			s.countValues(g, fv.list, ref, emit)
		default:
			return
		}
	case Temporal:
		s.temporal(g, f.index, ref, emit)
	case TemporalOrdered:
		s.ordered(g, f.index, ref, emit)
	}
	if t.After(g.last) {
		g.last = t
	}
}

func (s *corrState) result(g *group, first, last time.Time, count int, refs []EventRef) *Result {
	if len(refs) > s.lim.MaxEvents {
		refs = refs[:s.lim.MaxEvents]
	}
	return &Result{Rule: s.cr.r, Group: g.vals, First: first, Last: last, Count: count, Events: slices.Clone(refs)}
}

// extend adds an event to an open result; false when the event is past
// the result's window (the result is then reported).
func (s *corrState) extend(g *group, ref EventRef, emit func(Result)) bool {
	if g.open == nil {
		return false
	}
	if ref.Time.Sub(g.open.Last) > s.c.span {
		emit(*g.open)
		g.open = nil
		return false
	}
	g.open.Last = ref.Time
	g.open.Count++
	if len(g.open.Events) < s.lim.MaxEvents {
		g.open.Events = append(g.open.Events, ref)
	}
	return true
}

func (s *corrState) countEvent(g *group, ref EventRef, emit func(Result)) {
	if !s.c.sliding() {
		s.tumble(g, ref, emit)
		g.count++
		if len(g.refs) < s.lim.MaxEvents {
			g.refs = append(g.refs, ref)
		}
		return
	}
	if s.extend(g, ref, emit) {
		return
	}
	need := s.c.need()
	if len(g.ring) == need {
		g.ring = append(g.ring[:0], g.ring[1:]...)
	}
	g.ring = append(g.ring, ref)
	if len(g.ring) == need && ref.Time.Sub(g.ring[0].Time) <= s.c.span {
		g.open = s.result(g, g.ring[0].Time, ref.Time, need, g.ring)
		g.ring = g.ring[:0]
	}
}

// tumble closes a fixed window that ref falls outside of, and starts one.
func (s *corrState) tumble(g *group, ref EventRef, emit func(Result)) {
	if g.count > 0 && ref.Time.Sub(g.start) > s.c.span {
		s.closeWindow(g, emit)
	}
	if g.count == 0 {
		g.start = ref.Time
	}
}

// closeWindow reports a fixed window whose count meets the condition.
func (s *corrState) closeWindow(g *group, emit func(Result)) {
	if g.count == 0 {
		return
	}
	n := g.count
	if s.c.typ == ValueCount {
		n = len(g.seen)
	}
	if s.c.holds(n) {
		r := s.result(g, g.start, g.refs[len(g.refs)-1].Time, g.count, g.refs)
		r.Values = s.values(g)
		emit(*r)
	}
	g.count, g.refs, g.seen = 0, nil, nil
}

func (s *corrState) values(g *group) []string {
	if s.c.typ != ValueCount {
		return nil
	}
	out := make([]string, 0, len(g.seen))
	for v := range g.seen {
		out = append(out, v)
	}
	sort.Strings(out)
	if len(out) > s.lim.MaxEvents {
		out = out[:s.lim.MaxEvents]
	}
	return out
}

func (s *corrState) countValue(g *group, v string, ref EventRef, emit func(Result)) {
	if g.seen == nil {
		g.seen = map[string]EventRef{}
	}
	limit := s.c.need() + 1
	if !s.c.sliding() {
		s.tumble(g, ref, emit) // a closed window leaves seen nil
		if g.seen == nil {
			g.seen = map[string]EventRef{}
		}
		g.count++
		if len(g.refs) < s.lim.MaxEvents {
			g.refs = append(g.refs, ref)
		}
		if _, ok := g.seen[v]; ok || len(g.seen) <= s.c.n+1 {
			g.seen[v] = ref
		}
		return
	}
	if g.open != nil {
		_, had := g.seen[v]
		if s.extend(g, ref, emit) {
			if !had && len(g.seen) < max(limit, s.lim.MaxEvents) {
				g.seen[v] = ref
				g.open.Values = append(g.open.Values, v)
			}
			return
		}
		clear(g.seen)
	}
	g.seen[v] = ref
	oldest := ""
	for k, r := range g.seen {
		if ref.Time.Sub(r.Time) > s.c.span {
			delete(g.seen, k)
		} else if oldest == "" || r.Time.Before(g.seen[oldest].Time) {
			oldest = k
		}
	}
	if len(g.seen) > limit {
		delete(g.seen, oldest)
	}
	if len(g.seen) >= s.c.need() {
		refs := make([]EventRef, 0, len(g.seen))
		for _, r := range g.seen {
			refs = append(refs, r)
		}
		sortRefs(refs)
		refs = slices.Compact(refs) // one event may bring several values (a list field)
		g.open = s.result(g, refs[0].Time, ref.Time, len(refs), refs)
		g.open.Values = s.values(g)
	}
}

func (s *corrState) temporal(g *group, i int, ref EventRef, emit func(Result)) {
	if g.has == nil {
		g.has = make([]bool, len(s.c.rules))
		g.at = make([]EventRef, len(s.c.rules))
	}
	g.has[i], g.at[i] = true, ref
	var refs []EventRef
	for j, ok := range g.has {
		if ok && ref.Time.Sub(g.at[j].Time) <= s.c.span {
			refs = append(refs, g.at[j])
		}
	}
	if len(refs) < s.c.n {
		return
	}
	sort.Slice(refs, func(a, b int) bool { return refs[a].Time.Before(refs[b].Time) })
	emit(*s.result(g, refs[0].Time, ref.Time, len(refs), refs))
	clear(g.has)
}

func (s *corrState) ordered(g *group, i int, ref EventRef, emit func(Result)) {
	if g.chain == nil {
		g.chain = make([][]EventRef, len(s.c.rules))
	}
	switch {
	case i == 0:
		g.chain[0] = append(g.chain[0][:0], ref)
	case g.chain[i-1] != nil && ref.Time.Sub(g.chain[i-1][0].Time) <= s.c.span:
		g.chain[i] = append(slices.Clone(g.chain[i-1]), ref)
	default:
		return
	}
	if i == len(s.c.rules)-1 {
		c := g.chain[i]
		emit(*s.result(g, c[0].Time, ref.Time, len(c), c))
		clear(g.chain)
	}
}

// tick lets time pass: once per timespan of event time, groups whose
// window has passed are reported and dropped.
func (s *corrState) tick(now time.Time, emit func(Result)) {
	if now.Before(s.nextSweep) {
		return
	}
	s.sweep(now, emit)
	s.nextSweep = now.Add(s.c.span)
}

func (s *corrState) sweep(now time.Time, emit func(Result)) {
	var done []string
	for k, g := range s.groups {
		if now.Sub(g.last) > s.c.span {
			done = append(done, k)
		}
	}
	s.close(done, emit)
}

func (s *corrState) flush(emit func(Result)) {
	keys := make([]string, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	s.close(keys, emit)
}

// close reports and drops groups, in key order.
func (s *corrState) close(keys []string, emit func(Result)) {
	sort.Strings(keys)
	for _, k := range keys {
		g := s.groups[k]
		if g.open != nil {
			emit(*g.open)
		}
		if !s.c.sliding() && (s.c.typ == EventCount || s.c.typ == ValueCount) {
			s.closeWindow(g, emit)
		}
		delete(s.groups, k)
	}
}
