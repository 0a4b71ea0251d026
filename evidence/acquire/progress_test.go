package acquire

import (
	"context"
	"path/filepath"
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
// their whole work before reporting it done, and end at their totals.
func TestAcquireProgressTotals(t *testing.T) {
	old := handOverEvery
	handOverEvery = 0
	defer func() { handOverEvery = old }()
	src, err := OpenLocal(filepath.Join("..", "..", "testdata", "incident"), 0)
	if err != nil {
		t.Fatal(err)
	}
	st := newCase(t)
	p := newTally()
	rep, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}, Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	if p.doneBeforeTotal {
		t.Errorf("work reported past the totals announced: %+v", p)
	}
	for _, phase := range []string{evidence.PhaseStore, evidence.PhaseIndex} {
		if p.files[phase] == 0 || p.ended[phase] != p.files[phase] || p.advanced[phase] != p.bytes[phase] {
			t.Errorf("%s: %d of %d files, %d of %d bytes", phase, p.ended[phase], p.files[phase], p.advanced[phase], p.bytes[phase])
		}
	}
	if int64(len(rep.Stored)) != p.files[evidence.PhaseStore] {
		t.Errorf("stored %d items, %d announced", len(rep.Stored), p.files[evidence.PhaseStore])
	}
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
