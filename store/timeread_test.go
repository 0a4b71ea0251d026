package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store/codec"
)

// TestEventsByTimeOpenBlocks reads a case whose items overlap in time and
// hold their records out of time order, in several batches, with room for
// every open block and for almost none: both give every event once, in
// (time, item, record) order, with its own data; a window gives its part
// and an error from fn stops the read.
func TestEventsByTimeOpenBlocks(t *testing.T) {
	st, _ := newCase(t)
	w := st.NewWriter(64 << 10)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	var want []codec.Posting
	for item := uint64(1); item <= 12; item++ {
		for rec := uint64(1); rec <= 700; rec++ {
			at := t0.Add(time.Duration(r.IntN(5000)) * time.Second)
			data := fmt.Appendf(nil, "%d/%d %s", item, rec, make([]byte, r.IntN(300)))
			if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: at, Terms: []string{fmt.Sprintf("n:%d", rec%3)}, Data: data}); err != nil {
				t.Fatal(err)
			}
			want = append(want, codec.Posting{T: binaryTime(at), Item: item, Rec: rec})
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, codec.ComparePostings)
	read := func(from, to time.Time) []codec.Posting {
		var got []codec.Posting
		err := st.EventsByTime(from, to, func(e StoredEvent) error {
			if string(e.Data[:len(fmt.Sprintf("%d/%d ", e.Item, e.Record))]) != fmt.Sprintf("%d/%d ", e.Item, e.Record) {
				t.Fatalf("event %d/%d has data %q", e.Item, e.Record, e.Data[:8])
			}
			if terms := e.StoredTerms(); len(terms) != 1 || terms[0] != fmt.Sprintf("n:%d", e.Record%3) {
				t.Fatalf("event %d/%d has terms %q", e.Item, e.Record, terms)
			}
			e.Data = append(e.Data, "overwrite?"...) // must not reach another event
			got = append(got, codec.Posting{T: binaryTime(e.Time), Item: e.Item, Rec: e.Record})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, limit := range []int{openBlockBytes, 1} {
		old := openBlockBytes
		openBlockBytes = limit
		if got := read(time.Time{}, time.Time{}); !slices.Equal(got, want) {
			t.Fatalf("open blocks %d: read %d events, want %d, or out of order", limit, len(got), len(want))
		}
		from, to := t0.Add(1000*time.Second), t0.Add(2000*time.Second)
		var part []codec.Posting
		for _, p := range want {
			if p.T >= binaryTime(from) && p.T < binaryTime(to) {
				part = append(part, p)
			}
		}
		if got := read(from, to); !slices.Equal(got, part) {
			t.Fatalf("open blocks %d: window read %d events, want %d", limit, len(got), len(part))
		}
		openBlockBytes = old
	}
	stop := errors.New("stop")
	n := 0
	err := st.EventsByTime(time.Time{}, time.Time{}, func(StoredEvent) error {
		if n++; n == 5000 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5000 {
		t.Fatalf("stopped read: %v after %d events", err, n)
	}
}

func binaryTime(t time.Time) uint64 {
	lo, _ := timeBounds(t, time.Time{})
	return lo
}

// TestEventChunksByTime: the chunks, kept by the caller and read only
// after the whole read, hold the events EventsByTime gives, in its order,
// each with its own data; an error from fn stops the read.
func TestEventChunksByTime(t *testing.T) {
	st, _ := newCase(t)
	w := st.NewWriter(64 << 10)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(3, 4))
	for item := uint64(1); item <= 5; item++ {
		for rec := uint64(1); rec <= 2000; rec++ {
			at := t0.Add(time.Duration(r.IntN(5000)) * time.Second)
			if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: at, Data: fmt.Appendf(nil, "%d/%d", item, rec)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := st.EventsByTime(time.Time{}, time.Time{}, func(e StoredEvent) error {
		want = append(want, string(e.Data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var chunks [][]StoredEvent
	if err := st.EventChunksByTime(time.Time{}, time.Time{}, func(evs []StoredEvent) error {
		if len(evs) == 0 || len(evs) > openChunk {
			t.Fatalf("chunk of %d events", len(evs))
		}
		chunks = append(chunks, evs)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range chunks {
		for _, e := range c {
			if string(e.Data) != fmt.Sprintf("%d/%d", e.Item, e.Record) {
				t.Fatalf("event %d/%d has data %q", e.Item, e.Record, e.Data)
			}
			got = append(got, string(e.Data))
		}
	}
	if len(chunks) < 2 || !slices.Equal(got, want) {
		t.Fatalf("%d chunks, %d events; EventsByTime: %d, or another order", len(chunks), len(got), len(want))
	}
	stop := errors.New("stop")
	n := 0
	err := st.EventChunksByTime(time.Time{}, time.Time{}, func([]StoredEvent) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("stopped read: %v after %d chunks", err, n)
	}
}
