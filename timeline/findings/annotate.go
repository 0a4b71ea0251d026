package findings

import (
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// Annotator names the detection rules an event matches, for the
// timeline: the titles of the built-in pack's detection rules that have
// a level (correlations need the whole case and are left out; their
// base rules have no level of their own).
type Annotator struct {
	run    *sigma.Run
	titles []string
}

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

// Titles returns the titles of the rules ev matches, nil when none. The
// slice is valid until the next call.
func (a *Annotator) Titles(ev *timeline.Event) []string {
	a.titles = a.titles[:0]
	a.run.Event(ev, func(r sigma.Result) { a.titles = append(a.titles, r.Rule.Title) })
	if len(a.titles) == 0 {
		return nil
	}
	return a.titles
}
