package findings

import (
	"container/heap"
	"slices"
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
	// A counter given exact counts (set, from the index) keeps only the
	// values top and newest can return: setKeep of each.
	exact            bool
	byCount, byFirst []Count
}

// setKeep is how many values by count and by first seen a set counter
// keeps.
const setKeep = 64

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

// set records the exact count of v, first seen at t. A counter is
// either set or added to, never both.
func (c *counter) set(v string, n int64, t time.Time) {
	if v == "" {
		return
	}
	c.exact = true
	c.n += n
	e := Count{Value: v, Count: n, First: t}
	c.byCount = keepBest(c.byCount, e, moreCounted)
	c.byFirst = keepBest(c.byFirst, e, seenLater)
}

// keepBest inserts e into list, sorted by before and at most setKeep long.
func keepBest(list []Count, e Count, before func(a, b Count) bool) []Count {
	if len(list) == setKeep && !before(e, list[len(list)-1]) {
		return list
	}
	i, _ := slices.BinarySearchFunc(list, e, func(a, b Count) int {
		if before(a, b) {
			return -1
		}
		return 1
	})
	list = slices.Insert(list, i, e)
	if len(list) > setKeep {
		list = list[:setKeep]
	}
	return list
}

// moreCounted orders values most counted first, then by value.
func moreCounted(a, b Count) bool {
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	return a.Value < b.Value
}

// seenLater orders values first seen last first, then by value.
func seenLater(a, b Count) bool {
	if !a.First.Equal(b.First) {
		return a.First.After(b.First)
	}
	return a.Value < b.Value
}

// top returns the n most counted values, most first.
func (c *counter) top(n int) []Count {
	if c.exact {
		return append([]Count{}, c.byCount[:min(n, len(c.byCount))]...)
	}
	return c.sorted(n, func(a, b *tally) bool {
		return moreCounted(Count{Value: a.Value, Count: a.Count}, Count{Value: b.Value, Count: b.Count})
	})
}

// newest returns the n values first seen last, newest first.
func (c *counter) newest(n int) []Count {
	if c.exact {
		return append([]Count{}, c.byFirst[:min(n, len(c.byFirst))]...)
	}
	return c.sorted(n, func(a, b *tally) bool {
		return seenLater(Count{Value: a.Value, First: a.First}, Count{Value: b.Value, First: b.First})
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
