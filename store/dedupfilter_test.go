package store

import (
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// TestDedupFilterTwoWriters: a writer that filled an empty duplicate-key
// bucket answers from its filter; once another writer has put keys, it
// must look them up, and finds their duplicates.
func TestDedupFilterTwoWriters(t *testing.T) {
	st, _ := newCase(t)
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	put := func(w *Writer, item, rec uint64, key string) {
		t.Helper()
		data := []byte("record " + key)
		if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: t0, Terms: []string{"ip:1.1.1.1"}, Data: data,
			DedupKey: key, ContentHash: evidence.Sum256(data)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	a, b := st.NewWriter(0), st.NewWriter(0)
	put(a, 1, 1, "k1")
	if a.filter == nil {
		t.Fatal("the first writer into an empty bucket has no filter")
	}
	put(b, 2, 1, "k2") // b's key is in no filter of a's
	if b.filter != nil {
		t.Fatal("a writer into a bucket with keys has a filter")
	}
	put(a, 3, 1, "k2") // a duplicate of b's event
	if a.filter != nil {
		t.Fatal("the first writer kept its filter after another writer's keys went in")
	}
	if s := a.Stats(3); s.Duplicates != 1 || s.Stored != 0 {
		t.Fatalf("item 3 repeats item 2's event: %+v", s)
	}
	put(a, 4, 1, "k1") // and its own earlier key, without the filter
	if s := a.Stats(4); s.Duplicates != 1 || s.Stored != 0 {
		t.Fatalf("item 4 repeats item 1's event: %+v", s)
	}
	n, err := st.EventCount()
	if err != nil || n != 2 {
		t.Fatalf("%d events stored (%v), want 2", n, err)
	}
}
