package sigma

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/timeline"
)

// Result is what a rule found: one event for a detection rule, a group of
// events for a correlation rule.
type Result struct {
	Rule        *Rule
	First, Last time.Time
	Count       int        // events behind the result (may exceed len(Events))
	Group       []KeyValue // correlation group-by fields and their values
	Values      []string   // value_count: the distinct values (capped)
	Events      []EventRef // the events, at most Limits.MaxEvents
}

// KeyValue is one group-by field and its value.
type KeyValue struct{ Field, Value string }

// EventRef names an event as the timeline does: evidence item and record.
type EventRef struct {
	Evidence uint64
	Record   int64
	Time     time.Time
}

func refOf(e *timeline.Event) EventRef {
	return EventRef{Evidence: e.Evidence, Record: e.Record, Time: e.Time}
}

// Limits bound the correlation state. Memory per correlation rule is at
// most MaxGroups groups, each holding at most the rule's threshold (or,
// for value_count, threshold+2 values) plus MaxEvents event references;
// groups whose window has passed are reported and dropped as time moves.
type Limits struct {
	MaxGroups int // groups per correlation rule; events of new groups beyond it are dropped and counted
	MaxEvents int // event references kept per result
}

// DefaultLimits suit a case of some million events.
var DefaultLimits = Limits{MaxGroups: 100_000, MaxEvents: 100}

// Engine holds compiled rules. It is read-only once built; a Run holds the
// per-pass state, so several Runs may share one Engine.
type Engine struct {
	rules    []*Rule
	bySource map[string]*ruleIndex
	corrs    []*corrRule
	limits   Limits
}

// baseRule is a detection rule and the correlations it feeds.
type baseRule struct {
	r     *Rule
	emit  bool // reports its own matches
	feeds []corrFeed
}

// corrFeed is a correlation fed by a base rule: the rule's place in the
// correlation's list and the group-by (and value) fields read through the
// base rule's logsource.
type corrFeed struct {
	c     *corrRule
	index int
	group []getter
	value getter
}

type corrRule struct {
	r   *Rule
	c   *correlation
	idx int // place in Engine.corrs and Run.states
}

// New compiles an engine from loaded rules. A correlation naming a rule
// that is not loaded is reported and left out; everything else runs.
func New(rules []*Rule, limits Limits) (*Engine, []*RuleError) {
	if limits.MaxGroups <= 0 {
		limits.MaxGroups = DefaultLimits.MaxGroups
	}
	if limits.MaxEvents <= 0 {
		limits.MaxEvents = DefaultLimits.MaxEvents
	}
	e := &Engine{bySource: map[string]*ruleIndex{}, limits: limits}
	bases := map[string]*baseRule{}
	var order []*baseRule
	for _, r := range rules {
		if r.detection == nil {
			continue
		}
		b := &baseRule{r: r, emit: true}
		order = append(order, b)
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				bases[k] = b
			}
		}
	}
	var errs []*RuleError
	for _, r := range rules {
		if r.correlation == nil {
			continue
		}
		if err := e.link(r, bases); err != nil {
			errs = append(errs, err)
			continue
		}
		e.rules = append(e.rules, r)
	}
	bySource := map[string][]*baseRule{}
	for _, b := range order {
		e.rules = append(e.rules, b.r)
		src := b.r.detection.ls.source
		if src == "" {
			for _, s := range []string{timeline.SourceCloudTrail, timeline.SourceVPCFlow, timeline.SourceELB} {
				bySource[s] = append(bySource[s], b)
			}
			continue
		}
		bySource[src] = append(bySource[src], b)
	}
	for src, rs := range bySource {
		e.bySource[src] = buildIndex(rs)
	}
	return e, errs
}

// link attaches a correlation to its base rules.
func (e *Engine) link(r *Rule, bases map[string]*baseRule) *RuleError {
	c := r.correlation
	cr := &corrRule{r: r, c: c, idx: len(e.corrs)}
	feeds := make([]*baseRule, len(c.rules))
	for i, name := range c.rules {
		b := bases[name]
		if b == nil {
			return &RuleError{File: r.File, Line: c.line, Msg: fmt.Sprintf("correlation refers to rule %q, which is not loaded", name)}
		}
		feeds[i] = b
	}
	for i, b := range feeds {
		f := corrFeed{c: cr, index: i}
		for _, g := range c.groupBy {
			f.group = append(f.group, b.r.detection.ls.field(g))
		}
		if c.field != "" {
			f.value = b.r.detection.ls.field(c.field)
		}
		b.feeds = append(b.feeds, f)
		if !c.generate {
			b.emit = false
		}
	}
	e.corrs = append(e.corrs, cr)
	return nil
}

// Rules returns the rules the engine runs.
func (e *Engine) Rules() []*Rule { return e.rules }

