package findings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// Options say which rules run over which part of the case.
type Options struct {
	// Rules are rules to run besides the built-in pack (see LoadRules).
	Rules []*sigma.Rule
	// NoBuiltin leaves the built-in pack out.
	NoBuiltin bool
	// From and To bound event times to [From, To); zero is unbounded.
	From, To time.Time
	// Limits bound the correlation state (sigma.DefaultLimits when zero).
	Limits sigma.Limits
	// Gaps overrides the delivery gap per source (DefaultGaps when nil).
	Gaps map[string]time.Duration
	// NoDigest skips the digest chains when no digest verification is
	// stored in the case (verifying them re-hashes every CloudTrail log).
	NoDigest bool
	// Progress, when not nil, is told of the events read, as
	// evidence.PhaseEvents out of the case's events.
	Progress evidence.Progress
}

// Report is what ForCase found.
type Report struct {
	Findings    []finding.Finding
	RulesLoaded int
	RulesFailed []*sigma.RuleError
	Events      int64 // events read
	Dropped     int   // events not correlated because a rule reached its group limit
	// First and Last are the times of the case's first and last event in
	// the range read; zero when it holds none.
	First, Last time.Time
}

// Limits on what a pass keeps, so memory stays bounded however many
// events match.
const (
	// MaxGroups is how many (rule, principal or address) groups of
	// detection results are kept; matches of further groups are counted
	// in the last finding of their rule.
	MaxGroups = 20_000
	// MaxListed is how many principals and addresses a finding names.
	MaxListed = 20
)

// LoadRules reads Sigma rules from files and directories (walked for
// .yml and .yaml files). Rules that cannot be loaded are returned as
// errors naming file and line; the others load.
func LoadRules(paths []string) ([]*sigma.Rule, []*sigma.RuleError) {
	var rules []*sigma.Rule
	var errs []*sigma.RuleError
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			errs = append(errs, &sigma.RuleError{File: p, Msg: err.Error()})
			continue
		}
		rs, es := sigma.Load(os.DirFS(filepath.Dir(abs)), filepath.Base(abs))
		for _, r := range rs {
			r.File = filepath.Join(filepath.Dir(p), r.File)
		}
		for _, e := range es {
			e.File = filepath.Join(filepath.Dir(p), e.File)
		}
		rules, errs = append(rules, rs...), append(errs, es...)
	}
	return rules, errs
}

// engine compiles the built-in pack and o.Rules.
func (o Options) engine() (*sigma.Engine, int, []*sigma.RuleError) {
	var rules []*sigma.Rule
	var errs []*sigma.RuleError
	if !o.NoBuiltin {
		rules, errs = sigma.Builtin()
	}
	rules = append(rules, o.Rules...)
	eng, lerrs := sigma.New(rules, o.Limits)
	return eng, len(eng.Rules()), append(errs, lerrs...)
}

// ForCase runs the rules over the case's events and returns every
// finding, most severe first: behaviour (the rules), coverage and
// integrity (the checks stored in the case). The report of a case calls
// it as the findings command does.
func ForCase(ctx context.Context, st *store.Store, o Options) (*Report, error) {
	rep, _, err := pass(ctx, st, o, nil)
	return rep, err
}

