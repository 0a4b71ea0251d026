package acquire

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/index"
)

// tally records the progress of each phase.
type tally struct {
	mu                            sync.Mutex
	files, bytes, ended, advanced map[string]int64
	// doneBeforeTotal is set when work is reported past the total
	// announced so far (a percentage would fall back later).
	doneBeforeTotal bool
}

func newTally() *tally {
	return &tally{files: map[string]int64{}, bytes: map[string]int64{}, ended: map[string]int64{}, advanced: map[string]int64{}}
}

func (t *tally) Expect(phase string, files, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.files[phase] += files
	t.bytes[phase] += bytes
}
func (t *tally) Begin(string, string, int64) {}
func (t *tally) Advance(phase string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advanced[phase] += n
	if t.advanced[phase] > t.bytes[phase] {
		t.doneBeforeTotal = true
	}
}
func (t *tally) End(phase string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended[phase]++
	if t.ended[phase] > t.files[phase] {
		t.doneBeforeTotal = true
	}
}

// TestAcquireProgressTotals checks that storing and indexing announce
// their whole work before reporting it done, and end at their totals,
// for a directory and for the same files in each kind of archive.
func TestAcquireProgressTotals(t *testing.T) {
	old := handOverEvery
	handOverEvery = 0
	defer func() { handOverEvery = old }()
	dir := filepath.Join("..", "..", "testdata", "incident")
	for _, name := range []string{"", "incident.zip", "incident.tar", "incident.tar.gz", "incident.tgz"} {
		t.Run("source "+name, func(t *testing.T) {
			p := dir
			if name != "" {
				p = packDir(t, dir, filepath.Join(t.TempDir(), name))
			}
			src, err := OpenLocal(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := src.(evidence.Sizer); !ok {
				t.Fatalf("%s: the source cannot tell its size", name)
			}
			st := newCase(t)
			p2 := newTally()
			rep, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}, Progress: p2})
			if err != nil {
				t.Fatal(err)
			}
			if p2.doneBeforeTotal {
				t.Errorf("work reported past the totals announced: %+v", p2)
			}
			for _, phase := range []string{evidence.PhaseStore, evidence.PhaseIndex} {
				if p2.files[phase] == 0 || p2.ended[phase] != p2.files[phase] || p2.advanced[phase] != p2.bytes[phase] {
					t.Errorf("%s: %d of %d files, %d of %d bytes", phase, p2.ended[phase], p2.files[phase], p2.advanced[phase], p2.bytes[phase])
				}
			}
			if int64(len(rep.Stored)) != p2.files[evidence.PhaseStore] || len(rep.Stored) < 40 {
				t.Errorf("stored %d items, %d announced", len(rep.Stored), p2.files[evidence.PhaseStore])
			}
		})
	}
}

// packDir writes every file under dir into the archive out (.zip, .tar,
// .tar.gz or .tgz, by its name), named by its path under dir, and
// returns out.
func packDir(t *testing.T, dir, out string) string {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var add func(name string, data []byte) error
	var closeAll func() error
	if strings.HasSuffix(out, ".zip") {
		zw := zip.NewWriter(f)
		add = func(name string, data []byte) error {
			w, err := zw.Create(name)
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
		closeAll = zw.Close
	} else {
		var w io.Writer = f
		var zw *gzip.Writer
		if !strings.HasSuffix(out, ".tar") {
			zw = gzip.NewWriter(f)
			w = zw
		}
		tw := tar.NewWriter(w)
		add = func(name string, data []byte) error {
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644}); err != nil {
				return err
			}
			_, err := tw.Write(data)
			return err
		}
		closeAll = func() error {
			if err := tw.Close(); err != nil || zw == nil {
				return err
			}
			return zw.Close()
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return add(filepath.ToSlash(rel), data)
	})
	if err == nil {
		err = closeAll()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIndexProgressTotals checks that indexing later (index.Run)
// announces every pending item before parsing any.
func TestIndexProgressTotals(t *testing.T) {
	src, err := OpenLocal(filepath.Join("..", "..", "testdata", "incident"), 0)
	if err != nil {
		t.Fatal(err)
	}
	st := newCase(t)
	if _, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}, NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	p := newTally()
	if _, err := index.Run(context.Background(), st, st.NewWriter(0), p); err != nil {
		t.Fatal(err)
	}
	ph := evidence.PhaseIndex
	if p.doneBeforeTotal || p.files[ph] == 0 || p.ended[ph] != p.files[ph] || p.advanced[ph] != p.bytes[ph] {
		t.Errorf("indexing: %d of %d files, %d of %d bytes (past the total: %v)", p.ended[ph], p.files[ph], p.advanced[ph], p.bytes[ph], p.doneBeforeTotal)
	}
}
