package acquire

import (
	"errors"
	"fmt"
	"math"
	"sync"
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
		if f.parse && indexing && stopped == nil {
			a.gate.Expect(evidence.PhaseIndex, 1, f.stored.Size)
			if !a.idx.Hand(f.stored.ID) {
				stopped = errIndexStopped
			}
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

// progressGate holds back the indexer's progress while acquisition
// shows its own, and passes it on once acquisition is done: only then is
// the indexer's total known, so its percentage never falls back.
type progressGate struct {
	p evidence.Progress

	mu           sync.Mutex
	on           bool
	files, bytes int64 // expected while held back
	ended, done  int64 // files ended and bytes advanced while held back
}

// open passes on what was held back, then everything.
func (g *progressGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.files > 0 || g.bytes > 0 {
		g.p.Expect(evidence.PhaseIndex, g.files, g.bytes)
	}
	g.p.Advance(evidence.PhaseIndex, g.done)
	for range g.ended {
		g.p.End(evidence.PhaseIndex)
	}
	g.on = true
}

func (g *progressGate) held(phase string) bool {
	return phase == evidence.PhaseIndex && !g.on
}

func (g *progressGate) Expect(phase string, files, bytes int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held(phase) {
		g.files, g.bytes = g.files+files, g.bytes+bytes
		return
	}
	g.p.Expect(phase, files, bytes)
}

func (g *progressGate) Begin(phase, label string, size int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.held(phase) {
		g.p.Begin(phase, label, size)
	}
}

func (g *progressGate) Advance(phase string, n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held(phase) {
		g.done += n
		return
	}
	g.p.Advance(phase, n)
}

func (g *progressGate) End(phase string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held(phase) {
		g.ended++
		return
	}
	g.p.End(phase)
}
