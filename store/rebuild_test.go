package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// TestResetIndexDropsInSlices resets a case's index: the derived data is
// set aside in one transaction and freed a slice at a time; when the
// freeing is interrupted, verify still finds the case intact and the next
// writable open finishes it.
func TestResetIndexDropsInSlices(t *testing.T) {
	defer func(n int) { trashSlice = n }(trashSlice)
	trashSlice = 4 << 10 // many slices for a small case

	st, path := newCase(t)
	fill := func() {
		w := st.NewWriter(16 << 10) // several batches
		t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		for i := range 300 {
			w.PutEvent(EventRecord{Item: 1, Record: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Second),
				Terms: []string{fmt.Sprintf("ip:10.0.0.%d", i%7)}, Data: fmt.Appendf(nil, "%0200d", i), DedupKey: fmt.Sprint(i)})
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	fill()
	before, err := st.IndexCounts()
	if err != nil || before.Blocks == 0 || before.Keys == 0 || before.Batches < 2 || before.Dedup != 300 {
		t.Fatalf("before: %+v, %v", before, err)
	}
	hasTrash := func() bool {
		var ok bool
		st.db.View(func(tx *bolt.Tx) error { ok = tx.Bucket(bTrash) != nil; return nil })
		return ok
	}
	empty := func(what string) {
		t.Helper()
		c, err := st.IndexCounts()
		if err != nil || c.Blocks+c.Keys+c.Batches+c.Dedup != 0 {
			t.Fatalf("%s: %+v, %v", what, c, err)
		}
		if n, _ := st.EventCount(); n != 0 {
			t.Fatalf("%s: %d events", what, n)
		}
	}

	if _, err := st.ResetIndex(func(*evidence.Item) bool { return false }); err != nil {
		t.Fatal(err)
	}
	empty("reset")
	if hasTrash() {
		t.Fatal("derived data left set aside after the reset")
	}

	// Interrupted after the transaction, before the freeing.
	fill()
	if _, err := st.setIndexAside(func(*evidence.Item) bool { return false }); err != nil {
		t.Fatal(err)
	}
	empty("set aside")
	if !hasTrash() {
		t.Fatal("nothing set aside")
	}
	st.Close()
	ro, err := Open(path, Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ro.Check(context.Background(), nil)
	ro.Close()
	if err != nil || len(res.Problems) != 0 {
		t.Fatalf("verify with derived data set aside: %+v, %v", res.Problems, err)
	}
	st, err = Open(path, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if hasTrash() {
		t.Fatal("a writable open left the derived data set aside")
	}
	empty("reopened")
	fill() // and the case takes events again
	if after, err := st.IndexCounts(); err != nil || after.Dedup != 300 || after.Blocks != before.Blocks {
		t.Fatalf("after: %+v, %v (before %+v)", after, err, before)
	}
}
