package evidence

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/trailcase/trailcase/store"
)

// errIndexStopped ends an acquisition whose indexer failed.
var errIndexStopped = errors.New("indexing stopped")

// handOverEvery is how often acquisition commits what it stored, so the
// indexer can start on it.
var handOverEvery = 100 * time.Millisecond

// indexer indexes items while acquisition stores more.
type indexer struct {
	ids    chan uint64
	cancel context.CancelFunc
	done   chan struct{}
	rep    IndexReport
	err    error
}

func startIndexer(ctx context.Context, st *store.Store, prog Progress, pending []uint64) *indexer {
	ctx, cancel := context.WithCancel(ctx)
	ids := make(chan uint64, 4096)
	x := &indexer{ids: ids, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(x.done)
		w := st.NewWriter(0)
		x.rep, x.err = indexItems(ctx, st, w, prog, pending, ids)
		if x.err != nil {
			cancel() // the acquirer stops handing over
		}
	}()
	return x
}

// wait closes the hand-over and returns the indexer's result.
func (x *indexer) wait() (IndexReport, error) {
	if x.ids != nil {
		close(x.ids)
		x.ids = nil
	}
	<-x.done
	return x.rep, x.err
}

// stop ends the indexer early (acquisition failed) and waits for it.
func (x *indexer) stop() {
	x.cancel()
	if x.ids != nil {
		close(x.ids)
		x.ids = nil
	}
	<-x.done
}

// handOver commits what acquisition stored, when a commit is due (or
// final), and gives the committed items to the indexer.
func (a *acquirer) handOver(final bool) error {
	if a.idx == nil || a.idx.ids == nil {
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
		select {
		case a.idx.ids <- f.id:
		case <-a.idx.done:
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
	p  Progress
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
