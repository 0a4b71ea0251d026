package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// zCase writes the events of items [from, to] of a small case (making
// the items unless they are there): terms with lists of their own
// (ip:10.0.0.x) and many in chunks (ak:...), a few batches per item. It
// adds them to the model, term -> "item/rec" in time order.
func zCase(t *testing.T, st *Store, from, to uint64, model map[string][]string) {
	t.Helper()
	w := st.NewWriter(64 << 10)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for item := from; item <= to; item++ {
		if _, err := st.Item(item); err != nil {
			if it := putBlob(t, st, w, fmt.Sprintf("/src/%d", item), []byte("x")); it.ID != item {
				t.Fatalf("item %d made as %d", item, it.ID)
			}
		}
		for rec := uint64(1); rec <= 600; rec++ {
			terms := []string{fmt.Sprintf("ip:10.0.0.%d", rec%3), fmt.Sprintf("ak:ASIA%04d", (item*600+rec)%450)}
			tm := t0.Add(time.Duration(item*600+rec) * time.Second)
			if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: tm, Terms: terms, Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			for _, term := range terms {
				model[term] = append(model[term], fmt.Sprintf("%d/%d", item, rec))
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// checkModel compares term lookups, term counts and the time order with
// the model.
func checkModel(t *testing.T, st *Store, model map[string][]string, label string) {
	t.Helper()
	n := 0
	for term, want := range model {
		var got []string
		if err := st.EventsByTerm(term, time.Time{}, time.Time{}, func(e StoredEvent) error {
			got = append(got, fmt.Sprintf("%d/%d", e.Item, e.Record))
			return nil
		}); err != nil {
			t.Fatalf("%s: %s: %v", label, term, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %s: %d events, want %d", label, term, len(got), len(want))
		}
		if strings.HasPrefix(term, "ip:") {
			n += len(want)
		}
	}
	for _, prefix := range []string{"ip:", "ak:"} {
		counts := 0
		if err := st.TermValues(prefix, func(_ string, c int) error { counts += c; return nil }); err != nil {
			t.Fatalf("%s: term values %s: %v", label, prefix, err)
		}
		stats := int64(0)
		if err := st.TermStats(prefix, func(s TermStat) error { stats += s.Count; return nil }); err != nil {
			t.Fatalf("%s: term stats %s: %v", label, prefix, err)
		}
		want := 0
		for term, evs := range model {
			if strings.HasPrefix(term, prefix) {
				want += len(evs)
			}
		}
		if counts != want || stats != int64(want) {
			t.Fatalf("%s: %s: term values count %d, term stats %d, want %d", label, prefix, counts, stats, want)
		}
	}
	timed := 0
	if err := st.EventsByTime(time.Time{}, time.Time{}, func(StoredEvent) error { timed++; return nil }); err != nil {
		t.Fatalf("%s: by time: %v", label, err)
	}
	if timed != n {
		t.Fatalf("%s: %d events by time, want %d", label, timed, n)
	}
}

// batchForms counts a case's batches by form.
func batchForms(t *testing.T, st *Store) map[string]int {
	t.Helper()
	forms := map[string]int{}
	st.db.View(func(tx *bolt.Tx) error {
		bs, err := batchesIn(tx, time.Time{}, time.Time{}, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			switch {
			case b.z:
				forms["z"]++
			case b.sealed:
				forms["sealed"]++
			default:
				forms["other"]++
			}
		}
		return nil
	})
	return forms
}

func checkClean(t *testing.T, st *Store, label string) {
	t.Helper()
	res, err := st.Check(context.Background(), nil)
	if err != nil {
		t.Fatalf("%s: check: %v", label, err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("%s: check: %+v", label, res.Problems)
	}
}

// TestSchema5CaseGetsCompressedBatches: a schema 5 case (sealed, not
// compressed posting values) opened for writing is marked schema 6 and
// gets its new batches compressed; queries, the check, re-indexing an
// item (which rewrites lists of both forms) and a reset and rebuild of
// the index all read both forms.
func TestSchema5CaseGetsCompressedBatches(t *testing.T) {
	st, path := newCase(t)
	if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "acquire"}); err != nil {
		t.Fatal(err)
	}
	defer func() { writeZ = true }()
	writeZ = false
	model := map[string][]string{}
	zCase(t, st, 1, 2, model)
	if err := st.db.Update(func(tx *bbtx) error { return tx.Bucket(bMeta).Put(kSchema, u64(5)) }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	writeZ = true
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.strict {
		t.Fatal("a schema 5 case is not strict")
	}
	zCase(t, st, 3, 4, model)
	if f := batchForms(t, st); f["sealed"] < 2 || f["z"] < 2 || f["other"] > 0 {
		t.Fatalf("batches by form: %v", f)
	}
	checkModel(t, st, model, "mixed")
	checkClean(t, st, "mixed")

	// Re-index item 2 (schema 5 batches) and item 3 (schema 6 ones): its
	// postings leave every batch, whichever its form.
	w := st.NewWriter(0)
	w.DeleteItemEvents(2)
	w.DeleteItemEvents(3)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for term, evs := range model {
		model[term] = slices.DeleteFunc(evs, func(e string) bool { return strings.HasPrefix(e, "2/") || strings.HasPrefix(e, "3/") })
		if len(model[term]) == 0 {
			delete(model, term)
		}
	}
	checkModel(t, st, model, "after deleting items 2 and 3")
	checkClean(t, st, "after deleting items 2 and 3")

	// Rebuild: every batch is written anew, compressed.
	if _, err := st.ResetIndex(func(*evidence.Item) bool { return false }); err != nil {
		t.Fatal(err)
	}
	model = map[string][]string{}
	zCase(t, st, 1, 4, model)
	if f := batchForms(t, st); f["sealed"] > 0 || f["z"] < 4 {
		t.Fatalf("after the rebuild, batches by form: %v", f)
	}
	checkModel(t, st, model, "rebuilt")
	checkClean(t, st, "rebuilt")
}

// TestDamagedCompressedPostings damages one compressed posting value at
// a time (a list of its own, a chunk) in every way: cut short, a bit
// flipped, resealed bytes that are no zstd frame, and a well-formed frame
// of garbage. The check names the batch and term; every query touching
// the value returns ErrCorrupted, and none panics.
func TestDamagedCompressedPostings(t *testing.T) {
	damages := []struct {
		name string
		do   func(k, v []byte) []byte // the stored value -> the damaged one
	}{
		{"cut short", func(k, v []byte) []byte { return v[:len(v)/2] }},
		{"bit flipped", func(k, v []byte) []byte {
			v = bytes.Clone(v)
			v[len(v)/3] ^= 0x10
			return v
		}},
		{"resealed non-frame", func(k, v []byte) []byte {
			body := bytes.Clone(v[:len(v)-codec.SumSize])
			body[0] ^= 0xff // the frame's magic number
			return codec.AppendSum(k, body)
		}},
		{"resealed frame cut short", func(k, v []byte) []byte {
			body := bytes.Clone(v[:(len(v)-codec.SumSize)*2/3])
			return codec.AppendSum(k, body)
		}},
		{"frame of garbage", func(k, v []byte) []byte {
			garbage := bytes.Repeat([]byte{0xff, 0x01, 0x80}, 100)
			return codec.AppendSum(k, codec.CompressPost(nil, garbage))
		}},
	}
	targets := []struct {
		name, term string
		key        func(batch uint64) []byte
		what       string // how the check names the value
	}{
		{"own list", "ip:10.0.0.1", func(b uint64) []byte { return codec.PostKey(b, "ip:10.0.0.1") }, `index list of batch %d for term "ip:10.0.0.1"`},
		{"chunk", "ak:ASIA0001", nil, `index chunk of batch %d from term `},
	}
	for _, tg := range targets {
		for _, d := range damages {
			t.Run(tg.name+"/"+d.name, func(t *testing.T) {
				st, _ := newCase(t)
				model := map[string][]string{}
				zCase(t, st, 1, 2, model)
				var batch uint64
				var key []byte
				err := st.db.Update(func(tx *bbtx) error {
					bs, err := batchesIn(tx, time.Time{}, time.Time{}, true)
					if err != nil {
						return err
					}
					b := bs[1]
					if !b.z {
						t.Fatalf("batch %d is not compressed", b.id)
					}
					batch = b.id
					pb := tx.Bucket(bEvPost)
					if tg.key != nil {
						key = tg.key(batch)
					} else {
						key = bytes.Clone(lastChunkAtOrBefore(pb, batch, tg.term))
					}
					v := pb.Get(key)
					if v == nil {
						t.Fatalf("no value %q", key)
					}
					return pb.Put(key, d.do(key, v))
				})
				if err != nil {
					t.Fatal(err)
				}
				res, err := st.Check(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf(tg.what, batch)
				named := false
				for _, p := range res.Problems {
					named = named || strings.Contains(p.Detail, want)
				}
				if !named {
					t.Fatalf("no problem names %q: %+v", want, res.Problems)
				}
				term := tg.term
				if tg.key == nil {
					term = string(key[9:]) // a term in the chunk
				}
				for name, q := range map[string]func() error{
					"by term": func() error {
						return st.EventsByTerm(term, time.Time{}, time.Time{}, func(StoredEvent) error { return nil })
					},
					"term values": func() error { return st.TermValues(term[:3], func(string, int) error { return nil }) },
					"term stats":  func() error { return st.TermStats(term[:3], func(TermStat) error { return nil }) },
					"term postings": func() error {
						return st.TermPostings(term[:3], func(string, time.Time, uint64, uint64) error { return nil })
					},
				} {
					if err := q(); !errors.Is(err, ErrCorrupted) {
						t.Errorf("%s: %v, want ErrCorrupted", name, err)
					}
				}
				// The time order reads only the lists of allTerm.
				if err := st.EventsByTime(time.Time{}, time.Time{}, func(StoredEvent) error { return nil }); err != nil {
					t.Errorf("by time: %v", err)
				}
			})
		}
	}
}

// lastChunkAtOrBefore is the key of batch's chunk that would hold term.
func lastChunkAtOrBefore(pb *bolt.Bucket, batch uint64, term string) []byte {
	want := codec.ChunkKey(batch, term)
	c := pb.Cursor()
	k, _ := c.Seek(want)
	if k == nil || !bytes.Equal(k, want) {
		k, _ = c.Prev()
	}
	if len(k) < 9 || !bytes.Equal(k[:9], want[:9]) {
		return nil
	}
	return k
}
