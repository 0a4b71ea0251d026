package index

import (
	"context"
	"sync"

	"github.com/trailcase/trailcase/store"
)

// Parsed blocks wait for the single writer in per-item queues. The writer
// stores items in order, draining one item (the head) at a time; the
// other items' workers parse ahead into their queues. What they may hold
// together is bounded by bytes, not blocks, so a worker can finish a whole
// large file while the writer drains another, and memory stays bounded
// whatever the files. The head is exempt from the shared budget (it has
// its own), so the writer can always make progress.
const (
	aheadBudget = 48 << 20 // blocks queued by items other than the head
	headBudget  = 16 << 20 // blocks queued by the head
)

// flight is the shared state of all queues. Waking goroutines costs: the
// writer is woken only when it waits for the block just queued, workers
// only when budget was freed while some wait for it.
type flight struct {
	mu       sync.Mutex
	room     *sync.Cond // budget freed
	data     *sync.Cond // a block (or the end) for the writer
	ahead    int        // bytes queued by non-head items
	pushWait int        // workers waiting for room
	popWait  bool       // the writer waits for data
	closed   bool
}

func newFlight(ctx context.Context) *flight {
	f := &flight{}
	f.room = sync.NewCond(&f.mu)
	f.data = sync.NewCond(&f.mu)
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		f.closed = true
		f.room.Broadcast()
		f.data.Broadcast()
		f.mu.Unlock()
	})
	return f
}

// freed wakes workers waiting for room; f.mu is held.
func (f *flight) freed() {
	if f.pushWait > 0 {
		f.room.Broadcast()
	}
}

// arrived wakes the writer if it waits; f.mu is held.
func (f *flight) arrived() {
	if f.popWait {
		f.data.Signal()
	}
}

// blockQueue holds one item's parsed blocks.
type blockQueue struct {
	f      *flight
	q      []*store.EventBlock
	bytes  int
	head   bool
	closed bool // no more blocks will come
}

// push queues b, waiting while the budget is spent. It reports false when
// the run ends.
func (q *blockQueue) push(b *store.EventBlock) bool {
	f := q.f
	n := b.MemSize()
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.closed && len(q.q) > 0 && !q.fits(n) {
		f.pushWait++
		f.room.Wait()
		f.pushWait--
	}
	if f.closed {
		return false
	}
	q.q = append(q.q, b)
	q.bytes += n
	if q.head {
		f.arrived()
	} else {
		f.ahead += n
	}
	return true
}

func (q *blockQueue) fits(n int) bool {
	if q.head {
		return q.bytes+n <= headBudget
	}
	return q.f.ahead+n <= aheadBudget
}

// close marks the end of the item's blocks.
func (q *blockQueue) close() {
	q.f.mu.Lock()
	q.closed = true
	if q.head {
		q.f.arrived()
	}
	q.f.mu.Unlock()
}

// makeHead makes q the queue the writer drains: its bytes leave the
// shared budget.
func (q *blockQueue) makeHead() {
	f := q.f
	f.mu.Lock()
	q.head = true
	f.ahead -= q.bytes
	f.freed()
	f.mu.Unlock()
}

// pop returns the next block of the head queue, or nil at its end or when
// the run ends.
func (q *blockQueue) pop() *store.EventBlock {
	f := q.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(q.q) == 0 && !q.closed && !f.closed {
		f.popWait = true
		f.data.Wait()
		f.popWait = false
	}
	if len(q.q) == 0 {
		return nil
	}
	b := q.q[0]
	q.q[0] = nil
	q.q = q.q[1:]
	q.bytes -= b.MemSize()
	f.freed() // the head's own pusher may wait for its budget
	return b
}
