package acquire

import (
	"errors"
	"fmt"
	"math"
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
// final), reports the committed items as stored and gives those to parse
// to the indexer. A failed commit is a writeError naming the items it
// held.
func (a *acquirer) handOver(final bool) error {
	indexing := a.idx != nil && a.idx.Open()
	committed := a.w.Flushes()
	if final || (indexing && len(a.fresh) > 0 && time.Since(a.lastFlush) >= handOverEvery) {
		if err := a.w.Flush(); err != nil {
			return a.commitFailed(err)
		}
		a.lastFlush = time.Now()
		committed = math.MaxInt // everything put so far
	}
	var stopped error
	n := 0
	for _, f := range a.fresh {
		if committed < f.committedAt {
			break
		}
		a.rep.Stored = append(a.rep.Stored, f.stored)
		a.rep.Bytes += f.stored.Size
		if f.parse && indexing && stopped == nil && !a.idx.Hand(f.stored.ID) {
			stopped = errIndexStopped
		}
		n++
	}
	a.fresh = append(a.fresh[:0], a.fresh[n:]...)
	return stopped
}

// commitFailed names the items a failed commit held.
func (a *acquirer) commitFailed(err error) error {
	switch len(a.fresh) {
	case 0:
		return &writeError{item: "the items of this run", err: err}
	case 1:
		return &writeError{item: fmt.Sprintf("%q", a.fresh[0].stored.Source), err: err}
	}
	return &writeError{item: fmt.Sprintf("%q and %d other item(s)", a.fresh[0].stored.Source, len(a.fresh)-1), err: err}
}

// freshItem is an item stored in this run, committed once the writer's
// Flushes reaches committedAt.
type freshItem struct {
	stored      StoredItem
	parse       bool // to be handed to the indexer
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