// Matcher matches events against the engine's detection rules. It keeps
// no state from one event to the next, so matching may run on several
// goroutines (a Matcher each) while one Run applies the hits in event
// order: the results are those of Run.Event. A Matcher is not safe for
// concurrent use.
type Matcher struct {
	e    *Engine
	d    doc
	hits []Hit
	key  []byte
}

// Hit is one detection rule an event matched, with what the correlations
// the rule feeds read from the event (group-by key and values, the
// value_count field), so that Run.Apply needs nothing but the event's
// normalised fields.
type Hit struct {
	b    *baseRule
	feed feedValue   // for b.feeds[0]
	more []feedValue // for b.feeds[1:]
}

// feedValue is what one correlation reads from a matched event.
type feedValue struct {
	key   string   // group-by values, each followed by a 0 byte
	value string   // value_count: the field's value
	has   bool     // value_count: the field has a scalar value
	list  []string // value_count: the scalar elements of a list value
}

// groupValues are the group-by fields and values of a key.
func groupValues(fields []string, key string) []KeyValue {
	out := make([]KeyValue, len(fields))
	for i, f := range fields {
		out[i].Field = f
		if n := strings.IndexByte(key, 0); n >= 0 {
			out[i].Value, key = key[:n], key[n+1:]
		}
	}
	return out
}

// NewMatcher returns a matcher for e's detection rules.
func (e *Engine) NewMatcher() *Matcher { return &Matcher{e: e} }

// Match appends to dst the hits of ev, in the order Run.Event reports
// them, and returns dst.
func (m *Matcher) Match(ev *timeline.Event, dst []Hit) []Hit {
	ix := m.e.bySource[ev.Source]
	if ix == nil {
		return dst
	}
	m.d.reset(ev)
	m.hits = dst
	ix.candidates(ev, m)
	dst = m.hits
	m.hits = nil
	m.d.reset(nil)
	return dst
}

// try matches one rule against the current event.
func (m *Matcher) try(b *baseRule) {
	if !b.r.detection.match(&m.d) {
		return
	}
	h := Hit{b: b}
	for i, f := range b.feeds {
		if i == 0 {
			h.feed = m.feedValue(f)
		} else {
			h.more = append(h.more, m.feedValue(f))
		}
	}
	m.hits = append(m.hits, h)
}

// feedValue reads the group-by and value fields of correlation feed f.
// A value holding a 0 byte is cut there, so that the key reads back as
// the values (Sigma values of AWS logs do not hold one).
func (m *Matcher) feedValue(f corrFeed) feedValue {
	var fv feedValue
	m.key = m.key[:0]
	for _, g := range f.group {
		if g != nil {
			if v := g(&m.d); v.kind == scalar {
				s := v.s
				if n := strings.IndexByte(s, 0); n >= 0 {
					s = s[:n]
				}
				m.key = append(m.key, s...)
			}
		}
		m.key = append(m.key, 0)
	}
	fv.key = string(m.key)
	if f.value != nil {
		switch v := f.value(&m.d); v.kind {
		case scalar:
			fv.value, fv.has = v.s, true
		case list:
			for _, el := range v.list {
				if t, ok := scalarText(el); ok {
					fv.list = append(fv.list, t)
				}
			}
		}
	}
	return fv
}

// Run is one pass over events in time order. It is not safe for
// concurrent use.
type Run struct {
	e       *Engine
	m       *Matcher
	hits    []Hit
	states  []*corrState
	Dropped int // events not correlated because a rule had MaxGroups groups
}

// NewRun starts a pass.
func (e *Engine) NewRun() *Run {
	r := &Run{e: e, m: e.NewMatcher()}
	for _, c := range e.corrs {
		r.states = append(r.states, newCorrState(c, e.limits, &r.Dropped))
	}
	return r
}

// Event matches one event against every rule for its source and calls
// emit for each detection result and each correlation result the event
// completes. Events must come in time order for correlations to be exact.
func (r *Run) Event(ev *timeline.Event, emit func(Result)) {
	r.hits = r.m.Match(ev, r.hits[:0])
	r.Apply(ev, r.hits, emit)
	clear(r.hits)
}

// Apply reports the hits of ev that a Matcher of the same engine found,
// as Event does: events must come in time order, each once, with or
// without hits.
func (r *Run) Apply(ev *timeline.Event, hits []Hit, emit func(Result)) {
	for i := range hits {
		h := &hits[i]
		if h.b.emit {
			emit(Result{Rule: h.b.r, First: ev.Time, Last: ev.Time, Count: 1, Events: []EventRef{refOf(ev)}})
		}
		for j, f := range h.b.feeds {
			fv := &h.feed
			if j > 0 {
				fv = &h.more[j-1]
			}
			r.states[f.c.idx].feed(ev, f, fv, emit)
		}
	}
	for _, s := range r.states {
		s.tick(ev.Time, emit)
	}
}

// Flush reports the correlation results still open at the end of the
// events and clears the state.
func (r *Run) Flush(emit func(Result)) {
	for _, s := range r.states {
		s.flush(emit)
	}
}
