package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store/codec"
)

// TestCheckSummaryFacts: the derived-data check finds postings under
// summary facts that are missing or filed under another fact.
func TestCheckSummaryFacts(t *testing.T) {
	for _, tamper := range []string{"none", "drop", "move"} {
		t.Run(tamper, func(t *testing.T) {
			st, _ := newCase(t)
			w := st.NewWriter(0)
			t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
			for rec := uint64(1); rec <= 3; rec++ {
				if err := w.PutEvent(EventRecord{Item: 1, Record: rec, Time: t0, Terms: []string{"\x02sa:v1", "ip:10.0.0.1"}, Data: []byte("e")}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			err := st.db.Update(func(tx *bbtx) error {
				pb := tx.Bucket(bEvPost)
				k := codec.ChunkKey(1, "\x02sa:v1")
				if pb.Get(k) == nil {
					t.Fatalf("no chunk for the fact")
				}
				b := batchInfo{id: 1, delta: true, sealed: true, z: true}
				switch tamper {
				case "drop":
					return pb.Delete(k)
				case "move":
					ps := []codec.Posting{{T: 0, Item: 1, Rec: 1}, {T: 0, Item: 1, Rec: 2}, {T: 0, Item: 1, Rec: 3}}
					for i := range ps {
						ps[i].T = termKeyTime(t0)
					}
					v, _ := codec.AppendChunkEntry(nil, nil, "\x02sa:v2", ps, true)
					return putPost(pb, b, k, v)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Check(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range res.Problems {
				found = found || strings.Contains(p.Detail, "summary fact")
			}
			if found != (tamper != "none") {
				t.Fatalf("tamper %s: summary fact problem %v; problems %+v", tamper, found, res.Problems)
			}
		})
	}
}
