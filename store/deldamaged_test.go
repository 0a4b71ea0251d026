package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestDeleteItemWithDamagedBlocks: re-indexing an item whose stored
// blocks fail their checksum drops its postings and duplicate keys all
// the same (a damaged block's events' terms and keys are unknown: every
// list of every batch and every key is looked at) and lowers the case's
// event total by its events, so that the check finds nothing left behind
// and its events, stored again, are found once, none of them taken for a
// duplicate of itself.
func TestDeleteItemWithDamagedBlocks(t *testing.T) {
	for _, which := range []string{"all", "first"} {
		t.Run(which, func(t *testing.T) {
			st := newTermCase(t)
			termsInData(t)
			unique := func(rec uint64) []string { // terms of item 1 no other event has
				return append(testTerms(1)(rec), "ip:192.0.2."+string(rune('a'+rec%7)))
			}
			put1 := func() {
				t.Helper()
				w := st.NewWriter(0)
				t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
				for rec := uint64(1); rec <= 300; rec++ {
					ev := EventRecord{Item: 1, Record: rec, Time: t0.Add(time.Duration(rec) * time.Second), Terms: unique(rec),
						Data: withTerms(fmt.Sprint("event 1/", rec), unique(rec)), DedupKey: fmt.Sprint("id-", rec)}
					ev.ContentHash = sha256.Sum256(ev.Data)
					if err := w.PutEvent(ev); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			put1()
			putTermEvents(t, st, 2, 300, testTerms(2), testTerms(2))
			err := st.db.Update(func(tx *bbtx) error {
				b := tx.Bucket(bEvents)
				var keys [][]byte
				c := b.Cursor()
				for k, _ := c.Seek(u64(1)); k != nil && binary.BigEndian.Uint64(k) == 1; k, _ = c.Next() {
					keys = append(keys, slices.Clone(k))
				}
				if which == "first" {
					keys = keys[:1]
				}
				for _, k := range keys {
					v := slices.Clone(b.Get(k))
					v[len(v)/2] ^= 0x40
					if err := b.Put(k, v); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			w := st.NewWriter(0)
			if err := w.DeleteItemEvents(1); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			res, err := st.Check(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Problems {
				t.Errorf("item 1 deleted: %s", p.Detail)
			}
			if t.Failed() {
				return
			}
			put1()
			n := map[uint64]int{}
			if err := st.EventsByTime(time.Time{}, time.Time{}, func(e StoredEvent) error { n[e.Item]++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n[1] != 300 || n[2] != 300 {
				t.Fatalf("item 1 stored again: events by time %v", n)
			}
			for _, term := range []string{"ip:192.0.2.a", "ip:10.0.0.1"} {
				m := map[uint64]int{}
				if err := st.EventsByTerm(term, time.Time{}, time.Time{}, func(e StoredEvent) error { m[e.Item]++; return nil }); err != nil {
					t.Fatal(err)
				}
				if term == "ip:192.0.2.a" && m[1] != 42 || term == "ip:10.0.0.1" && m[1] != 100 {
					t.Fatalf("item 1 stored again: under %q %v", term, m)
				}
			}
			if res, err := st.Check(t.Context(), nil); err != nil || len(res.Problems) != 0 {
				t.Fatalf("item 1 stored again: %v %+v", err, res.Problems)
			}
		})
	}
}
