package index

import (
	"context"
	"testing"
	"time"

	"github.com/trailcase/trailcase/store"
)

// testBlock returns a sealed block of n events for item.
func testBlock(item uint64, first uint64, n int) *store.EventBlock {
	bb := store.NewBlockBuilder(item)
	for i := range n {
		ev := store.EventRecord{Item: item, Record: first + uint64(i), Time: time.Unix(int64(i), 0), Terms: []string{"ip:10.0.0.1"}, Data: make([]byte, 100)}
		if b := bb.Add(&ev); b != nil {
			panic("block sealed early")
		}
	}
	return bb.Finish()
}

// pushes reports whether push returns within a short time.
func pushes(q *blockQueue, b *store.EventBlock) bool {
	done := make(chan bool, 1)
	go func() { done <- q.push(b) }()
	select {
	case ok := <-done:
		return ok
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

func TestBlockQueueBudgets(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFlight(ctx)
	b := testBlock(1, 1, 10)
	size := b.MemSize()

	// A queue that is not the head may fill the shared budget, then waits.
	ahead := &blockQueue{f: f}
	n := 0
	for f.ahead+size <= aheadBudget {
		if !ahead.push(b) {
			t.Fatal("push refused within the budget")
		}
		n++
	}
	if n < 2 {
		t.Fatalf("only %d blocks fit the budget", n)
	}
	other := &blockQueue{f: f}
	if !pushes(other, b) { // an empty queue may always take one block
		t.Fatal("an empty queue could not take its first block")
	}
	blocked := make(chan bool, 1)
	go func() { blocked <- other.push(b) }()
	select {
	case <-blocked:
		t.Fatal("push beyond the shared budget did not wait")
	case <-time.After(100 * time.Millisecond):
	}
	// The first queue becomes the head: its bytes leave the shared budget
	// and the waiting push goes through.
	ahead.makeHead()
	select {
	case ok := <-blocked:
		if !ok {
			t.Fatal("push failed")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("push still waiting after the budget was freed")
	}
	for range n {
		if ahead.pop() == nil {
			t.Fatal("lost a block")
		}
	}
	ahead.close()
	if ahead.pop() != nil {
		t.Fatal("block after close")
	}

	// Cancelling the run releases a waiting pusher and a waiting reader.
	waiting := &blockQueue{f: f}
	for f.ahead+size <= aheadBudget {
		waiting.push(b)
	}
	res := make(chan bool, 1)
	go func() { res <- waiting.push(b) }()
	empty := &blockQueue{f: f, head: true}
	popped := make(chan *store.EventBlock, 1)
	go func() { popped <- empty.pop() }()
	cancel()
	select {
	case ok := <-res:
		if ok {
			t.Fatal("push after cancel reported success")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancel did not release the pusher")
	}
	select {
	case b := <-popped:
		if b != nil {
			t.Fatal("pop after cancel returned a block")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancel did not release the reader")
	}
}

func TestBlockQueueHeadBudget(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // releases the push left waiting
	f := newFlight(ctx)
	q := &blockQueue{f: f}
	q.makeHead()
	b := testBlock(1, 1, 64)
	for q.bytes+b.MemSize() <= headBudget {
		q.push(b)
	}
	if f.ahead != 0 {
		t.Fatalf("head bytes counted in the shared budget: %d", f.ahead)
	}
	if pushes(q, b) {
		t.Fatal("head queue grew past its budget")
	}
}
