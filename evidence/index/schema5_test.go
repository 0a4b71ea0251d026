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
)

// openSchema5 returns a writable copy of testdata/schema5.tcase.gz: a
// case trailcase wrote at schema 5 (events stored with their terms) from
// a CloudTrail file and a flow log.
func openSchema5(t *testing.T) *store.Store {
	t.Helper()
	gz, err := os.ReadFile("testdata/schema5.tcase.gz")
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
	path := filepath.Join(t.TempDir(), "schema5.tcase")
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
	ce, err := st.AppendCustody(evidence.CustodyEntry{Action: "acquire", Result: evidence.ResultOK})
	if err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(0)
	bw, err := w.NewBlob()
	if err != nil {
		t.Fatal(err)
	}
	bw.Write([]byte(flowLog))
	bw.Close()
	it := evidence.Item{Source: "mem:new", Path: "new.log", Size: int64(len(flowLog)), SHA256: evidence.Sum256([]byte(flowLog)),
		Kind: evidence.KindVPCFlow, Blob: bw.ID(), ParseState: evidence.ParsePending, Custody: ce.Seq}
	if _, err := w.PutItem(it, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
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
