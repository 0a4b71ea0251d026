package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestEventsByTerms checks merged ranges against a model: each selected
// event once, in (time, item, record) order, with exactly the ranges that
// select it, whatever the round size (so an event's ranges that fall at a
// round's end stay together), across batches, with time windows, an
// unusable term and a term nothing has, and prefix ranges over terms with
// lists of their own and in chunks.
func TestEventsByTerms(t *testing.T) {
	for _, mode := range postForms {
		t.Run(mode, func(t *testing.T) { testEventsByTerms(t, mode) })
	}
}

func testEventsByTerms(t *testing.T, mode string) {
	st, _ := newCase(t)
	defer writeForm(st, mode, 1)()
	w := st.NewWriter(256 << 10) // several batches
	r := rand.New(rand.NewPCG(7, 8))
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	type ev struct {
		item, rec uint64
		t         time.Time
		terms     []string
	}
	var all []ev
	for item := uint64(1); item <= 4; item++ {
		if formChanges(mode, item) {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			writeForm(st, mode, item)
		}
		for rec := uint64(1); rec <= 3000; rec++ {
			e := ev{item: item, rec: rec, t: t0.Add(time.Duration(r.IntN(5000)) * time.Second)}
			e.terms = []string{fmt.Sprintf("ip:10.0.0.%d", r.IntN(6)), fmt.Sprintf("ip:10.0.1.%d", r.IntN(40))}
			if r.IntN(2) == 0 {
				e.terms = append(e.terms, fmt.Sprintf("p:user%d", r.IntN(3)))
			}
			if r.IntN(4) == 0 { // rare terms: most of their lists are in chunks
				e.terms = append(e.terms, fmt.Sprintf("r:obj%d", r.IntN(2000)))
			}
			all = append(all, e)
			data := fmt.Appendf(nil, "%d/%d", item, rec)
			if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: e.t, Terms: e.terms, Data: data}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	chunked := 0
	if err := st.db.View(func(tx *bolt.Tx) error {
		batches, err := batchesIn(tx, time.Time{}, time.Time{}, false)
		if err != nil {
			return err
		}
		byID := map[uint64]batchInfo{}
		for _, b := range batches {
			byID[b.id] = b
		}
		return tx.Bucket(bEvPost).ForEach(func(k, v []byte) error {
			if len(k) <= 8 || k[8] != 0 {
				return nil
			}
			p, err := openPost(nil, byID[binary.BigEndian.Uint64(k)], k, v)
			if err == nil && bytes.Contains(p, []byte("r:obj")) {
				chunked++
			}
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	if chunked == 0 {
		t.Fatal("no chunk holds r:obj lists: the prefix ranges would not read chunks")
	}
	slices.SortFunc(all, func(a, b ev) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		if a.item != b.item {
			return int(a.item) - int(b.item)
		}
		return int(a.rec) - int(b.rec)
	})
	ranges := []TermRange{
		{Term: "p:user1"},
		{Term: "ip:10.0.0.2", From: t0.Add(1000 * time.Second), To: t0.Add(3000 * time.Second)},
		{Term: "bad\x00term"},
		{Term: "ip:10.0.1.7"},
		{Term: "ip:10.0.0.2", From: t0.Add(2000 * time.Second)}, // overlaps range 1
		{Term: "ip:192.0.2.1"},
		{Term: "p:user1", To: t0.Add(500 * time.Second)}, // inside range 0
		// Prefix ranges: terms with lists of their own, in chunks, both.
		{Term: "ip:10.0.1.", Prefix: true, Match: func(t []byte) bool { return len(t) == len("ip:10.0.1.17") && t[len(t)-2] == '1' }},
		{Term: "r:obj1", Prefix: true, From: t0.Add(1500 * time.Second)},
		{Term: "r:obj", Prefix: true, To: t0.Add(2500 * time.Second), Match: func(t []byte) bool { return t[len(t)-1] == '7' }},
		{Term: "p:", Prefix: true, From: t0.Add(4000 * time.Second)},
		{Term: "r:zz", Prefix: true}, // no such terms
	}
	has := func(e ev, rg TermRange) bool {
		return slices.ContainsFunc(e.terms, func(t string) bool {
			if rg.Prefix {
				return strings.HasPrefix(t, rg.Term) && (rg.Match == nil || rg.Match([]byte(t)))
			}
			return t == rg.Term
		})
	}
	var want []string
	for _, e := range all {
		var in []string
		for i, rg := range ranges {
			if has(e, rg) && (rg.From.IsZero() || !e.t.Before(rg.From)) && (rg.To.IsZero() || e.t.Before(rg.To)) {
				in = append(in, fmt.Sprint(i))
			}
		}
		if in != nil {
			want = append(want, fmt.Sprintf("%d/%d %s", e.item, e.rec, strings.Join(in, ",")))
		}
	}
	if len(want) < 2000 {
		t.Fatalf("model selects only %d events", len(want))
	}
	defer func(n int) { mergeRound = n }(mergeRound)
	for _, round := range []int{1, 2, 3, 7, 1000, 16384} {
		mergeRound = round
		var got []string
		err := st.EventsByTerms(ranges, func(e StoredEvent, in []int) error {
			if string(e.Data) != fmt.Sprintf("%d/%d", e.Item, e.Record) {
				return fmt.Errorf("event %d/%d has data %q", e.Item, e.Record, e.Data)
			}
			var s []string
			for _, i := range in {
				s = append(s, fmt.Sprint(i))
			}
			got = append(got, fmt.Sprintf("%d/%d %s", e.Item, e.Record, strings.Join(s, ",")))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("round %d: event %d is %q, want %q (%d vs %d events)", round, i, got[i], want[i], len(got), len(want))
				}
			}
			t.Fatalf("round %d: %d events, want %d", round, len(got), len(want))
		}
	}
	// One range is EventsByTerm.
	var n int
	if err := st.EventsByTerm("ip:10.0.1.7", time.Time{}, time.Time{}, func(StoredEvent) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	m := 0
	for _, e := range all {
		if slices.Contains(e.terms, "ip:10.0.1.7") {
			m++
		}
	}
	if n != m || n == 0 {
		t.Fatalf("EventsByTerm: %d events, want %d", n, m)
	}
}

// TestFetchSizer checks that fetches start small, grow at most fourfold,
// stay within fetchBytes at the sizes seen and within [fetchMin, fetchMax].
func TestFetchSizer(t *testing.T) {
	evs := func(n, size int) []StoredEvent {
		out := make([]StoredEvent, n)
		for i := range out {
			out[i].Data = make([]byte, size)
		}
		return out
	}
	var f fetchSizer
	if f.next() != fetchMin {
		t.Fatalf("first fetch %d, want %d", f.next(), fetchMin)
	}
	f.saw(evs(fetchMin, 100))
	if got := f.next(); got != 4*fetchMin {
		t.Fatalf("after small events: %d, want %d", got, 4*fetchMin)
	}
	for range 10 {
		f.saw(evs(f.next(), 100))
	}
	if got := f.next(); got != fetchMax {
		t.Fatalf("small events: %d, want %d", got, fetchMax)
	}
	var g fetchSizer
	g.saw(evs(fetchMin, 1<<20)) // 1 MiB events
	if got := g.next(); got != fetchMin {
		t.Fatalf("large events: %d, want %d", got, fetchMin)
	}
	var h fetchSizer
	for range 10 {
		h.saw(evs(h.next(), 4000))
	}
	if got, want := h.next(), fetchBytes/(4000+storedEventOverhead); got != want {
		t.Fatalf("4 KB events: %d, want %d", got, want)
	}
}

// TestMergeOpensBatchesLazily: batches written in time order (as an
// acquisition of a chronological source writes them) are opened only
// when the merge reaches them, so the cursors held stay those of a batch
// or two, not of every batch; the events still come out complete and in
// order.
func TestMergeOpensBatchesLazily(t *testing.T) {
	st, _ := newCase(t)
	w := st.NewWriter(1 << 30) // flushed by hand: one batch per hour
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	const batches, perBatch = 40, 50
	rec := uint64(0)
	for b := range batches {
		for i := range perBatch {
			rec++
			e := EventRecord{Item: 2, Record: rec, Time: t0.Add(time.Duration(b)*time.Hour + time.Duration(i)*time.Second),
				Terms: []string{fmt.Sprintf("ip:10.0.0.%d", i%5)}, Data: []byte("x")}
			if err := w.PutEvent(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// A last batch starts at the very time the one before it starts, with
	// an event that sorts first there (a lower item id).
	if err := w.PutEvent(EventRecord{Item: 1, Record: 1, Time: t0.Add((batches - 1) * time.Hour), Terms: []string{"ip:10.0.0.0"}, Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var rs []TermRange
	for i := range 5 {
		rs = append(rs, TermRange{Term: fmt.Sprintf("ip:10.0.0.%d", i)})
	}
	most := 0
	mergeOpened = func(n int) { most = max(most, n) }
	defer func() { mergeOpened = nil }()
	var last StoredEvent
	n := 0
	if err := st.EventsByTerms(rs, func(e StoredEvent, in []int) error {
		if n > 0 && (e.Time.Before(last.Time) || e.Time.Equal(last.Time) && e.Item < last.Item) || len(in) != 1 {
			return fmt.Errorf("event %d/%d at %v after %d/%d at %v, ranges %v", e.Item, e.Record, e.Time, last.Item, last.Record, last.Time, in)
		}
		last = e
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != batches*perBatch+1 {
		t.Fatalf("%d events, want %d", n, batches*perBatch+1)
	}
	if most > 2*len(rs) || most == 0 {
		t.Fatalf("the merge held up to %d cursors; one batch has %d ranges", most, len(rs))
	}
}

// TestFetchCachesPerRead checks that the block caches a read of ranges
// keeps between its fetches never serve another read: two cases with
// the same event keys and different data, read in turn, each give their
// own.
func TestFetchCachesPerRead(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var sts []*Store
	for _, name := range []string{"A", "B"} {
		st, _ := newCase(t)
		w := st.NewWriter(1 << 20)
		for rec := uint64(1); rec <= 3000; rec++ {
			ev := EventRecord{Item: 1, Record: rec, Time: t0.Add(time.Duration(rec) * time.Second), Terms: []string{"p:x"}, Data: fmt.Appendf(nil, "%s/%d", name, rec)}
			if err := w.PutEvent(ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		sts = append(sts, st)
	}
	for range 3 {
		for i, st := range sts {
			n := 0
			err := st.EventsByTerm("p:x", time.Time{}, time.Time{}, func(e StoredEvent) error {
				n++
				if want := fmt.Sprintf("%s/%d", "AB"[i:i+1], e.Record); string(e.Data) != want {
					return fmt.Errorf("event %d: %q, want %q", e.Record, e.Data, want)
				}
				return nil
			})
			if err != nil || n != 3000 {
				t.Fatalf("case %d: %d events, %v", i, n, err)
			}
		}
	}
}
