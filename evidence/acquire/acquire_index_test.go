package acquire

import (
	"context"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/index"
	"github.com/trailcase/trailcase/store"
)

// caseSummary renders the items and events of a case.
func caseSummary(t *testing.T, st *store.Store) string {
	t.Helper()
	var b strings.Builder
	items, err := st.AllItems()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		fmt.Fprintf(&b, "item %d %s %s %s events=%d warnings=%d flags=%v\n", it.ID, it.Path, it.Kind, it.ParseState, it.Events, it.WarningCount, it.Flags)
	}
	n := 0
	err = st.EventsByTime(time.Time{}, time.Time{}, func(e store.StoredEvent) error {
		n++
		terms, err := e.IndexTerms()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%d/%d %d %v %08x\n", e.Item, e.Record, e.Time.UnixNano(), terms, crc32.ChecksumIEEE(e.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%d events\n", n)
	return b.String()
}

// TestAcquireIndexesWhileStoring hands every committed item to the
// indexer at once (a commit after every file): the case must be the one
// a separate acquire --no-index and index produce.
func TestAcquireIndexesWhileStoring(t *testing.T) {
	old := handOverEvery
	handOverEvery = 0
	defer func() { handOverEvery = old }()
	dir := filepath.Join("..", "..", "testdata", "incident")

	together := newCase(t)
	rep, err := acquireDir(t, context.Background(), together, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Index.Items < 100 || rep.Index.Events < 500 {
		t.Fatalf("indexed %d items, %d events: the incident is bigger", rep.Index.Items, rep.Index.Events)
	}

	apart := newCase(t)
	src, err := OpenLocal(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(context.Background(), apart, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}, NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	irep, err := index.Run(context.Background(), apart, apart.NewWriter(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if irep.Events != rep.Index.Events || irep.Items != rep.Index.Items || irep.Duplicates != rep.Index.Duplicates {
		t.Fatalf("index reports differ: together %+v, apart %+v", rep.Index, irep)
	}
	if a, b := caseSummary(t, together), caseSummary(t, apart); a != b {
		t.Fatalf("cases differ:\n--- together\n%s\n--- apart\n%s", a, b)
	}
	if res, err := together.Check(context.Background(), nil); err != nil || len(res.Problems) != 0 {
		t.Fatalf("check: %v %+v", err, res.Problems)
	}
}

func TestIDRanges(t *testing.T) {
	got := idRanges([]uint64{7, 3, 4, 5, 9, 10, 4, 1})
	want := [][2]uint64{{1, 1}, {3, 5}, {7, 7}, {9, 10}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("idRanges = %v, want %v", got, want)
	}
	if got := idRanges(nil); len(got) != 0 {
		t.Fatalf("idRanges(nil) = %v", got)
	}
}
