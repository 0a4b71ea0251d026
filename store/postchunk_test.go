package store

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// TestPostingChunks checks term lookups and term counts against a model,
// with terms that have postings of their own and many that share chunks
// (several chunks per batch), across batches and after a deletion.
//
// Batches are written in each form of postForms, or in all of them, as
// in a case written before and after upgrades.
func TestPostingChunks(t *testing.T) {
	for _, mode := range postForms {
		t.Run(mode, func(t *testing.T) { testPostingChunks(t, mode) })
	}
}

func testPostingChunks(t *testing.T, mode string) {
	st, _ := newCase(t)
	defer writeForm(st, mode, 1)()
	w := st.NewWriter(2 << 20)
	r := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	model := map[string][]string{} // term -> "item/rec" in time order
	type ev struct {
		item, rec uint64
		t         time.Time
		terms     []string
	}
	var all []ev
	for item := uint64(1); item <= 5; item++ {
		if formChanges(mode, item) {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			writeForm(st, mode, item)
		}
		for rec := uint64(1); rec <= 6000; rec++ {
			e := ev{item: item, rec: rec, t: t0.Add(time.Duration(r.IntN(100000)) * time.Second)}
			// a few frequent terms, many rare ones
			e.terms = append(e.terms, fmt.Sprintf("ip:10.0.%d.%d", r.IntN(2), r.IntN(4)))
			e.terms = append(e.terms, fmt.Sprintf("ip:198.51.%d.%d", r.IntN(200), r.IntN(250)))
			e.terms = append(e.terms, fmt.Sprintf("ak:ASIA%08d", r.IntN(1<<30)))
			if r.IntN(3) == 0 {
				e.terms = append(e.terms, fmt.Sprintf("p:user%d", r.IntN(300)))
			}
			all = append(all, e)
			if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: e.t, Terms: e.terms, Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	build := func(skip uint64) map[string][]string {
		m := map[string][]string{}
		sorted := slices.Clone(all)
		slices.SortStableFunc(sorted, func(a, b ev) int {
			if c := a.t.Compare(b.t); c != 0 {
				return c
			}
			if a.item != b.item {
				return int(a.item) - int(b.item)
			}
			return int(a.rec) - int(b.rec)
		})
		for _, e := range sorted {
			if e.item == skip {
				continue
			}
			for _, term := range e.terms {
				m[term] = append(m[term], fmt.Sprintf("%d/%d", e.item, e.rec))
			}
		}
		return m
	}
	check := func(model map[string][]string, label string) {
		t.Helper()
		terms := slices.Sorted(maps.Keys(model))
		for i, term := range terms {
			if i%7 != 0 && !strings.HasPrefix(term, "ip:10.") {
				continue
			}
			var got []string
			if err := st.EventsByTerm(term, time.Time{}, time.Time{}, func(e StoredEvent) error {
				got = append(got, fmt.Sprintf("%d/%d", e.Item, e.Record))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, model[term]) {
				t.Fatalf("%s: %s: got %d events, want %d", label, term, len(got), len(model[term]))
			}
		}
		for _, prefix := range []string{"", "ip:", "ip:10.0.1", "ip:198.51.1", "ak:ASIA0", "p:", "p:user29", "zz"} {
			want := map[string]int{}
			for term, evs := range model {
				if strings.HasPrefix(term, prefix) {
					want[term] = len(evs)
				}
			}
			got := map[string]int{}
			if err := st.TermValues(prefix, func(term string, n int) error { got[term] = n; return nil }); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("%s: TermValues(%q): %d terms, want %d", label, prefix, len(got), len(want))
			}
		}
	}
	forms := map[string]int{}
	st.db.View(func(tx *bolt.Tx) error {
		batches, _ := batchesIn(tx, time.Time{}, time.Time{}, false)
		pb := tx.Bucket(bEvPost)
		for _, b := range batches {
			switch {
			case b.z:
				// Which form its chunks are in.
				framed, whole := 0, 0
				c := pb.Cursor()
				prefix := codec.ChunkKey(b.id, "")
				for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
					if v[0] == codec.ChunkFramesMagic {
						framed++
					} else {
						whole++
					}
				}
				switch {
				case framed > 0 && whole == 0:
					forms["z"]++
				case whole > 0 && framed == 0:
					forms["z8"]++
				default:
					forms["chunks of both forms in one batch"]++
				}
			case b.sealed:
				forms["sealed"]++
			case !b.delta:
				forms["fixed"]++
			default:
				forms["delta"]++
			}
		}
		return nil
	})
	if mode == "mixed" && (forms["fixed"] == 0 || forms["sealed"] == 0 || forms["z8"] == 0 || forms["z"] == 0 || len(forms) != 4) || mode != "mixed" && (forms[mode] < 3 || len(forms) != 1) {
		t.Fatalf("%s: batches of each form: %v", mode, forms)
	}
	model = build(0)
	check(model, "stored")
	w.DeleteItemEvents(2)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	check(build(2), "after deleting item 2")
}

// TestOlderSchemaUpgradedOnWrite: a version 1 case (no posting chunks)
// reads as is; opened for writing, it is marked the current version before
// anything is written, so an older trailcase refuses it afterwards.
func TestOlderSchemaUpgradedOnWrite(t *testing.T) {
	st, p := newCase(t)
	if err := st.db.Update(func(tx *bbtx) error { return tx.Bucket(bMeta).Put(kSchema, u64(1)) }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	schema := func(s *Store) uint64 {
		var n uint64
		s.db.View(func(tx *bbtx) error {
			n = uint64FromBytes(tx.Bucket(bMeta).Get(kSchema))
			return nil
		})
		return n
	}
	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := schema(ro); n != 1 {
		t.Fatalf("read-only open changed the schema to %d", n)
	}
	ro.Close()
	rw, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if n := schema(rw); n != SchemaVersion {
		t.Fatalf("schema after writable open = %d, want %d", n, SchemaVersion)
	}
}

func uint64FromBytes(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}
