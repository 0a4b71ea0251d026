package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestKeptCaches: a case opened read-only keeps its block caches for all
// its reads. Reads of few and of many events (one and several fetch
// goroutines), repeated, and run side by side (one read has the kept
// caches, the others pooled ones), give what a writable open of the
// same case gives.
func TestKeptCaches(t *testing.T) {
	st, p := newCase(t)
	w := st.NewWriter(1 << 20) // several batches
	r := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for item := uint64(1); item <= 12; item++ {
		for rec := uint64(1); rec <= 700; rec++ {
			terms := []string{fmt.Sprintf("ip:10.0.0.%d", r.IntN(40)), fmt.Sprintf("p:user%d", item%3)}
			data := fmt.Sprintf("event %d/%d %s", item, rec, terms[0])
			if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: t0.Add(time.Duration(r.IntN(1e6)) * time.Second), Terms: terms, Data: []byte(data)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	read := func(s *Store, term string) []string {
		var out []string
		if err := s.EventsByTerm(term, time.Time{}, time.Time{}, func(e StoredEvent) error {
			out = append(out, fmt.Sprintf("%d/%d %s", e.Item, e.Record, e.Data))
			return nil
		}); err != nil {
			return []string{"error: " + err.Error()}
		}
		return out
	}
	terms := []string{"ip:10.0.0.7", "p:user1", "ip:10.0.0.7", "ip:10.0.0.33", "p:user1", "p:user2"}
	want := map[string][]string{}
	for _, term := range terms {
		want[term] = read(st, term)
		if len(want[term]) == 0 {
			t.Fatalf("%s: no events", term)
		}
	}
	if n := len(want["p:user1"]); n < 1000 {
		t.Fatalf("p:user1: %d events, want a read of several fetch goroutines", n)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for round := range 2 {
		for _, term := range terms {
			if got := read(ro, term); !slices.Equal(got, want[term]) {
				t.Fatalf("round %d, %s: %d events, want %d", round, term, len(got), len(want[term]))
			}
		}
	}
	if ro.keptCaches == nil {
		t.Fatal("the read-only case kept no caches")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 3*len(terms))
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, term := range terms {
				if got := read(ro, term); !slices.Equal(got, want[term]) {
					errs <- fmt.Sprintf("side by side, %s: %d events, want %d", term, len(got), len(want[term]))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
