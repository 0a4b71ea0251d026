package store

import (
	"fmt"
	"testing"
	"time"
)

// A read-only case remembers the events its reads fetch for the reads
// after them, serves them from memory, and forgets them; past its budget
// it keeps none, and a case open for writing keeps none.
func TestRememberEvents(t *testing.T) {
	st, p := newCase(t)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	w := st.NewWriter(1 << 20)
	for rec := uint64(1); rec <= 3000; rec++ {
		term := "p:y"
		if rec%3 == 0 {
			term = "p:x"
		}
		ev := EventRecord{Item: 1, Record: rec, Time: t0.Add(time.Duration(rec) * time.Second), Terms: []string{term}, Data: fmt.Appendf(nil, "1/%d", rec)}
		if err := w.PutEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// read returns the data of the events of the terms, by record.
	read := func(st *Store, terms ...string) map[uint64]string {
		t.Helper()
		var rs []TermRange
		for _, term := range terms {
			rs = append(rs, TermRange{Term: term})
		}
		got := map[uint64]string{}
		if err := st.EventsByTerms(rs, func(e StoredEvent, _ []int) error {
			got[e.Record] = string(e.Data)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	st.Remember(1 << 20)
	read(st, "p:x")
	if st.kept.events != nil {
		t.Fatalf("a case open for writing kept %d events", len(st.kept.events))
	}
	st.Close()

	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.Remember(1 << 20)
	if got := read(ro, "p:x"); len(got) != 1000 || len(ro.kept.events) != 1000 {
		t.Fatalf("read %d events, kept %d; want 1000", len(got), len(ro.kept.events))
	}
	// Mark the kept events: a later read hands on the marked ones and
	// reads the others from their blocks.
	for r, e := range ro.kept.events {
		e.Data = fmt.Appendf(nil, "kept %d", r.rec)
		ro.kept.events[r] = e
	}
	got := read(ro, "p:x", "p:y")
	for rec := uint64(1); rec <= 3000; rec++ {
		want := fmt.Sprintf("1/%d", rec)
		if rec%3 == 0 {
			want = fmt.Sprintf("kept %d", rec)
		}
		if got[rec] != want {
			t.Fatalf("event %d: %q, want %q", rec, got[rec], want)
		}
	}
	if len(got) != 3000 || len(ro.kept.events) != 3000 {
		t.Fatalf("read %d events, kept %d; want 3000", len(got), len(ro.kept.events))
	}
	ro.Forget()
	if got := read(ro, "p:x"); got[3] != "1/3" || ro.kept.events != nil {
		t.Fatalf("after Forget: event 3 %q, %d kept", got[3], len(ro.kept.events))
	}
	// A budget for 100 of these events: a read of 1000 keeps none, and
	// the read after it finds every event in its block.
	ro.Remember(100 * (3 + storedEventOverhead))
	if got := read(ro, "p:x"); len(got) != 1000 || ro.kept.events != nil {
		t.Fatalf("past the budget: read %d, kept %d", len(got), len(ro.kept.events))
	}
	if got := read(ro, "p:x"); len(got) != 1000 || got[3000] != "1/3000" {
		t.Fatalf("after the budget: read %d, event 3000 %q", len(got), got[3000])
	}
}
