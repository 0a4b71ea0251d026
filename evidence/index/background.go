package index

import (
	"context"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// Background indexes items while an acquisition stores more: the acquirer
// hands each item over once the commit holding it is done.
type Background struct {
	ids    chan uint64
	cancel context.CancelFunc
	done   chan struct{}
	rep    Report
	err    error
}

// Start starts indexing pending (items left by earlier runs) and then
// every item handed over, until Wait or Stop. The pending items are
// announced to prog (Expect); the caller announces those it hands over.
func Start(ctx context.Context, st *store.Store, prog evidence.Progress, pending []uint64) *Background {
	ctx, cancel := context.WithCancel(ctx)
	ids := make(chan uint64, 4096)
	x := &Background{ids: ids, cancel: cancel, done: make(chan struct{})}
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

// Wait closes the hand-over and returns the indexer's result.
func (x *Background) Wait() (Report, error) {
	if x.ids != nil {
		close(x.ids)
		x.ids = nil
	}
	<-x.done
	return x.rep, x.err
}

// Stop ends the indexer early (acquisition failed) and waits for it.
func (x *Background) Stop() {
	x.cancel()
	if x.ids != nil {
		close(x.ids)
		x.ids = nil
	}
	<-x.done
}

// Open reports whether the indexer still takes items.
func (x *Background) Open() bool { return x.ids != nil }

// Hand gives a committed item to the indexer, waiting while its queue is
// full. It reports false when the indexer has stopped (it failed).
func (x *Background) Hand(id uint64) bool {
	select {
	case x.ids <- id:
		return true
	case <-x.done:
		return false
	}
}
