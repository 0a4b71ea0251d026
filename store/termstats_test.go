package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestTermStats checks counts and first and last postings against a
// model, across batches, with terms in chunks (few postings) and under
// keys of their own (many), in each form of the lists, and with terms just
// outside the prefix.
func TestTermStats(t *testing.T) {
	for _, mode := range []string{"z", "sealed", "fixed"} {
		t.Run(mode, func(t *testing.T) {
			st, _ := newCase(t)
			defer writeForm(st, mode, 1)()
			w := st.NewWriter(128 << 10)
			r := rand.New(rand.NewPCG(3, 4))
			t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
			type stat struct {
				n           int64
				first, last [3]uint64 // time key, item, record
			}
			less := func(a, b [3]uint64) bool {
				for i := range a {
					if a[i] != b[i] {
						return a[i] < b[i]
					}
				}
				return false
			}
			want := map[string]*stat{}
			for item := uint64(1); item <= 3; item++ {
				for rec := uint64(1); rec <= 2500; rec++ {
					tm := t0.Add(time.Duration(r.IntN(4000)) * time.Second)
					terms := []string{fmt.Sprintf("x:common%d", r.IntN(3)), fmt.Sprintf("x:rare%04d", r.IntN(900)), "y:other", "x"}
					for _, term := range terms {
						if !strings.HasPrefix(term, "x:") {
							continue
						}
						k := [3]uint64{termKeyTime(tm), item, rec}
						s := want[term]
						if s == nil {
							s = &stat{first: k, last: k}
							want[term] = s
						}
						s.n++
						if less(k, s.first) {
							s.first = k
						}
						if less(s.last, k) {
							s.last = k
						}
					}
					if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: tm, Terms: terms, Data: []byte("e")}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			seen, prev := 0, ""
			err := st.TermStats("x:", func(ts TermStat) error {
				s := want[ts.Term]
				switch {
				case s == nil:
					t.Errorf("term %q: not put", ts.Term)
				case ts.Term <= prev:
					t.Errorf("term %q after %q", ts.Term, prev)
				case ts.Count != s.n || termKeyTime(ts.First) != s.first[0] || ts.FirstItem != s.first[1] || ts.FirstRecord != s.first[2] || termKeyTime(ts.Last) != s.last[0]:
					t.Errorf("term %q: %+v, want %+v", ts.Term, ts, *s)
				}
				seen++
				prev = ts.Term
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen != len(want) {
				t.Fatalf("%d terms, want %d", seen, len(want))
			}
			// TermPostings: every posting under the prefix once, in
			// (time, item, record) order, with its term.
			var total int64
			for _, s := range want {
				total += s.n
			}
			var n int64
			var last [3]uint64
			perTerm := map[string]int64{}
			err = st.TermPostings("x:", func(term string, tm time.Time, item, rec uint64) error {
				k := [3]uint64{termKeyTime(tm), item, rec}
				if n > 0 && !less(last, k) && last != k {
					t.Fatalf("posting %v after %v", k, last)
				}
				n++
				last = k
				perTerm[term]++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != total {
				t.Fatalf("TermPostings gave %d postings, want %d", n, total)
			}
			for term, s := range want {
				if perTerm[term] != s.n {
					t.Fatalf("TermPostings: term %q %d postings, want %d", term, perTerm[term], s.n)
				}
			}
		})
	}
}

func termKeyTime(t time.Time) uint64 {
	k := timeKey(t)
	var v uint64
	for _, b := range k {
		v = v<<8 | uint64(b)
	}
	return v
}
