package acquire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// fullDisk is a writer whose commits fail as on a full disk: every Flush
// from the failAt-th on, and every PutItem from putFailAt on (0: never).
type fullDisk struct {
	*store.Writer
	flushes, failAt int
	puts, putFailAt int
}

var errNoSpace = fmt.Errorf("write case %q: %w", "c.tcase", syscall.ENOSPC)

func (w *fullDisk) Flush() error {
	w.flushes++
	if w.failAt > 0 && w.flushes >= w.failAt {
		return errNoSpace
	}
	return w.Writer.Flush()
}

func (w *fullDisk) PutItem(it evidence.Item, sidecar []byte) (uint64, error) {
	w.puts++
	if w.putFailAt > 0 && w.puts >= w.putFailAt {
		return 0, errNoSpace
	}
	return w.Writer.PutItem(it, sidecar)
}

func withWriter(t *testing.T, f func(*store.Store) itemWriter) {
	old := newWriter
	newWriter = f
	t.Cleanup(func() { newWriter = old })
}

func lastCustody(st *store.Store) evidence.CustodyEntry {
	var last evidence.CustodyEntry
	st.Custody(func(e evidence.CustodyEntry) error { last = e; return nil })
	return last
}

func TestAcquireFullDisk(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.log": "aaa", "b.log": "bbb", "c.log": "ccc"})
	for _, tc := range []struct {
		name    string
		w       fullDisk
		noIndex bool
		each    bool   // a commit after every file
		item    string // named in the error
		stored  int
	}{
		{name: "final commit", w: fullDisk{failAt: 1}, noIndex: true, item: "a.log"},
		{name: "final commit while indexing", w: fullDisk{failAt: 1}, item: "a.log"},
		{name: "put of the second item", w: fullDisk{putFailAt: 2}, noIndex: true, item: "b.log"},
		{name: "second commit", w: fullDisk{failAt: 2}, each: true, item: "b.log", stored: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.each {
				old := handOverEvery
				handOverEvery = 0
				defer func() { handOverEvery = old }()
			}
			st := newCase(t)
			withWriter(t, func(st *store.Store) itemWriter {
				w := tc.w
				w.Writer = st.NewWriter(0)
				return &w
			})
			src, err := OpenLocal(dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}, NoIndex: tc.noIndex})
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), tc.item) {
				t.Fatalf("err = %v, want no space naming %s", err, tc.item)
			}
			items, _ := st.AllItems()
			if len(items) != tc.stored || len(rep.Stored) != len(items) || rep.Bytes != int64(3*len(items)) {
				t.Fatalf("reported %d stored (%d bytes), the case holds %d", len(rep.Stored), rep.Bytes, len(items))
			}
			last := lastCustody(st)
			if last.Result != evidence.ResultFailed || !strings.Contains(last.Detail, "no space left on device") || len(last.Items) != len(items) {
				t.Fatalf("custody: %+v", last)
			}
			var data struct{ Error string }
			if json.Unmarshal(last.Data, &data); !strings.Contains(data.Error, tc.item) {
				t.Fatalf("custody data: %s", last.Data)
			}
			if res, _ := st.Check(context.Background(), nil); len(res.Problems) != 0 {
				t.Fatalf("check: %+v", res.Problems)
			}
		})
	}
}

func TestAcquireSkipsTheCaseFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.log": "aaa"})
	st, err := store.Create(filepath.Join(dir, "c.tcase"), evidence.CaseInfo{Name: "t", Examiner: "e"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := os.Symlink("c.tcase", filepath.Join(dir, "link.tcase")); err != nil {
		t.Fatal(err)
	}
	asDir, _ := OpenLocal(dir, 0)
	asFile, _ := OpenLocal(filepath.Join(dir, "c.tcase"), 0)
	rep, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{asDir, asFile}, Actor: custody.Actor{Examiner: "e"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Stored) != 1 || rep.Stored[0].Path != "a.log" {
		t.Fatalf("stored %+v", rep.Stored)
	}
	var refused []string
	for _, r := range rep.Refused {
		if strings.Contains(r.Reason, "case file") {
			refused = append(refused, r.Path)
		}
	}
	want := []string{dir + ": c.tcase", dir + ": link.tcase", filepath.Join(dir, "c.tcase") + ": c.tcase"}
	if fmt.Sprint(refused) != fmt.Sprint(want) {
		t.Fatalf("refused %q, want %q", refused, want)
	}
	if last := lastCustody(st); !strings.Contains(string(last.Data), "case file") {
		t.Fatalf("custody does not name the case file: %s", last.Data)
	}
}

// growing is a local source whose files grow once they are opened, as a
// log being written to.
type growing struct{ evidence.Source }

func (g growing) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	return g.Source.Walk(ctx, func(e evidence.Entry) error {
		open := e.Open
		e.Open = func(ctx context.Context) (io.ReadCloser, error) {
			rc, err := open(ctx)
			if err != nil {
				return nil, err
			}
			f, err := os.OpenFile(e.URI, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			_, err = f.WriteString("more\n")
			return rc, err
		}
		return fn(e)
	}, refuse)
}

func TestAcquireFlagsFileChangedDuringRead(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"app.log": "first\n"})
	st := newCase(t)
	src, _ := OpenLocal(dir, 0)
	if _, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{growing{src}}, Actor: custody.Actor{Examiner: "e"}}); err != nil {
		t.Fatal(err)
	}
	items, _ := st.AllItems()
	if len(items) != 1 || !items[0].HasFlag(evidence.FlagChangedDuringRead) || items[0].Size != int64(len("first\nmore\n")) {
		t.Fatalf("items: %+v", items)
	}

	// A file left alone carries no flag.
	quiet := t.TempDir()
	writeFiles(t, quiet, map[string]string{"app.log": "first\n"})
	if _, err := acquireDir(t, context.Background(), st, quiet); err != nil {
		t.Fatal(err)
	}
	items, _ = st.AllItems()
	if len(items) != 2 || items[1].HasFlag(evidence.FlagChangedDuringRead) {
		t.Fatalf("items: %+v", items)
	}
}
