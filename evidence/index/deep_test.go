package index

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
)

const flowLog = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 111122223333 eni-0a1b2c3d 203.0.113.7 10.0.1.5 51515 443 6 10 840 1714557600 1714557660 ACCEPT OK
2 111122223333 eni-0a1b2c3d 10.0.1.5 203.0.113.7 443 51515 6 8 4000 1714557600 1714557660 ACCEPT OK
2 111122223333 eni-0a1b2c3d 10.0.1.5 203.0.113.9 443 51516 6 8 4000 1714557601 1714557660 ACCEPT OK
`

// newCase returns a case holding n copies of a flow log, indexed.
func newCase(t *testing.T, n int) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "c.tcase"), evidence.CaseInfo{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := st.NewWriter(0)
	for i := range n {
		b, err := w.NewBlob()
		if err != nil {
			t.Fatal(err)
		}
		data := []byte(flowLog)
		b.Write(data)
		b.Close()
		it := evidence.Item{Source: "mem:" + string(rune('a'+i)), Path: "flow.log", Size: int64(len(data)), SHA256: evidence.Sum256(data),
			Kind: "vpcflow", Blob: b.ID(), ParseState: evidence.ParsePending}
		if _, err := w.PutItem(it, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), st, st.NewWriter(0), nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDeepAndRebuild(t *testing.T) {
	st := newCase(t, 5)
	ctx := context.Background()
	rep, err := Deep(ctx, st, nil)
	if err != nil || len(rep.Problems) != 0 || rep.Items != 5 || rep.Events != 15 {
		t.Fatalf("intact: %+v, %v", rep, err)
	}

	// Drop the last event of item 3 and change its first.
	var evs []store.StoredEvent
	st.ItemEvents(3, func(e store.StoredEvent) error { evs = append(evs, e); return nil })
	w := st.NewWriter(0)
	w.DeleteItemEvents(3)
	for i, e := range evs[:len(evs)-1] {
		if i == 0 {
			e.Data = bytes.Clone(e.Data)
			e.Data[bytes.LastIndexAny(e.Data, "0123456789")]++ // a flow line's end time, one second later
		}
		terms, err := e.IndexTerms()
		if err != nil {
			t.Fatal(err)
		}
		w.PutEvent(store.EventRecord{Item: 3, Record: e.Record, Time: e.Time, Terms: terms, Data: e.Data})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rep, err = Deep(ctx, st, nil)
	if err != nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != finding.EventsDiffer || rep.Problems[0].Item != 3 {
		t.Fatalf("altered: %+v, %v", rep, err)
	}

	rb, err := Rebuild(ctx, st, nil)
	if err != nil || rb.Reset != 5 || rb.After.Events != 15 || rb.Index.Items != 5 {
		t.Fatalf("rebuild: %+v, %v", rb, err)
	}
	if rep, err = Deep(ctx, st, nil); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("after rebuild: %+v, %v", rep, err)
	}
}
