package findings

import (
	"container/heap"
	"sort"
	"time"
)

// counter counts values in bounded space (the Space-Saving heavy-hitters
// algorithm): it keeps at most capacity values; a new value beyond that
// replaces the least counted one and inherits its count, so a count is
// an upper bound off by at most the replaced count (Err). Any value
// whose true count exceeds N/capacity is kept.
type counter struct {
	capacity int
	byValue  map[string]*tally
	heap     tallies
	n        int64
}

// tally is one counted value.
type tally struct {
	Value string
	Count int64
	Err   int64     // over-count inherited from the value it replaced
	First time.Time // first seen (for a replacing value: when it replaced)
	index int
}

func newCounter(capacity int) *counter {
	return &counter{capacity: capacity, byValue: map[string]*tally{}}
}

// add counts v seen at t.
func (c *counter) add(v string, t time.Time) {
	if v == "" {
		return
	}
	c.n++
	if e := c.byValue[v]; e != nil {
		e.Count++
		heap.Fix(&c.heap, e.index)
		return
	}
	if len(c.heap) < c.capacity {
		e := &tally{Value: v, Count: 1, First: t}
		c.byValue[v] = e
		heap.Push(&c.heap, e)
		return
	}
	min := c.heap[0]
	delete(c.byValue, min.Value)
	min.Value, min.Err, min.First = v, min.Count, t
	min.Count++
	c.byValue[v] = min
	heap.Fix(&c.heap, 0)
}

// top returns the n most counted values, most first.
func (c *counter) top(n int) []Count {
	return c.sorted(n, func(a, b *tally) bool {
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Value < b.Value
	})
}

// newest returns the n values first seen last, newest first.
func (c *counter) newest(n int) []Count {
	return c.sorted(n, func(a, b *tally) bool {
		if !a.First.Equal(b.First) {
			return a.First.After(b.First)
		}
		return a.Value < b.Value
	})
}

func (c *counter) sorted(n int, less func(a, b *tally) bool) []Count {
	all := append([]*tally(nil), c.heap...)
	sort.Slice(all, func(i, j int) bool { return less(all[i], all[j]) })
	out := []Count{}
	for _, e := range all[:min(n, len(all))] {
		out = append(out, Count{Value: e.Value, Count: e.Count, First: e.First})
	}
	return out
}

// tallies is a min-heap by count.
type tallies []*tally

func (h tallies) Len() int           { return len(h) }
func (h tallies) Less(i, j int) bool { return h[i].Count < h[j].Count }
func (h tallies) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *tallies) Push(x any) {
	e := x.(*tally)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *tallies) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
