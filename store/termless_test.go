package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store/codec"
)

// blockForms counts the stored event blocks of each item by form.
func blockForms(t *testing.T, st *Store) map[uint64]string {
	t.Helper()
	forms := map[uint64]string{}
	err := st.db.View(func(tx *bbtx) error {
		return tx.Bucket(bEvents).ForEach(func(k, v []byte) error {
			item := binary.BigEndian.Uint64(k)
			if !strings.ContainsRune(forms[item], rune(v[0])) {
				forms[item] += string(v[0])
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return forms
}

// putTermEvents stores n events of item, each under the terms terms(rec)
// gives, with data that says (for termsFromData) the terms inData(rec)
// gives.
func putTermEvents(t *testing.T, st *Store, item uint64, n int, terms, inData func(rec uint64) []string) {
	t.Helper()
	w := st.NewWriter(0)
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for rec := uint64(1); rec <= uint64(n); rec++ {
		ev := EventRecord{Item: item, Record: rec, Time: t0.Add(time.Duration(rec) * time.Second), Terms: terms(rec),
			Data: withTerms(fmt.Sprintf("event %d/%d", item, rec), inData(rec))}
		if err := w.PutEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// newTermCase returns a case holding two items, for the events of
// putTermEvents.
func newTermCase(t *testing.T) *Store {
	t.Helper()
	st, _ := newCase(t)
	if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "acquire"}); err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(0)
	for i := range 2 {
		if it := putBlob(t, st, w, fmt.Sprint("/f", i), []byte{byte(i)}); it.ID != uint64(i+1) {
			t.Fatalf("item %d", it.ID)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return st
}

func testTerms(item uint64) func(rec uint64) []string {
	return func(rec uint64) []string {
		return []string{fmt.Sprintf("ip:10.0.0.%d", rec%3), fmt.Sprintf("p:user%d", item), fmt.Sprintf("\x02sa:%d", rec%2)}
	}
}

// TestMixedTermlessCase: a case holding events stored with their terms
// (schema 5) and events stored without them (schema 6, acquired into
// after the upgrade) reads, checks and re-indexes as one.
func TestMixedTermlessCase(t *testing.T) {
	st := newTermCase(t)
	putTermEvents(t, st, 1, 300, testTerms(1), testTerms(1)) // no decoder: schema 5 blocks
	termsInData(t)
	putTermEvents(t, st, 2, 300, testTerms(2), testTerms(2))
	// 300 events: a block of 256 in frames, the other 44 in one frame.
	termlessForms := string(rune(codec.FramedBlockMagic)) + string(rune(codec.TermlessBlockMagic))
	if f := blockForms(t, st); f[1] != string(rune(codec.ZBlockMagic)) || f[2] != termlessForms {
		t.Fatalf("block forms %v", f)
	}
	check := func(what string) {
		t.Helper()
		res, err := st.Check(t.Context(), nil)
		if err != nil || len(res.Problems) != 0 || len(res.Notices) != 0 {
			t.Fatalf("%s: check: %v %+v %v", what, err, res.Problems, res.Notices)
		}
	}
	check("mixed")

	// Both kinds are found under their terms, with their terms.
	termless := map[uint64]bool{2: true}
	byTerm := func(term string) map[uint64]int {
		t.Helper()
		n := map[uint64]int{}
		err := st.EventsByTerm(term, time.Time{}, time.Time{}, func(e StoredEvent) error {
			terms, err := e.IndexTerms()
			if err != nil || !slices.Contains(terms, term) || e.Termless() != termless[e.Item] {
				t.Fatalf("event %d/%d under %q: terms %q, %v (termless %v)", e.Item, e.Record, term, terms, err, e.Termless())
			}
			if !termless[e.Item] && !slices.Equal(e.StoredTerms(), terms) || termless[e.Item] && e.StoredTerms() != nil {
				t.Fatalf("event %d/%d: stored terms %q", e.Item, e.Record, e.StoredTerms())
			}
			n[e.Item]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := byTerm("ip:10.0.0.1"); n[1] != 100 || n[2] != 100 {
		t.Fatalf("by ip: %v", n)
	}
	if n := byTerm("p:user2"); n[1] != 0 || n[2] != 300 {
		t.Fatalf("by principal: %v", n)
	}

	// Re-indexing an item of either kind removes all its postings.
	for _, item := range []uint64{1, 2} {
		w := st.NewWriter(0)
		if err := w.DeleteItemEvents(item); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprint("item ", item, " deleted"))
		if n := byTerm("ip:10.0.0.1"); n[item] != 0 {
			t.Fatalf("item %d deleted: by ip %v", item, n)
		}
		putTermEvents(t, st, item, 300, testTerms(item), testTerms(item))
		termless[item] = true
		check(fmt.Sprint("item ", item, " again"))
		if n := byTerm("ip:10.0.0.1"); n[1] != 100 || n[2] != 100 {
			t.Fatalf("item %d again: by ip %v", item, n)
		}
	}
	if f := blockForms(t, st); f[1] != termlessForms || f[2] != f[1] {
		t.Fatalf("block forms after re-indexing %v", f)
	}

	// Without a decoder, events stored without their terms cannot be
	// checked against the index: a notice says so.
	SetEventTerms(nil)
	res, err := st.Check(t.Context(), nil)
	if err != nil || len(res.Problems) != 0 || len(res.Notices) != 1 || !strings.Contains(res.Notices[0], "600 event(s) stored without their index terms") {
		t.Fatalf("no decoder: %v %+v %q", err, res.Problems, res.Notices)
	}
	// Nor can re-indexing compute them: it looks for the item's postings
	// in every list.
	w := st.NewWriter(0)
	if err := w.DeleteItemEvents(2); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, term := range []string{"ip:10.0.0.1", "p:user2", "\x02sa:1"} {
		err := st.EventsByTerm(term, time.Time{}, time.Time{}, func(e StoredEvent) error {
			if e.Item == 2 {
				t.Fatalf("no decoder: item 2 deleted, still found under %q", term)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	termsInData(t)
	check("item 2 deleted without a decoder")
}

// TestCheckComputedTerms: the derived-data check finds a posting under a
// term its event (stored without its terms) does not have, and a term of
// such an event without its posting, summary fact or not.
func TestCheckComputedTerms(t *testing.T) {
	for _, tc := range []struct {
		name      string
		extra     string // a term one event is indexed under or has
		inPosting bool   // the extra term is among the postings' (true) or the event's
	}{
		{"none", "", false},
		{"posting without term", "ip:192.0.2.1", true},
		{"term without posting", "ip:192.0.2.1", false},
		{"fact posting without fact", "\x02sa:9", true},
		{"fact without posting", "\x02sa:9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newTermCase(t)
			termsInData(t)
			base := testTerms(1)
			with := func(rec uint64) []string {
				if rec == 7 && tc.extra != "" {
					return append(base(rec), tc.extra)
				}
				return base(rec)
			}
			if tc.inPosting {
				putTermEvents(t, st, 1, 50, with, base)
			} else {
				putTermEvents(t, st, 1, 50, base, with)
			}
			res, err := st.Check(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range res.Problems {
				found = found || p.Kind == ProblemIndexRefs && (strings.Contains(p.Detail, "stored without their index terms") || strings.Contains(p.Detail, "summary fact"))
			}
			want := 0
			if tc.extra != "" {
				want = 1
			}
			if found != (want == 1) || len(res.Problems) != want {
				t.Fatalf("problems %+v", res.Problems)
			}
		})
	}
}

// TestDamagedTermlessBlock: a block stored without terms that is damaged
// fails its checksum, on every read and in the check; one whose events do
// not give their terms (a decoder that cannot read them) is reported by
// the check, never a different answer.
func TestDamagedTermlessBlock(t *testing.T) {
	for _, damage := range []string{"flip", "undecodable"} {
		t.Run(damage, func(t *testing.T) {
			st := newTermCase(t)
			termsInData(t)
			putTermEvents(t, st, 1, 50, testTerms(1), testTerms(1))
			err := st.db.Update(func(tx *bbtx) error {
				b := tx.Bucket(bEvents)
				k, v := b.Cursor().First()
				if v[0] != codec.TermlessBlockMagic {
					t.Fatalf("block form %q", v[0])
				}
				v = slices.Clone(v)
				if damage == "flip" {
					v[len(v)/2] ^= 0x40
					return b.Put(slices.Clone(k), v)
				}
				// Sealed again over entries whose data holds no terms.
				body, _, _ := codec.OpenBlock(k, v)
				es, _ := codec.DecodeBlock(body)
				var entries []byte
				entries = binary.AppendUvarint(entries, uint64(len(es)))
				for _, e := range es {
					h, _ := e.Header()
					val := codec.AppendTermlessValue(nil, binary.BigEndian.Uint64(h.TimeKey), h.DedupKey, []byte(dataOnly(h.Rest)))
					entries = binary.AppendUvarint(entries, e.Rec)
					entries = binary.AppendUvarint(entries, uint64(len(val)))
					entries = append(entries, val...)
				}
				return b.Put(slices.Clone(k), codec.AppendSum(k, codec.CompressBlock(codec.TermlessBlockMagic, entries)))
			})
			if err != nil {
				t.Fatal(err)
			}
			readErr := st.ItemEvents(1, func(e StoredEvent) error {
				_, err := e.IndexTerms()
				return err
			})
			res, err := st.Check(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := "checksum mismatch"
			if damage == "undecodable" {
				want = "its index terms cannot be computed"
			}
			found := false
			for _, p := range res.Problems {
				found = found || p.Kind == ProblemBlock && strings.Contains(p.Detail, want)
			}
			if readErr == nil || !found {
				t.Fatalf("read: %v; problems %+v", readErr, res.Problems)
			}
		})
	}
}
