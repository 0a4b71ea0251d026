package sigma

import (
	"io/fs"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailcase/trailcase/timeline"
)

// allTestEvents are the test events of every rule file under root, one
// test after the other in time.
func allTestEvents(t *testing.T, fsys fs.FS, root string, at *time.Time) ([]*Rule, []*timeline.Event) {
	var rules []*Rule
	var evs []*timeline.Event
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".yml") {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		rs, _ := Parse(name, data)
		rules = append(rules, rs...)
		for _, tcs := range ruleTests(t, data) {
			for _, tc := range tcs {
				built := buildEvents(t, tc.Events)
				for _, e := range built {
					e.Time = at.Add(e.Time.Sub(testEpoch))
				}
				if n := len(built); n > 0 {
					*at = built[n-1].Time.Add(time.Minute)
				}
				evs = append(evs, built...)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rules, evs
}

// TestMatchersApplyAsEvent runs every rule over the test events of every
// rule twice: event by event with Run.Event, and with matchers on two
// goroutines over chunks of events whose hits one Run applies in order.
// The results must be the same, in the same order.
func TestMatchersApplyAsEvent(t *testing.T) {
	at := testEpoch
	rules, evs := allTestEvents(t, builtinFS, "rules", &at)
	more, moreEvs := allTestEvents(t, os.DirFS("testdata"), "rules", &at)
	rules, evs = append(rules, more...), append(evs, moreEvs...)
	eng, errs := New(rules, Limits{MaxGroups: 50, MaxEvents: 5})
	if len(errs) > 0 {
		t.Fatal(errs)
	}

	var want []Result
	keep := func(r Result) { want = append(want, r) }
	run := eng.NewRun()
	for _, e := range evs {
		run.Event(e, keep)
	}
	run.Flush(keep)

	const chunk = 7
	type part struct {
		evs  []*timeline.Event
		hits [][]Hit
		done chan struct{}
	}
	var parts []*part
	for i := 0; i < len(evs); i += chunk {
		parts = append(parts, &part{evs: evs[i:min(i+chunk, len(evs))], done: make(chan struct{})})
	}
	work := make(chan *part)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := eng.NewMatcher()
			for p := range work {
				for _, e := range p.evs {
					p.hits = append(p.hits, m.Match(e, nil))
				}
				close(p.done)
			}
		}()
	}
	go func() {
		for _, p := range parts {
			work <- p
		}
		close(work)
	}()
	var got []Result
	keepGot := func(r Result) { got = append(got, r) }
	run = eng.NewRun()
	for _, p := range parts {
		<-p.done
		for i, e := range p.evs {
			run.Apply(e, p.hits[i], keepGot)
		}
	}
	run.Flush(keepGot)
	wg.Wait()

	corr := 0
	for _, r := range want {
		if r.Rule.IsCorrelation() {
			corr++
		}
	}
	if len(want) < 50 || corr < 5 {
		t.Fatalf("only %d results (%d correlations) over %d events: the test proves little", len(want), corr, len(evs))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("matchers and Apply: %d results, Run.Event: %d", len(got), len(want))
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("first difference at %d:\n got %+v\nwant %+v", i, got[i], want[i])
				break
			}
		}
	}
	t.Logf("%d events, %d results, %d of them correlations", len(evs), len(want), corr)
}
