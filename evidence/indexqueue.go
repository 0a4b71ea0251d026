package evidence

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

// flight is the shared state of all queues: one mutex, one condition.
type flight struct {
	mu     sync.Mutex
	cond   *sync.Cond
	ahead  int // bytes queued by non-head items
	closed bool
}

func newFlight(ctx context.Context) *flight {
	f := &flight{}
	f.cond = sync.NewCond(&f.mu)
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		f.closed = true
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	return f
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
		f.cond.Wait()
	}
	if f.closed {
		return false
	}
	q.q = append(q.q, b)
	q.bytes += n
	if !q.head {
		f.ahead += n
	}
	f.cond.Broadcast()
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
	q.f.cond.Broadcast()
	q.f.mu.Unlock()
}

// makeHead makes q the queue the writer drains: its bytes leave the
// shared budget.
func (q *blockQueue) makeHead() {
	f := q.f
	f.mu.Lock()
	q.head = true
	f.ahead -= q.bytes
	f.cond.Broadcast()
	f.mu.Unlock()
}

// pop returns the next block of the head queue, or nil at its end or when
// the run ends.
func (q *blockQueue) pop() *store.EventBlock {
	f := q.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(q.q) == 0 && !q.closed && !f.closed {
		f.cond.Wait()
	}
	if len(q.q) == 0 {
		return nil
	}
	b := q.q[0]
	q.q[0] = nil
	q.q = q.q[1:]
	q.bytes -= b.MemSize()
	f.cond.Broadcast()
	return b
}
