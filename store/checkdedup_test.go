package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// verify checks the duplicate-key entries against the events they name:
// an entry must name a stored event that holds its key, with the hash of
// that event's record; either kind of forgery would make acquisition
// leave out a record as a copy of one the case does not hold.
func TestCheckDedupEntries(t *testing.T) {
	SetEventRaw(func(data []byte) ([]byte, error) { return data, nil })
	t.Cleanup(func() { SetEventRaw(nil) })
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	const uuid = "cloudtrail:3f2c1a9e-0b4d-4c8e-9f6a-2d7e5b1c0a44"
	build := func(t *testing.T) (*Store, string) {
		st, p := newCase(t)
		w := st.NewWriter(0)
		it := putBlob(t, st, w, "mem:ct", []byte("records"))
		for r := uint64(1); r <= 3; r++ {
			data := []byte(fmt.Sprint("record ", r))
			key := fmt.Sprint("cloudtrail:id-", r)
			if r == 3 {
				key = uuid
			}
			if err := w.PutEvent(EventRecord{Item: it.ID, Record: r, Time: at.Add(time.Duration(r) * time.Second),
				Terms: []string{"ip:10.0.0.1"}, Data: data, DedupKey: key, ContentHash: evidence.Sum256(data)}); err != nil {
				t.Fatal(err)
			}
		}
		// A record with record 1's eventID and time but other content is
		// stored beside it (a conflict); the entry keeps naming record 1.
		data := []byte("record 1, written otherwise")
		if err := w.PutEvent(EventRecord{Item: it.ID, Record: 4, Time: at.Add(time.Second),
			Terms: []string{"ip:10.0.0.1"}, Data: data, DedupKey: "cloudtrail:id-1", ContentHash: evidence.Sum256(data)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if s := w.Stats(it.ID); s.Stored != 4 || s.Conflicts != 1 {
			t.Fatalf("stats %+v", s)
		}
		return st, p
	}
	check := func(t *testing.T, st *Store) []string {
		t.Helper()
		res, err := st.Check(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range res.Problems {
			if p.Kind == ProblemIndexRefs || p.Kind == ProblemIndex {
				out = append(out, p.Detail)
			}
		}
		return out
	}
	// change runs fn on the duplicate-key bucket of st.
	change := func(t *testing.T, st *Store, fn func(d *bolt.Bucket) error) {
		t.Helper()
		if err := st.db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bEvDedup)) }); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("intact", func(t *testing.T) {
		st, _ := build(t)
		if got := check(t, st); len(got) != 0 {
			t.Fatalf("problems %q", got)
		}
	})
	t.Run("another record's hash", func(t *testing.T) {
		st, _ := build(t)
		k := dedupKey(tk(at.Add(3*time.Second)), uuid)
		change(t, st, func(d *bolt.Bucket) error {
			return d.Put(k, dedupValue(1, 3, evidence.Sum256([]byte("a record the case does not hold"))))
		})
		got := check(t, st)
		if len(got) != 1 || !strings.Contains(got[0], "record 3: the duplicate-key entry of "+uuid+" holds the hash of another record") {
			t.Fatalf("problems %q", got)
		}
	})
	t.Run("an entry naming no event", func(t *testing.T) {
		st, _ := build(t)
		forged := "cloudtrail:8d0e6b2a-1c3f-4a5b-9e7d-6f4c2b1a0d99"
		change(t, st, func(d *bolt.Bucket) error {
			return d.Put(dedupKey(tk(at), forged), dedupValue(1, 9, evidence.Sum256([]byte("x"))))
		})
		got := check(t, st)
		if len(got) != 1 || !strings.Contains(got[0], "entries naming no stored event that holds their key: 1 (the first: "+forged+", naming item 1 record 9)") {
			t.Fatalf("problems %q", got)
		}
	})
	t.Run("an entry moved to another event", func(t *testing.T) {
		st, _ := build(t)
		change(t, st, func(d *bolt.Bucket) error {
			return d.Put(dedupKey(tk(at.Add(time.Second)), "cloudtrail:id-1"), dedupValue(1, 2, evidence.Sum256([]byte("record 2"))))
		})
		got := check(t, st)
		if len(got) != 1 || !strings.Contains(got[0], `"cloudtrail:id-1", naming item 1 record 2`) {
			t.Fatalf("problems %q", got)
		}
	})
	t.Run("an entry removed", func(t *testing.T) {
		// An event without its entry is stored again if acquired again:
		// nothing is lost, nothing to report.
		st, _ := build(t)
		change(t, st, func(d *bolt.Bucket) error {
			return d.Delete(dedupKey(tk(at.Add(2*time.Second)), "cloudtrail:id-2"))
		})
		if got := check(t, st); len(got) != 0 {
			t.Fatalf("problems %q", got)
		}
	})
}

// tk is the time key of t as a number.
func tk(t time.Time) uint64 { return binary.BigEndian.Uint64(timeKey(t)) }
