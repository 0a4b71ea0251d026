package findings

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// events is an EventSource over events held in memory, in time order.
type events []*timeline.Event

func (es events) EventsByTime(from, to time.Time, fn func(store.StoredEvent) error) error {
	for _, e := range es {
		if err := fn(store.StoredEvent{Item: e.Evidence, Record: uint64(e.Record), Data: timeline.EncodeEvent(nil, e)}); err != nil {
			return err
		}
	}
	return nil
}

func (events) EventsByTerm(string, time.Time, time.Time, func(store.StoredEvent) error) error {
	return nil
}

func (events) EventsByTerms([]store.TermRange, func(store.StoredEvent, []int) error) error {
	return nil
}

func elb(i int, status string) *timeline.Event {
	return &timeline.Event{Time: t0.Add(time.Duration(i) * time.Second), Source: timeline.SourceELB, Evidence: 7, Record: int64(i + 1),
		SrcIP: "198.51.100.9", Fields: map[string]string{"elb_status_code": status}}
}

func TestAnnotatorCorrelations(t *testing.T) {
	var es events
	for i := range 60 {
		es = append(es, elb(i, "404"))
	}
	es = append(es, elb(60, "200"))
	a := NewAnnotator(nil)
	if got := a.Titles(es[0]); got != nil {
		t.Fatalf("before Correlate: %q", got)
	}
	ran, err := a.Correlate(context.Background(), es, time.Time{}, time.Time{})
	if err != nil || !ran {
		t.Fatalf("Correlate = %v, %v", ran, err)
	}
	const title = "Burst of 4xx responses to one client"
	if got := a.Titles(es[0]); !slices.Contains(got, title) {
		t.Errorf("first 404: %q, want %q", got, title)
	}
	if got := a.Titles(es[60]); slices.Contains(got, title) {
		t.Errorf("the 200 is not part of the burst: %q", got)
	}
}
