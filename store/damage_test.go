package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// damageCase builds a small case with items, custody entries, events
// (half of the items' stored with their terms, half without), keys and
// bucket states, spread over enough pages to have branch pages.
func damageCase(t *testing.T, path string) {
	t.Helper()
	st, err := Create(path, evidence.CaseInfo{Name: "d", Examiner: "e", Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.BeginRun(evidence.CustodyEntry{Action: "acquire"})
	if err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(0)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		if i == 6 {
			termsInData(t)
		}
		data := bytes.Repeat([]byte(fmt.Sprintf(`{"n":%d}`, i)), 200*(i+1))
		it := putBlob(t, st, w, fmt.Sprintf("/src/f%02d.json", i), data)
		for r := range 150 {
			terms := []string{fmt.Sprintf("ip:10.0.%d.%d", i, r%9), fmt.Sprintf("p:user%d", r%5)}
			data := []byte(fmt.Sprintf(`{"eventName":"Get","i":%d,"r":%d}`, i, r))
			if i >= 6 {
				data = withTerms(string(data), terms)
			}
			w.PutEvent(EventRecord{Item: it.ID, Record: uint64(r + 1), Time: t0.Add(time.Duration(i*150+r) * time.Second),
				Terms: terms, Data: data, DedupKey: fmt.Sprintf("k%d-%d", i, r)})
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EndRun(run.Seq, evidence.CustodyEntry{Action: "acquire", Result: evidence.ResultOK}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutKeys([]evidence.PublicKey{{Fingerprint: "ab"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutBucket(evidence.Bucket{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCheck(CheckRecord{Name: "verify", Time: t0}); err != nil {
		t.Fatal(err)
	}
}

// damagePoint is one way to damage a copy of the case.
type damagePoint struct {
	name  string
	flip  int64 // offset of a byte to invert, or -1
	trunc int64 // new size, or -1
}

func damagePoints(t *testing.T, size int64, pageSize int64) []damagePoint {
	n := 40
	if v, err := strconv.Atoi(os.Getenv("TRAILCASE_CORRUPT_POINTS")); err == nil && v > 0 {
		n = v
	}
	seed := time.Now().UnixNano()
	if v, err := strconv.ParseInt(os.Getenv("TRAILCASE_CORRUPT_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (TRAILCASE_CORRUPT_SEED to replay), %d points", seed, n)
	r := rand.New(rand.NewSource(seed))
	pages := size / pageSize
	var out []damagePoint
	for range n {
		// A byte of a page header (id, flags, count, overflow) or of the
		// element headers after it, where pointers to other pages live.
		page := 2 + r.Int63n(pages-2)
		off := page*pageSize + r.Int63n(pageHeaderSize+4*16)
		out = append(out, damagePoint{name: fmt.Sprintf("flip byte %d (page %d)", off, page), flip: off, trunc: -1})
	}
	for _, frac := range []int64{2, 3, 5} {
		cut := size / frac / pageSize * pageSize
		out = append(out, damagePoint{name: fmt.Sprintf("truncate at %d", cut), flip: -1, trunc: cut})
	}
	out = append(out, damagePoint{name: "truncate mid-page", flip: -1, trunc: size - pageSize/2})
	out = append(out, damagePoint{name: "truncate last page", flip: -1, trunc: size - pageSize})
	return out
}

// TestDamagedCaseNeverPanics damages copies of a small case (flipped bytes
// in page headers, truncation) and runs every store entry point on each in
// a child process: none may panic or crash, a truncated case is refused at
// open, and a refused writable open leaves the file as it was.
func TestDamagedCaseNeverPanics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and damages cases")
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.tcase")
	damageCase(t, orig)
	good, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := readMeta(bytes.NewReader(good), 0)
	size := m.highWater * m.pageSize
	for i, p := range damagePoints(t, size, m.pageSize) {
		bad := bytes.Clone(good[:size])
		if p.flip >= 0 {
			bad[p.flip] ^= 0xff
		}
		if p.trunc >= 0 {
			bad = bad[:p.trunc]
		}
		path := filepath.Join(dir, fmt.Sprintf("d%03d.tcase", i))
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		calls := runDamageChild(t, p.name, path)
		if d := time.Since(start); d > time.Second {
			t.Logf("%s: %v", p.name, d)
		}
		for _, c := range calls {
			if c.Panic != "" {
				t.Errorf("%s: %s panicked: %s", p.name, c.Call, c.Panic)
			}
		}
		if p.trunc >= 0 {
			for _, c := range calls {
				if strings.HasPrefix(c.Call, "Open") && c.Err == "" {
					t.Errorf("%s: %s opened a truncated case", p.name, c.Call)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
				t.Errorf("%s: a refused open changed the file", p.name)
			}
		}
	}
}

type damageCall struct {
	Call  string `json:"call"`
	Err   string `json:"err,omitempty"`
	Panic string `json:"panic,omitempty"`
}

func runDamageChild(t *testing.T, point, path string) []damageCall {
	// A child takes well under a second; the limit only has to tell a hang
	// from a machine busy with other tests.
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDamageChild$")
	cmd.Env = append(os.Environ(), "TRAILCASE_DAMAGE_CHILD="+path)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) } // a stack dump of the hang
	out, err := cmd.Output()
	var calls []damageCall
	for line := range strings.Lines(string(out)) {
		var c damageCall
		if json.Unmarshal([]byte(line), &c) == nil && c.Call != "" {
			calls = append(calls, c)
		}
	}
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		last := "none"
		if len(calls) > 0 {
			last = calls[len(calls)-1].Call
		}
		t.Errorf("%s: the child crashed (%v) after %d calls (last %s):\n%s", point, err, len(calls), last, stderr[max(0, len(stderr)-20000):])
	}
	return calls
}

// TestDamageChild is the child of TestDamagedCaseNeverPanics: it runs
// every entry point on the case it is given and prints one line per call.
func TestDamageChild(t *testing.T) {
	path := os.Getenv("TRAILCASE_DAMAGE_CHILD")
	if path == "" {
		t.Skip("run by TestDamagedCaseNeverPanics")
	}
	termsInData(t) // as damageCase wrote the events
	enc := json.NewEncoder(os.Stdout)
	call := func(name string, fn func() error) (err error) {
		c := damageCall{Call: name}
		defer func() {
			if r := recover(); r != nil {
				c.Panic = fmt.Sprint(r)
			}
			enc.Encode(c)
		}()
		if err = fn(); err != nil {
			c.Err = err.Error()
		}
		return err
	}
	var ro, rw *Store
	call("Open", func() (err error) { ro, err = Open(path, Options{ReadOnly: true}); return err })
	if ro != nil {
		damageReads(ro, call)
		call("Close", ro.Close)
	}
	call("OpenWritable", func() (err error) { rw, err = Open(path, Options{}); return err })
	if rw != nil {
		damageWrites(rw, call)
		call("CloseWritable", rw.Close)
	}
}

func damageReads(s *Store, call func(string, func() error) error) {
	ctx := context.Background()
	call("Info", func() error { _, err := s.Info(); return err })
	call("Stat", func() error { _, err := s.Stat(); return err })
	call("AllItems", func() error { _, err := s.AllItems(); return err })
	for id := uint64(1); id <= 12; id++ {
		call("Item", func() error {
			it, err := s.Item(id)
			if err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, s.OpenBlob(it)); err != nil {
				return err
			}
			_, err = s.Sidecar(id)
			return err
		})
		call("ItemEvents", func() error { return s.ItemEvents(id, func(StoredEvent) error { return nil }) })
	}
	call("FindItem", func() error { _, err := s.FindItem("/src/f01.json", evidence.SHA256{}); return err })
	call("ItemsFromSource", func() error { _, err := s.ItemsFromSource("/src/f01.json"); return err })
	call("LatestCheck", func() error { _, _, err := s.LatestCheck("verify"); return err })
	call("Keys", func() error { _, err := s.Keys(); return err })
	call("Buckets", func() error { _, err := s.Buckets(); return err })
	call("Custody", func() error { return s.Custody(func(evidence.CustodyEntry) error { return nil }) })
	call("CheckCustodyLog", func() error { _, err := s.CheckCustodyLog(); return err })
	call("CustodyHead", func() error { _, _, err := s.CustodyHead(); return err })
	call("Event", func() error { _, _, err := s.Event(3, 7); return err })
	call("EventsByTerm", func() error {
		return s.EventsByTerm("p:user1", time.Time{}, time.Time{}, func(e StoredEvent) error { _, _ = e.IndexTerms(); return nil })
	})
	call("EventsByTime", func() error { return s.EventsByTime(time.Time{}, time.Time{}, func(StoredEvent) error { return nil }) })
	call("TermValues", func() error { return s.TermValues("ip:", func(string, int) error { return nil }) })
	call("EventCount", func() error { _, err := s.EventCount(); return err })
	var findings []string
	err := call("CheckStructure", func() (err error) { findings, err = s.CheckStructure(ctx); return err })
	if err == nil && len(findings) == 0 {
		// Check runs bbolt's own check, unguarded until it calls
		// CheckStructure: only on a case whose structure is sound.
		call("Check", func() error { _, err := s.Check(ctx, nil); return err })
	}
}

func damageWrites(s *Store, call func(string, func() error) error) {
	call("AppendCustody", func() error { _, err := s.AppendCustody(evidence.CustodyEntry{Action: "x"}); return err })
	call("RecoverRun", func() error { _, _, err := s.RecoverRun(evidence.CustodyEntry{}); return err })
	call("PutItem", func() error {
		w := s.NewWriter(0)
		bw, err := w.NewBlob()
		if err != nil {
			return err
		}
		bw.Write([]byte("new"))
		if err := bw.Close(); err != nil {
			return err
		}
		if _, err := w.PutItem(evidence.Item{Source: "/new", Size: 3, SHA256: evidence.Sum256([]byte("new")), Blob: bw.ID(), Custody: 1}, nil); err != nil {
			return err
		}
		w.PutEvent(EventRecord{Item: 13, Record: 1, Time: time.Now(), Terms: []string{"ip:1.2.3.4"}, Data: []byte("{}")})
		return w.Flush()
	})
	call("UpdateItem", func() error {
		it, err := s.Item(2)
		if err != nil {
			return err
		}
		return s.UpdateItem(it)
	})
	call("PutCheck", func() error { return s.PutCheck(CheckRecord{Name: "verify", Time: time.Now()}) })
}

func TestCustodyTruncationDetected(t *testing.T) {
	st, _ := newCase(t)
	for range 3 {
		if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, head, err := st.CustodyHead(); err != nil || n != 3 || head == (evidence.SHA256{}) {
		t.Fatalf("CustodyHead = %d, %s, %v", n, head, err)
	}
	if _, problems, err := st.CheckCustody(); err != nil || len(problems) != 0 {
		t.Fatalf("intact log: %v %v", problems, err)
	}
	if err := st.db.Update(func(tx *bbtx) error { return tx.Bucket(bCustody).Delete(u64(3)) }); err != nil {
		t.Fatal(err)
	}
	n, problems, err := st.CheckCustody()
	if err != nil || n != 2 {
		t.Fatalf("CheckCustody: %d entries, %v", n, err)
	}
	if len(problems) != 2 || !strings.Contains(problems[0].Detail, "recorded 3") || !strings.Contains(problems[1].Detail, "cut short") {
		t.Fatalf("deleting the newest entry: %+v", problems)
	}
}

// A case written before the custody head was kept: a reader says so, a
// writer records it.
func TestCustodyHeadOlderCase(t *testing.T) {
	st, p := newCase(t)
	e, err := st.AppendCustody(evidence.CustodyEntry{Action: "x"})
	if err != nil {
		t.Fatal(err)
	}
	st.db.Update(func(tx *bbtx) error {
		tx.Bucket(bMeta).Delete(kCustodyCount)
		return tx.Bucket(bMeta).Delete(kCustodyHead)
	})
	st.Close()
	ro, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ro.CheckCustodyLog()
	if err != nil || len(r.Problems) != 0 || len(r.Notices) != 1 || !strings.Contains(r.Notices[0], "head not recorded") {
		t.Fatalf("older case read-only: %+v %v", r, err)
	}
	if _, _, err := ro.CustodyHead(); err != ErrNoCustodyHead {
		t.Fatalf("CustodyHead: %v", err)
	}
	ro.Close()
	rw, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if n, head, err := rw.CustodyHead(); err != nil || n != 1 || head != e.Hash {
		t.Fatalf("recorded at writable open: %d %s %v", n, head, err)
	}
}

// The guard turns a bbolt panic into a DamageError naming the page.
func TestGuardNamesPage(t *testing.T) {
	err := guarded(nil, func() error {
		panic("assertion failed: Page expected to be: 23, but self identifies as 512")
	})
	var d *DamageError
	if !errors.As(err, &d) || d.Page != 23 || !strings.Contains(err.Error(), "case file is damaged") {
		t.Fatalf("guarded: %v", err)
	}
}
