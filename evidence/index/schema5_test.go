package index

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// openSchema5 returns a writable copy of testdata/schema5.tcase.gz: a
// case trailcase wrote at schema 5 (events stored with their terms) from
// a CloudTrail file and a flow log.
func openSchema5(t *testing.T) *store.Store {
	t.Helper()
	return openFixture(t, "testdata/schema5.tcase.gz")
}

// openFixture returns a writable copy of the gzipped case at path.
func openFixture(t *testing.T, path string) *store.Store {
	t.Helper()
	gz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "case.tcase")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// addItem stores data as a new item, pending indexing, under a custody
// entry of its own, and returns it.
func addItem(t *testing.T, st *store.Store, it evidence.Item, data []byte) evidence.Item {
	t.Helper()
	ce, err := st.AppendCustody(evidence.CustodyEntry{Action: "acquire", Result: evidence.ResultOK})
	if err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(0)
	bw, err := w.NewBlob()
	if err != nil {
		t.Fatal(err)
	}
	bw.Write(data)
	bw.Close()
	it.Size, it.SHA256, it.Blob, it.ParseState, it.Custody = int64(len(data)), evidence.Sum256(data), bw.ID(), evidence.ParsePending, ce.Seq
	if it.ID, err = w.PutItem(it, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return it
}

// termDump renders the events found under each of terms, with their
// terms, and whether each was stored with its terms.
func termDump(t *testing.T, st *store.Store, terms ...string) (string, map[bool]int) {
	t.Helper()
	var b strings.Builder
	forms := map[bool]int{}
	for _, term := range terms {
		fmt.Fprintf(&b, "%s:\n", term)
		err := st.EventsByTerm(term, time.Time{}, time.Time{}, func(e store.StoredEvent) error {
			terms, err := e.IndexTerms()
			if err != nil {
				return err
			}
			// The terms a schema 5 case stored are the terms computed
			// from its events.
			computed, err := storedTerms(e.Data, nil)
			if err != nil || !slices.Equal(computed, terms) {
				t.Fatalf("event %d/%d: terms %q, computed %q (%v)", e.Item, e.Record, terms, computed, err)
			}
			forms[e.Termless()]++
			fmt.Fprintf(&b, "  %d/%d %s %q\n", e.Item, e.Record, e.Time.Format(time.RFC3339), terms)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.String(), forms
}

// TestSchema5Case: a schema 5 case indexed into after the upgrade holds
// events stored with their terms and events stored without; it checks
// clean, deep and shallow, answers queries from both, and rebuilds to
// the same answers.
func TestSchema5Case(t *testing.T) {
	ctx := context.Background()
	st := openSchema5(t)
	terms := []string{"ip:203.0.113.7", "ip:10.0.1.5", "p:arn:aws:iam::111122223333:user/alice", "issued:ASIAEXAMPLE2", "ev:assumerole"}
	before, forms := termDump(t, st, terms...)
	if forms[true] != 0 || forms[false] == 0 {
		t.Fatalf("the fixture's events: %v (termless: count)", forms)
	}

	// One more flow log, indexed now: its events are stored without terms.
	addItem(t, st, evidence.Item{Source: "mem:new", Path: "new.log", Kind: evidence.KindVPCFlow}, []byte(flowLog))
	if _, err := Run(ctx, st, st.NewWriter(0), nil); err != nil {
		t.Fatal(err)
	}
	mixed, forms := termDump(t, st, terms...)
	if forms[true] == 0 || forms[false] == 0 || !strings.Contains(mixed, "  3/2 ") {
		t.Fatalf("mixed case: %v (termless: count)\n%s", forms, mixed)
	}
	res, err := st.Check(ctx, nil)
	if err != nil || len(res.Problems) != 0 || len(res.Notices) != 0 {
		t.Fatalf("check: %v %+v %q", err, res.Problems, res.Notices)
	}
	deep, err := Deep(ctx, st, nil)
	if err != nil || len(deep.Problems) != 0 || deep.Items != 3 {
		t.Fatalf("deep: %+v, %v", deep, err)
	}

	// A rebuild stores every event without its terms; the answers stay.
	if _, err := Rebuild(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	rebuilt, forms := termDump(t, st, terms...)
	if forms[false] != 0 || rebuilt != mixed {
		t.Fatalf("rebuilt: %v (termless: count)\n%s\nwas\n%s", forms, rebuilt, mixed)
	}
	// The fixture's own events are found as before.
	var old strings.Builder
	for line := range strings.Lines(rebuilt) {
		if !strings.HasPrefix(line, "  3/") {
			old.WriteString(line)
		}
	}
	if old.String() != before {
		t.Fatalf("the fixture's events now\n%s\nbefore\n%s", old.String(), before)
	}
	res, err = st.Check(ctx, nil)
	if err != nil || len(res.Problems) != 0 {
		t.Fatalf("check after rebuild: %v %+v", err, res.Problems)
	}
}

// TestSchema5DedupKeys: the duplicate keys of a schema 5 case are of the
// older form (the key as written, the whole SHA-256): the fixture
// schema5-dedup.tcase.gz is a case trailcase wrote at schema 5 from one
// CloudTrail file of six events whose eventIDs are UUIDs. A copy of its
// CloudTrail file indexed after the upgrade repeats every event; each
// event's owner is found under the older key; deleting the original's
// events frees those keys, so the copy indexed again is stored, under keys
// of the new form, and owns them.
func TestSchema5DedupKeys(t *testing.T) {
	ctx := context.Background()
	st := openFixture(t, "testdata/schema5-dedup.tcase.gz")
	var ct evidence.Item
	if err := st.Items(func(it evidence.Item) error {
		if it.Kind == evidence.KindCloudTrail {
			ct = it
		}
		return nil
	}); err != nil || ct.ID == 0 {
		t.Fatalf("no CloudTrail item in the fixture: %v", err)
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(st.OpenBlob(ct)); err != nil {
		t.Fatal(err)
	}
	// owners returns the owner of each of item's events' dedup keys.
	owners := func(item uint64) (keys int, owned map[uint64]int) {
		t.Helper()
		owned = map[uint64]int{}
		err := st.ItemEvents(item, func(e store.StoredEvent) error {
			ev, err := timeline.DecodeEvent(e.Data)
			if err != nil {
				return err
			}
			if ev.DedupKey() == "" {
				return nil
			}
			keys++
			owner, rec, ok, err := st.DedupOwner(e.Time, ev.DedupKey())
			if err != nil || !ok || (owner == item && rec != e.Record) {
				t.Fatalf("owner of %q: %d/%d %v %v", ev.DedupKey(), owner, rec, ok, err)
			}
			owned[owner]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return keys, owned
	}
	keys, owned := owners(ct.ID)
	if keys == 0 || owned[ct.ID] != keys {
		t.Fatalf("fixture: %d keys, owners %v", keys, owned)
	}

	cp := addItem(t, st, evidence.Item{Source: "mem:copy", Path: "copy.json.gz", Kind: evidence.KindCloudTrail, Compression: ct.Compression}, raw.Bytes())
	rep, err := Run(ctx, st, st.NewWriter(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Duplicates != int64(keys) {
		t.Fatalf("copy after the upgrade: %d duplicates, want %d: %+v", rep.Duplicates, keys, rep)
	}
	if n, _ := owners(cp.ID); n != 0 {
		t.Fatalf("the copy's events were stored: %d", n)
	}

	// The original's events deleted, its older keys go with them; the
	// copy indexed again owns keys of the new form.
	w := st.NewWriter(0)
	if err := w.DeleteItemEvents(ct.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := indexItems(ctx, st, st.NewWriter(0), nil, []uint64{cp.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if n, owned := owners(cp.ID); n != keys || owned[cp.ID] != keys {
		t.Fatalf("copy indexed again: %d keys, owners %v", n, owned)
	}
	res, err := st.Check(ctx, nil)
	if err != nil || len(res.Problems) != 0 {
		t.Fatalf("check: %v %+v", err, res.Problems)
	}
}
