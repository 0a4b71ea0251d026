package acquire

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// errIndexStopped ends an acquisition whose indexer failed.
var errIndexStopped = errors.New("indexing stopped")

// handOverEvery is how often acquisition commits what it stored, so the
// indexer can start on it.
var handOverEvery = 100 * time.Millisecond

// handOver commits what acquisition stored, when a commit is due (or
// final), and gives the committed items to the indexer.
func (a *acquirer) handOver(final bool) error {
	if a.idx == nil || !a.idx.Open() {
		if final {
			return a.w.Flush()
		}
		return nil
	}
	if final || (len(a.fresh) > 0 && time.Since(a.lastFlush) >= handOverEvery) {
		if err := a.w.Flush(); err != nil {
			return err
		}
		a.lastFlush = time.Now()
	}
	n := 0
	for _, f := range a.fresh {
		if a.w.Flushes() < f.committedAt {
			break
		}
		if !a.idx.Hand(f.id) {
			return errIndexStopped
		}
		n++
	}
	a.fresh = append(a.fresh[:0], a.fresh[n:]...)
	return nil
}

// freshItem is an item stored in this run, committed once the writer's
// Flushes reaches committedAt.
type freshItem struct {
	id          uint64
	committedAt int
}

// progressGate silences the indexer while acquisition shows its own
// progress, and passes it on once acquisition is done.
type progressGate struct {
	p  evidence.Progress
	on atomic.Bool
}

func (g *progressGate) open() { g.on.Store(true) }

func (g *progressGate) Begin(label string, total int64) {
	if g.on.Load() {
		g.p.Begin(label, total)
	}
}

func (g *progressGate) Advance(n int64) {
	if g.on.Load() {
		g.p.Advance(n)
	}
}

func (g *progressGate) End() {
	if g.on.Load() {
		g.p.End()
	}
}
