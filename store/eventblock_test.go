package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// dump renders everything a reader can see of a case's events.
func dump(t *testing.T, st *Store, items int) string {
	t.Helper()
	var b strings.Builder
	line := func(e StoredEvent) error {
		terms, err := e.IndexTerms()
		if err != nil {
			t.Fatalf("event %d/%d: %v", e.Item, e.Record, err)
		}
		if e.Termless() != (eventTerms.Load() != nil) {
			t.Fatalf("event %d/%d: stored without its terms: %v", e.Item, e.Record, e.Termless())
		}
		fmt.Fprintf(&b, "%d/%d %s %v %q\n", e.Item, e.Record, e.Time.Format(time.RFC3339), terms, e.Data)
		return nil
	}
	b.WriteString("by time\n")
	if err := st.EventsByTime(time.Time{}, time.Time{}, line); err != nil {
		t.Fatal(err)
	}
	var terms []string
	if err := st.TermValues("", func(term string, n int) error {
		terms = append(terms, term)
		fmt.Fprintf(&b, "term %q %d\n", term, n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, term := range terms {
		fmt.Fprintf(&b, "by %q\n", term)
		if err := st.EventsByTerm(term, time.Time{}, time.Time{}, line); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= items; i++ {
		fmt.Fprintf(&b, "item %d\n", i)
		if err := st.ItemEvents(uint64(i), line); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.EventCount()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "count %d\n", n)
	return b.String()
}

// TestBlockBuilderMatchesPutEvent stores the same events (with repeats,
// conflicts and same-content copies, within a block, across blocks, items
// and flushes) one by one and through BlockBuilder: readers must see the
// same case, and the writers must count the same duplicates. Both with
// the events' terms stored and computed again from their data.
func TestBlockBuilderMatchesPutEvent(t *testing.T) {
	for _, termless := range []bool{false, true} {
		t.Run(fmt.Sprint("termless=", termless), func(t *testing.T) {
			if termless {
				termsInData(t)
			}
			testBlockBuilderMatchesPutEvent(t, termless)
		})
	}
}

func testBlockBuilderMatchesPutEvent(t *testing.T, termless bool) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	const items = 6
	for _, limit := range []int{1, 5000, 0} {
		t.Run(fmt.Sprint("limit", limit), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(limit), 7))
			var evs [items + 1][]EventRecord
			for item := 1; item <= items; item++ {
				rec := uint64(0)
				for range 150 + r.IntN(100) {
					rec += 1 + uint64(r.IntN(3))
					id := r.IntN(60)
					data := fmt.Sprintf("event %d", id)
					switch r.IntN(10) {
					case 0:
						data = fmt.Sprintf("EVENT %d", id) // same record, another layout
					case 1:
						data = fmt.Sprintf("event %d changed %d", id, rec) // a conflict
					}
					ev := EventRecord{Item: uint64(item), Record: rec, Time: t0.Add(time.Duration(id) * time.Minute),
						Terms: []string{fmt.Sprintf("ip:10.0.0.%d", id%7), fmt.Sprintf("p:u%d", r.IntN(4))}, Data: []byte(data)}
					if r.IntN(3) > 0 {
						ev.DedupKey = fmt.Sprintf("ct:%d", id)
						ev.ContentHash = evidence.Sum256(ev.Data)
					}
					if r.IntN(20) == 0 {
						ev.Terms = append(ev.Terms, "", allTerm, "bad\x00term", ev.Terms[0]) // ignored or repeated
					}
					if termless {
						ev.Data = withTerms(string(ev.Data), ev.Terms)
					}
					evs[item] = append(evs[item], ev)
				}
			}
			same := func(a, b []byte) bool { return strings.EqualFold(dataOnly(a), dataOnly(b)) }

			one, _ := newCase(t)
			w1 := one.NewWriter(limit)
			w1.SetSameContent(same)
			blk, _ := newCase(t)
			w2 := blk.NewWriter(limit)
			w2.SetSameContent(same)
			for _, st := range []*Store{one, blk} {
				if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "acquire"}); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= items; i++ { // the items the events come from
				putBlob(t, one, w1, fmt.Sprint("/f", i), []byte{byte(i)})
				putBlob(t, blk, w2, fmt.Sprint("/f", i), []byte{byte(i)})
			}
			for item := 1; item <= items; item++ {
				bb := NewBlockBuilder(uint64(item))
				for _, ev := range evs[item] {
					if err := w1.PutEvent(ev); err != nil {
						t.Fatal(err)
					}
					data := slices.Clone(ev.Data)
					ev.Data = data
					b := bb.Add(&ev)
					clear(data) // the builder must have copied it
					if b != nil {
						if err := w2.PutBlock(b); err != nil {
							t.Fatal(err)
						}
					}
				}
				if b := bb.Finish(); b != nil {
					if err := w2.PutBlock(b); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w1.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := w2.Flush(); err != nil {
				t.Fatal(err)
			}
			var dups int64
			for item := uint64(1); item <= items; item++ {
				s1, s2 := w1.Stats(item), w2.Stats(item)
				if s1 != s2 {
					t.Errorf("item %d: PutEvent %+v, PutBlock %+v", item, s1, s2)
				}
				dups += s1.Duplicates
			}
			if dups == 0 {
				t.Fatal("no duplicates: the test exercises nothing")
			}
			d1, d2 := dump(t, one, items), dump(t, blk, items)
			if d1 != d2 {
				t.Fatalf("cases differ:\n--- PutEvent\n%s\n--- PutBlock\n%s", d1, d2)
			}
			// Re-indexing an item removes the same things.
			w1.DeleteItemEvents(3)
			w2.DeleteItemEvents(3)
			w1.Flush()
			w2.Flush()
			if d1, d2 := dump(t, one, items), dump(t, blk, items); d1 != d2 {
				t.Fatalf("after delete, cases differ:\n--- PutEvent\n%s\n--- PutBlock\n%s", d1, d2)
			}
			if res, err := blk.Check(t.Context(), nil); err != nil || len(res.Problems) != 0 {
				t.Fatalf("check: %v %+v", err, res.Problems)
			}
		})
	}
}
