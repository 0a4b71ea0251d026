package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

func newCase(t *testing.T) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "case.tcase")
	st, err := Create(p, evidence.CaseInfo{Name: "t", Examiner: "e", Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, p
}

// putBlob stores data as a new item from source and returns it.
func putBlob(t *testing.T, st *Store, w *Writer, source string, data []byte) evidence.Item {
	t.Helper()
	bw, err := w.NewBlob()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	it := evidence.Item{Source: source, Path: filepath.Base(source), Size: int64(len(data)), SHA256: evidence.Sum256(data), Kind: evidence.KindUnknown, Blob: bw.ID(), Custody: 1}
	id, err := w.PutItem(it, nil)
	if err != nil {
		t.Fatal(err)
	}
	it.ID = id
	return it
}

func TestCreateRefusesExisting(t *testing.T) {
	_, p := newCase(t)
	if _, err := Create(p, evidence.CaseInfo{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over existing: %v, want ErrExists", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notCase := filepath.Join(dir, "x.json")
	os.WriteFile(notCase, []byte(`{"Records":[]}`+strings.Repeat(" ", 8192)), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for name, tc := range map[string]struct {
		path string
		want error
	}{
		"missing":  {filepath.Join(dir, "nope"), ErrNoCase},
		"not case": {notCase, ErrNotCase},
		"empty":    {empty, ErrNotCase},
		"dir":      {dir, ErrNotCase},
	} {
		t.Run(name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			_, err := Open(tc.path, Options{ReadOnly: true})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			after, _ := os.ReadFile(tc.path)
			if !bytes.Equal(before, after) {
				t.Fatal("Open changed a file that is not a case")
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	st, p := newCase(t)
	if err := st.db.Update(func(tx *bbtx) error { return tx.Bucket(bMeta).Put(kSchema, u64(SchemaVersion+1)) }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(p, Options{}); !errors.Is(err, ErrNewer) {
		t.Fatalf("Open newer schema: %v, want ErrNewer", err)
	}
}

func TestLockTimeout(t *testing.T) {
	_, p := newCase(t) // held open for writing
	start := time.Now()
	_, err := Open(p, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "case is in use by another process") {
		t.Fatalf("message %q", err)
	}
	_ = start
}

// The default wait leaves a command room to report a held lock within a
// second of starting.
func TestLockDefaultWait(t *testing.T) {
	_, p := newCase(t) // held open for writing
	start := time.Now()
	_, err := Open(p, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 800*time.Millisecond {
		t.Fatalf("second writer waited %v, want well under a second", d)
	}
}

func TestBlobRoundTripAndCheck(t *testing.T) {
	st, _ := newCase(t)
	if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "init"}); err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(3 * ChunkSize) // force flushes mid-blob
	big := bytes.Repeat([]byte("0123456789abcdef"), (5*ChunkSize)/16+77)
	items := []evidence.Item{
		putBlob(t, st, w, "/src/big", big),
		putBlob(t, st, w, "/src/empty", nil),
		putBlob(t, st, w, "/src/small", []byte("hello")),
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, want := range items {
		it, err := st.Item(want.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(st.OpenBlob(it))
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got) != [32]byte(want.SHA256) || int64(len(got)) != want.Size {
			t.Fatalf("item %d: read back %d bytes with another hash", it.ID, len(got))
		}
		if id, _ := st.FindItem(it.Source, it.SHA256); id != it.ID {
			t.Fatalf("FindItem(%q) = %d, want %d", it.Source, id, it.ID)
		}
	}
	res, err := st.Check(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || res.Items != 3 {
		t.Fatalf("Check on intact case: %+v", res)
	}
}

func TestCheckFindsEveryTamperedItem(t *testing.T) {
	st, _ := newCase(t)
	st.AppendCustody(evidence.CustodyEntry{Action: "init"})
	w := st.NewWriter(0)
	a := putBlob(t, st, w, "/a", []byte("aaaa"))
	b := putBlob(t, st, w, "/b", bytes.Repeat([]byte("b"), ChunkSize+10))
	putBlob(t, st, w, "/c", []byte("cccc"))
	w.Flush()
	// Flip a byte in a's chunk and drop b's second chunk.
	err := st.db.Update(func(tx *bbtx) error {
		bl := tx.Bucket(bBlobs)
		v := bytes.Clone(bl.Get(chunkKey(a.Blob, 0)))
		v[0] ^= 1
		if err := bl.Put(chunkKey(a.Blob, 0), v); err != nil {
			return err
		}
		return bl.Delete(chunkKey(b.Blob, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Check(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[uint64]finding.Kind{}
	for _, p := range res.Problems {
		kinds[p.Item] = p.Kind
	}
	if kinds[a.ID] != ProblemHashMismatch || kinds[b.ID] != ProblemBlobMissing || len(res.Problems) != 2 {
		t.Fatalf("problems = %+v", res.Problems)
	}
}

func TestAbandonedAndInterruptedBlobsLeaveNoTrace(t *testing.T) {
	st, p := newCase(t)
	st.AppendCustody(evidence.CustodyEntry{Action: "init"})
	w := st.NewWriter(ChunkSize) // every chunk commits
	keep := putBlob(t, st, w, "/keep", []byte("keep"))
	bw, _ := w.NewBlob()
	bw.Write(bytes.Repeat([]byte("x"), 3*ChunkSize)) // committed chunks, no item: like a kill -9
	w.Flush()
	ab, _ := w.NewBlob()
	ab.Write(bytes.Repeat([]byte("y"), 2*ChunkSize))
	ab.Abandon()
	w.Flush()
	st.Close()
	st2, err := Open(p, Options{}) // writable open drops pending blobs
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	res, err := st2.Check(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || res.Items != 1 {
		t.Fatalf("after recovery: %+v", res)
	}
	if _, err := st2.Item(keep.ID); err != nil {
		t.Fatal(err)
	}
}

func TestCustodyChain(t *testing.T) {
	st, _ := newCase(t)
	for i := 0; i < 5; i++ {
		if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "step", Detail: strings.Repeat("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	n, probs, err := st.CheckCustody()
	if err != nil || n != 5 || len(probs) != 0 {
		t.Fatalf("intact chain: n=%d probs=%v err=%v", n, probs, err)
	}
	// Rewrite entry 3's detail without fixing its hash, and delete entry 5.
	st.db.Update(func(tx *bbtx) error {
		b := tx.Bucket(bCustody)
		v := bytes.Replace(b.Get(u64(3)), []byte(`"detail":"xx"`), []byte(`"detail":"yy"`), 1)
		b.Put(u64(3), v)
		return nil
	})
	_, probs, _ = st.CheckCustody()
	if len(probs) != 1 || probs[0].Seq != 3 || !strings.Contains(probs[0].Detail, "does not match its hash") {
		t.Fatalf("tampered entry: %+v", probs)
	}
	// A recomputed hash still breaks the next link.
	st.db.Update(func(tx *bbtx) error {
		b := tx.Bucket(bCustody)
		var e evidence.CustodyEntry
		jsonUnmarshal(b.Get(u64(3)), &e)
		e.Hash = e.ComputeHash()
		return putCustodyEntry(b, e)
	})
	_, probs, _ = st.CheckCustody()
	if len(probs) != 1 || probs[0].Seq != 4 || !strings.Contains(probs[0].Detail, "link to previous entry broken") {
		t.Fatalf("re-hashed entry: %+v", probs)
	}
}

func TestRunRecovery(t *testing.T) {
	st, _ := newCase(t)
	started, err := st.BeginRun(evidence.CustodyEntry{Action: "acquire", Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(0)
	bw, _ := w.NewBlob()
	bw.Write([]byte("data"))
	bw.Close()
	w.PutItem(evidence.Item{Source: "/x", Size: 4, SHA256: evidence.Sum256([]byte("data")), Blob: bw.ID(), Custody: started.Seq}, nil)
	w.Flush()
	// The process "dies" here: no EndRun.
	e, ok, err := st.RecoverRun(evidence.CustodyEntry{})
	if err != nil || !ok {
		t.Fatalf("RecoverRun: ok=%v err=%v", ok, err)
	}
	if e.Result != evidence.ResultInterrupted || len(e.Items) != 1 || e.Action != "acquire" {
		t.Fatalf("recovery entry %+v", e)
	}
	if _, ok, _ := st.RecoverRun(evidence.CustodyEntry{}); ok {
		t.Fatal("recovered twice")
	}
}

func TestEventsIndexAndDedup(t *testing.T) {
	st, _ := newCase(t)
	w := st.NewWriter(0)
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	put := func(item, rec uint64, minutes int, terms []string, dk string, content string) {
		t.Helper()
		if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: t0.Add(time.Duration(minutes) * time.Minute),
			Terms: terms, Data: []byte(content), DedupKey: dk, ContentHash: evidence.Sum256([]byte(content))}); err != nil {
			t.Fatal(err)
		}
	}
	put(1, 1, 5, []string{"ip:10.0.0.1", "p:alice"}, "ct:a", "A")
	put(1, 2, 1, []string{"ip:10.0.0.1"}, "", "flow")
	put(2, 1, 5, []string{"ip:10.0.0.2", "p:alice"}, "ct:a", "A") // duplicate: same id, time and content
	put(2, 2, 5, []string{"ip:10.0.0.1"}, "ct:a", "A-changed")    // conflict: kept
	put(2, 3, -60, []string{"ip:10.0.0.10"}, "", "before")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(2); s.Duplicates != 1 || s.Conflicts != 1 || s.Stored != 2 {
		t.Fatalf("stats item 2: %+v", s)
	}
	var got []string
	st.EventsByTerm("ip:10.0.0.1", time.Time{}, time.Time{}, func(e StoredEvent) error {
		got = append(got, string(e.Data))
		return nil
	})
	if strings.Join(got, ",") != "flow,A,A-changed" {
		t.Fatalf("ip:10.0.0.1 events in time order = %v", got)
	}
	got = nil
	st.EventsByTerm("ip:10.0.0.1", t0.Add(2*time.Minute), t0.Add(6*time.Minute), func(e StoredEvent) error {
		got = append(got, string(e.Data))
		return nil
	})
	if strings.Join(got, ",") != "A,A-changed" {
		t.Fatalf("windowed query = %v", got)
	}
	// "ip:10.0.0.1" must not match "ip:10.0.0.10".
	n := 0
	st.TermValues("ip:", func(term string, count int) error {
		n++
		if term == "ip:10.0.0.1" && count != 3 {
			t.Errorf("count %s = %d", term, count)
		}
		return nil
	})
	if n != 2 {
		t.Fatalf("distinct ip terms = %d, want 2 (10.0.0.1, 10.0.0.10)", n)
	}
	// Re-indexing item 1 removes its events and index entries.
	w.DeleteItemEvents(1)
	w.Flush()
	got = nil
	st.EventsByTime(time.Time{}, time.Time{}, func(e StoredEvent) error {
		got = append(got, string(e.Data))
		return nil
	})
	if strings.Join(got, ",") != "before,A-changed" {
		t.Fatalf("after delete = %v", got)
	}
}

func TestReadOnlyOpenLeavesFileUnchanged(t *testing.T) {
	st, p := newCase(t)
	st.AppendCustody(evidence.CustodyEntry{Action: "init"})
	w := st.NewWriter(0)
	putBlob(t, st, w, "/a", []byte("abc"))
	w.Flush()
	st.Close()
	before, _ := os.ReadFile(p)
	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ro.AllItems()
	ro.Check(context.Background(), nil)
	ro.EventsByTime(time.Time{}, time.Time{}, func(StoredEvent) error { return nil })
	ro.Close()
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("read-only open changed the case file")
	}
}

func TestEventsAcrossBatches(t *testing.T) {
	st, _ := newCase(t)
	w := st.NewWriter(1) // every event is its own batch
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	// Items arrive out of time order, as files from several sources do.
	order := []int{5, 1, 9, 3, 7, 0, 8, 2, 6, 4}
	for i, m := range order {
		w.PutEvent(EventRecord{Item: uint64(1 + i%3), Record: uint64(i + 1), Time: t0.Add(time.Duration(m) * time.Minute),
			Terms: []string{"ip:1.1.1.1", fmt.Sprintf("n:%d", m%2)}, Data: []byte(fmt.Sprint(m))})
	}
	w.Flush()
	collect := func(f func(func(StoredEvent) error) error) string {
		var got []string
		if err := f(func(e StoredEvent) error { got = append(got, string(e.Data)); return nil }); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, "")
	}
	if got := collect(func(fn func(StoredEvent) error) error { return st.EventsByTime(time.Time{}, time.Time{}, fn) }); got != "0123456789" {
		t.Fatalf("by time = %s", got)
	}
	if got := collect(func(fn func(StoredEvent) error) error {
		return st.EventsByTime(t0.Add(3*time.Minute), t0.Add(7*time.Minute), fn)
	}); got != "3456" {
		t.Fatalf("window = %s", got)
	}
	if got := collect(func(fn func(StoredEvent) error) error { return st.EventsByTerm("n:1", time.Time{}, time.Time{}, fn) }); got != "13579" {
		t.Fatalf("term = %s", got)
	}
	if n, _ := st.EventCount(); n != 10 {
		t.Fatalf("count = %d", n)
	}
	w.DeleteItemEvents(1)
	w.Flush()
	if got := collect(func(fn func(StoredEvent) error) error {
		return st.EventsByTerm("ip:1.1.1.1", time.Time{}, time.Time{}, fn)
	}); got != "012679" {
		t.Fatalf("after deleting item 1 = %s", got)
	}
	if n, _ := st.EventCount(); n != 6 {
		t.Fatalf("count after delete = %d", n)
	}
}

func BenchmarkPutEvents(b *testing.B) {
	p := filepath.Join(b.TempDir(), "b.tcase")
	st, _ := Create(p, evidence.CaseInfo{})
	defer st.Close()
	w := st.NewWriter(0)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	data := bytes.Repeat([]byte(`{"eventName":"GetObject","sourceIPAddress":"10.0.0.1"}`), 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.PutEvent(EventRecord{Item: uint64(i/1000 + 1), Record: uint64(i%1000 + 1), Time: t0.Add(time.Duration(i) * time.Second),
			Terms: []string{fmt.Sprintf("ip:10.%d.%d.%d", i%7, i%251, i%13), fmt.Sprintf("p:user%d", i%17), "ak:AKIA" + fmt.Sprint(i%29)},
			Data:  data, DedupKey: fmt.Sprintf("ct:%08x", i*2654435761), ContentHash: evidence.SHA256{byte(i)}})
	}
	w.Flush()
}

func TestDedupSameContentCallback(t *testing.T) {
	st, _ := newCase(t)
	w := st.NewWriter(0)
	w.SetSameContent(func(stored, incoming []byte) bool {
		return strings.EqualFold(string(stored), string(incoming)) // "same record, other layout"
	})
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	put := func(item, rec uint64, data string) {
		w.PutEvent(EventRecord{Item: item, Record: rec, Time: t0, Terms: []string{"ip:1.1.1.1"}, Data: []byte(data),
			DedupKey: "k", ContentHash: evidence.Sum256([]byte(data))})
	}
	put(1, 1, "record")
	put(2, 1, "RECORD") // same in another layout, same flush (still in the block being built)
	w.Flush()
	put(3, 1, "Record") // same, in a later flush
	put(4, 1, "other")  // a real conflict
	w.Flush()
	if s := w.Stats(2); s.Duplicates != 1 {
		t.Fatalf("item 2: %+v", s)
	}
	if s := w.Stats(3); s.Duplicates != 1 {
		t.Fatalf("item 3: %+v", s)
	}
	if s := w.Stats(4); s.Conflicts != 1 || s.Stored != 1 {
		t.Fatalf("item 4: %+v", s)
	}
}

// TestWriterRefusesReadOnlyFile: a case whose mode lets nobody write is
// refused by a writer, also as root; a reader opens it.
func TestWriterRefusesReadOnlyFile(t *testing.T) {
	st, p := newCase(t)
	st.Close()
	if err := os.Chmod(p, 0o444); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p, Options{}); !errors.Is(err, ErrReadOnlyFile) {
		t.Fatalf("writable open of a mode 444 case: %v, want ErrReadOnlyFile", err)
	}
	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a mode 444 case: %v", err)
	}
	ro.Close()
}

// TestCloseTrimsTail: a writer's Close gives back the room bbolt
// allocated ahead at the end of the file; the case reopens, checks clean
// and grows again when written to. A reader leaves the file as it is.
func TestCloseTrimsTail(t *testing.T) {
	st, p := newCase(t)
	w := st.NewWriter(0)
	for i := range 40 {
		data := bytes.Repeat([]byte{byte(i)}, 512<<10) // 20 MiB in all: past bbolt's 16 MiB step
		putBlob(t, st, w, fmt.Sprintf("mem:%d", i), data)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var used int64
	st.db.View(func(tx *bbtx) error { used = tx.Size(); return nil })
	if fi, _ := os.Stat(p); fi.Size() <= used {
		t.Fatalf("before close: file %d, used %d: nothing to trim, the test shows nothing", fi.Size(), used)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Size() != used {
		t.Fatalf("after close: file %d, want %d", fi.Size(), used)
	}
	st, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w = st.NewWriter(0)
	putBlob(t, st, w, "mem:more", bytes.Repeat([]byte("x"), 4<<20))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if problems, err := st.CheckStructure(context.Background()); err != nil || len(problems) != 0 {
		t.Fatalf("structure: %v %q", err, problems)
	}
	n := 0
	if err := st.Items(func(it evidence.Item) error {
		b, err := io.ReadAll(st.OpenBlob(it))
		if err != nil || int64(len(b)) != it.Size {
			t.Fatalf("item %d: %d bytes of %d, %v", it.ID, len(b), it.Size, err)
		}
		n++
		return nil
	}); err != nil || n != 41 {
		t.Fatalf("%d items, %v", n, err)
	}
	st.db.View(func(tx *bbtx) error { used = tx.Size(); return nil })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Size() != used {
		t.Fatalf("after the second close: file %d, want %d", fi.Size(), used)
	}
	// A reader changes nothing.
	before, _ := os.ReadFile(p)
	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("a reader changed the file")
	}
}