// pass reads the events once, feeding the rules, the coverage tracker and
// observe (when not nil).
//
// The events are decoded and matched against the detection rules by a
// goroutine per core, a chunk of events each, while one goroutine
// takes the chunks in time order and does what depends on the order:
// correlations, grouping, coverage and observe. The findings are those
// of one goroutine doing everything, event by event.
func pass(ctx context.Context, st *store.Store, o Options, observe func(*timeline.Event)) (*Report, *coverage, error) {
	eng, loaded, errs := o.engine()
	rep := &Report{RulesLoaded: loaded, RulesFailed: errs}
	run := eng.NewRun()
	g := newGrouper(st)
	cov := newCoverage(o.Gaps)
	var cur *timeline.Event
	emit := func(r sigma.Result) { g.add(r, cur) }
	prog := expectEvents(st, o.Progress)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers)
	inOrder := make(chan *batch, workers+matchAhead)
	dec := decodeOptions(eng, observe != nil)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := eng.NewMatcher()
			for b := range work {
				b.match(m, dec)
			}
		}()
	}
	free := make(chan *batch, workers+matchAhead+2)
	var applyErr error
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for b := range inOrder {
			<-b.done
			if applyErr != nil {
				continue // drain
			}
			err := b.err
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				applyErr = err
				cancel() // stops the read
				continue
			}
			for i := range b.evs {
				if rep.Events%evidence.EventStep == 0 && rep.Events > 0 {
					prog.Advance(evidence.PhaseEvents, evidence.EventStep)
				}
				ev := &b.evs[i]
				rep.Events++
				cur = ev
				run.Apply(ev, b.hits[b.ends[i]:b.ends[i+1]], emit)
				cov.event(ev)
				if observe != nil {
					observe(ev)
				}
			}
			b.reset()
			select {
			case free <- b:
			default:
			}
		}
	}()
	err := st.EventChunksByTime(o.From, o.To, func(evs []store.StoredEvent) error {
		var b *batch
		select {
		case b = <-free:
		default:
			b = &batch{}
		}
		b.stored, b.done = evs, make(chan struct{})
		select {
		case inOrder <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		work <- b
		return nil
	})
	close(work)
	close(inOrder)
	wg.Wait()
	<-applied
	if applyErr != nil {
		err = applyErr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read events: %w", err)
	}
	if rep.Events > 0 {
		prog.Advance(evidence.PhaseEvents, (rep.Events-1)%evidence.EventStep+1)
	}
	cur = nil
	run.Flush(emit)
	rep.Dropped = run.Dropped
	rep.First, rep.Last = cov.first, cov.last
	rep.Findings = append(rep.Findings, g.findings()...)
	rep.Findings = append(rep.Findings, cov.findings()...)
	integ, err := integrityFindings(ctx, st, o, cov)
	if err != nil {
		return nil, nil, err
	}
	rep.Findings = append(rep.Findings, integ...)
	slices.SortStableFunc(rep.Findings, finding.Compare)
	return rep, cov, nil
}

// matchAhead is how many chunks more than there are workers (one per
// core: GOMAXPROCS) may be waiting for the goroutine that applies them in
// order. Memory stays bounded: at most workers+matchAhead+1 chunks are
// being matched or waiting, besides the ones the store reads ahead.
const matchAhead = 2

// batch is a chunk of stored events, decoded and matched by a worker.
type batch struct {
	stored []store.StoredEvent
	evs    []timeline.Event
	hits   []sigma.Hit
	ends   []int // the hits of evs[i] are hits[ends[i]:ends[i+1]]
	err    error
	done   chan struct{} // closed when matched
}

// reset empties the batch for the next chunk, keeping its slices. The
// events are overwritten by the next chunk's (their field lists reused).
func (b *batch) reset() {
	clear(b.hits)
	b.stored, b.evs, b.hits, b.ends, b.err, b.done = nil, b.evs[:0], b.hits[:0], b.ends[:0], nil, nil
}

// decodeOptions are what the pass reads of each event: the text-log
// fields as a list (the rules and coverage read a few by name) and the
// raw record of the sources whose rules read it, besides CloudTrail's,
// which coverage reads. Observers (the summary from every event) get
// whole events.
func decodeOptions(eng *sigma.Engine, whole bool) timeline.DecodeOptions {
	if whole {
		return timeline.DecodeOptions{}
	}
	o := timeline.DecodeOptions{FieldList: true}
	for _, src := range []string{timeline.SourceVPCFlow, timeline.SourceELB} {
		if !eng.NeedsRaw(src) {
			o.NoRaw = append(o.NoRaw, src)
		}
	}
	return o
}

// match decodes the batch's events and matches them; on an undecodable
// event it stops with an error naming it.
func (b *batch) match(m *sigma.Matcher, o timeline.DecodeOptions) {
	defer close(b.done)
	b.ends = append(b.ends[:0], 0)
	b.evs = slices.Grow(b.evs[:0], len(b.stored))[:len(b.stored)]
	for i := range b.stored {
		se := &b.stored[i]
		if err := timeline.DecodeEventInto(&b.evs[i], se.Data, o); err != nil {
			b.err = fmt.Errorf("event %d/%d: %w", se.Item, se.Record, err)
			b.evs = b.evs[:i]
			return
		}
		*se = store.StoredEvent{}
		b.hits = m.Match(&b.evs[i], b.hits)
		b.ends = append(b.ends, len(b.hits))
	}
	b.stored = nil
}

// expectEvents announces the case's events to p as the work of
// evidence.PhaseEvents and returns p (evidence.NoProgress when nil).
func expectEvents(st *store.Store, p evidence.Progress) evidence.Progress {
	if p == nil {
		return evidence.NoProgress{}
	}
	if n, err := st.EventCount(); err == nil {
		p.Expect(evidence.PhaseEvents, 0, int64(n))
	}
	return p
}
