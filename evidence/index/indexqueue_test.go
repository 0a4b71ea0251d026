package index

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trailcase/trailcase/store"
)

// The queue tests run in a synctest bubble: synctest.Wait returns once
// every other goroutine of the test is blocked, so "push waits" is
// decided by the scheduler, never by a wall-clock window.

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

// goPush starts q.push(b) and returns where its result will arrive.
func goPush(q *blockQueue, b *store.EventBlock) <-chan bool {
	done := make(chan bool, 1)
	go func() { done <- q.push(b) }()
	return done
}

// settled reports whether ch has a value once every goroutine of the
// bubble is blocked: false means the sender waits.
func settled[T any](ch <-chan T) (T, bool) {
	synctest.Wait()
	select {
	case v := <-ch:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// pushes reports whether push returns without waiting.
func pushes(q *blockQueue, b *store.EventBlock) bool {
	ok, done := settled(goPush(q, b))
	return done && ok
}

func TestBlockQueueBudgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		blocked := goPush(other, b)
		if _, done := settled(blocked); done {
			t.Fatal("push beyond the shared budget did not wait")
		}
		// The first queue becomes the head: its bytes leave the shared budget
		// and the waiting push goes through.
		ahead.makeHead()
		if ok, done := settled(blocked); !done {
			t.Fatal("push still waiting after the budget was freed")
		} else if !ok {
			t.Fatal("push failed")
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
		res := goPush(waiting, b)
		empty := &blockQueue{f: f, head: true}
		popped := make(chan *store.EventBlock, 1)
		go func() { popped <- empty.pop() }()
		if _, done := settled(res); done {
			t.Fatal("push beyond the shared budget did not wait")
		}
		if _, done := settled(popped); done {
			t.Fatal("pop of an empty queue did not wait")
		}
		cancel()
		if ok, done := settled(res); !done {
			t.Fatal("cancel did not release the pusher")
		} else if ok {
			t.Fatal("push after cancel reported success")
		}
		if b, done := settled(popped); !done {
			t.Fatal("cancel did not release the reader")
		} else if b != nil {
			t.Fatal("pop after cancel returned a block")
		}
	})
}

func TestBlockQueueHeadBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
	})
}
