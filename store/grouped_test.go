package store

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store/codec"
)

// TestGroupedEvents: events given a group (a CloudTrail record's event
// name) are stored in grouped blocks; they read back alike through a
// point read, a term's events, the time index and the item, the case
// checks intact, and duplicates dropped from such a block leave it
// grouped and every other event readable.
func TestGroupedEvents(t *testing.T) {
	st := newTermCase(t)
	termsInData(t)
	names := []string{"PutObject", "GetObject", "AssumeRole", "ListBuckets"}
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	data := func(item, rec uint64) []byte {
		name := names[rec%uint64(len(names))]
		return withTerms(fmt.Sprintf("event %d/%d %s %s", item, rec, name, strings.Repeat("x", 1500)), []string{"ev:" + strings.ToLower(name)})
	}
	event := func(item, rec uint64) EventRecord {
		d := data(item, rec)
		return EventRecord{Item: item, Record: rec, Time: t0.Add(time.Duration(rec) * time.Second), Data: d,
			Terms: []string{"ev:" + strings.ToLower(names[rec%uint64(len(names))])}, Group: names[rec%uint64(len(names))],
			DedupKey: fmt.Sprintf("cloudtrail:id-%d", rec), ContentHash: sha256.Sum256(d[len("event 1/"):])}
	}
	const n = 300
	w := st.NewWriter(0)
	for rec := uint64(1); rec <= n; rec++ {
		if err := w.PutEvent(event(1, rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if f := blockForms(t, st); !strings.ContainsRune(f[1], codec.GroupedBlockMagic) {
		t.Fatalf("block forms %v", f)
	}
	check := func(what string) {
		t.Helper()
		res, err := st.Check(t.Context(), nil)
		if err != nil || len(res.Problems) != 0 {
			t.Fatalf("%s: check: %v %+v", what, err, res.Problems)
		}
	}
	check("grouped")
	readAll := func(item uint64, want func(rec uint64) bool) {
		t.Helper()
		for rec := uint64(1); rec <= n; rec++ {
			ev, ok, err := st.Event(item, rec)
			if err != nil || ok != want(rec) || ok && string(ev.Data) != string(data(item, rec)) {
				t.Fatalf("event %d/%d: found %v (want %v), %v", item, rec, ok, want(rec), err)
			}
		}
		var recs []uint64
		if err := st.ItemEvents(item, func(e StoredEvent) error {
			if string(e.Data) != string(data(item, e.Record)) {
				t.Fatalf("item %d: event %d reads another's data", item, e.Record)
			}
			recs = append(recs, e.Record)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(recs) {
			t.Fatalf("item %d: events out of record order", item)
		}
		var get []uint64
		if err := st.EventsByTerm("ev:getobject", time.Time{}, time.Time{}, func(e StoredEvent) error {
			if e.Item == item {
				get = append(get, e.Record)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var wantGet []uint64
		for rec := uint64(1); rec <= n; rec++ {
			if want(rec) && rec%4 == 1 {
				wantGet = append(wantGet, rec)
			}
		}
		if !slices.Equal(get, wantGet) || !slices.Equal(recs, filter(n, want)) {
			t.Fatalf("item %d: GetObject %v, want %v; item %d events", item, get, wantGet, len(recs))
		}
	}
	readAll(1, func(uint64) bool { return true })

	// Item 2: the same records, a third of them acquired before (same
	// key, time and content): dropped from their blocks.
	w = st.NewWriter(0)
	for rec := uint64(1); rec <= n; rec++ {
		ev := event(2, rec)
		if rec%3 != 0 {
			ev.DedupKey = fmt.Sprintf("cloudtrail:other-%d", rec)
		}
		ev.ContentHash = event(1, rec).ContentHash
		if err := w.PutEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(2); s.Duplicates != n/3 {
		t.Fatalf("item 2: %+v", s)
	}
	if f := blockForms(t, st); !strings.ContainsRune(f[2], codec.GroupedBlockMagic) {
		t.Fatalf("block forms %v", f)
	}
	check("duplicates dropped")
	readAll(2, func(rec uint64) bool { return rec%3 != 0 })
}

func filter(n uint64, keep func(uint64) bool) []uint64 {
	var out []uint64
	for rec := uint64(1); rec <= n; rec++ {
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}
