package findings

import (
	"context"
	"fmt"
	"time"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// Annotator names the detection rules an event matches, for the
// timeline: the titles of the built-in pack's detection rules that have
// a level (their base rules have no level of their own), and, after
// Correlate, of the correlation findings the event contributes to.
type Annotator struct {
	run    *sigma.Run
	titles []string
	corr   map[eventKey][]string // correlation titles per event
}

type eventKey struct {
	evidence uint64
	record   int64
}

// MaxCorrelateEvents is the largest case Correlate reads: the timeline
// should not read a bigger case twice unasked.
const MaxCorrelateEvents = 1_000_000

// NewAnnotator compiles the built-in detection rules and extra.
func NewAnnotator(extra []*sigma.Rule) *Annotator {
	rules, _ := sigma.Builtin()
	var keep []*sigma.Rule
	for _, r := range append(rules, extra...) {
		if !r.IsCorrelation() && r.Level != "" {
			keep = append(keep, r)
		}
	}
	eng, _ := sigma.New(keep, sigma.Limits{})
	return &Annotator{run: eng.NewRun()}
}

// Correlate runs the built-in correlation rules over src's events in
// [from, to) so that Titles also names the correlation findings an event
// contributes to: the events each result keeps (sigma.Limits.MaxEvents
// per result). It reads nothing when src counts more than
// MaxCorrelateEvents events, and returns whether it ran.
func (a *Annotator) Correlate(ctx context.Context, src timeline.EventSource, from, to time.Time) (bool, error) {
	if c, ok := src.(interface{ EventCount() (int, error) }); ok {
		if n, err := c.EventCount(); err != nil || n > MaxCorrelateEvents {
			return false, err
		}
	}
	rules, _ := sigma.Builtin()
	var keep []*sigma.Rule
	for _, r := range rules {
		if r.IsCorrelation() || r.Level == "" {
			keep = append(keep, r)
		}
	}
	eng, _ := sigma.New(keep, sigma.Limits{})
	run := eng.NewRun()
	a.corr = map[eventKey][]string{}
	emit := func(r sigma.Result) {
		if !r.Rule.IsCorrelation() {
			return
		}
		for _, e := range r.Events {
			k := eventKey{e.Evidence, e.Record}
			a.corr[k] = appendNew(a.corr[k], r.Rule.Title)
		}
	}
	n := 0
	err := src.EventsByTime(from, to, func(se store.StoredEvent) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ev, err := timeline.DecodeEvent(se.Data)
		if err != nil {
			return nil // the timeline reports undecodable events itself
		}
		run.Event(&ev, emit)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("correlate events: %w", err)
	}
	run.Flush(emit)
	return true, nil
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Titles returns the titles of the rules ev matches, nil when none. The
// slice is valid until the next call.
func (a *Annotator) Titles(ev *timeline.Event) []string {
	a.titles = a.titles[:0]
	a.run.Event(ev, func(r sigma.Result) { a.titles = append(a.titles, r.Rule.Title) })
	for _, t := range a.corr[eventKey{ev.Evidence, ev.Record}] {
		a.titles = appendNew(a.titles, t)
	}
	if len(a.titles) == 0 {
		return nil
	}
	return a.titles
}
