package timeline

import "slices"

// maxSuggestions is how many near values a "did you mean" lists.
const maxSuggestions = 3

// nearest keeps the values nearest to want: by edit distance, then by
// the length of the prefix they share with it (an address in the same
// network, an ARN of the same account).
type nearest struct {
	want string
	best []candidate
}

type candidate struct {
	value        string
	dist, shared int
}

func (a candidate) better(b candidate) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	if a.shared != b.shared {
		return a.shared > b.shared
	}
	return a.value < b.value
}

func (n *nearest) add(v string) {
	limit := max(2, len(n.want)/4) // farther than this is no typo
	if len(n.best) == maxSuggestions {
		limit = min(limit, n.best[len(n.best)-1].dist)
	}
	if d := len(v) - len(n.want); d > limit || -d > limit {
		return
	}
	c := candidate{value: v, dist: editDistance(n.want, v, limit), shared: sharedPrefix(n.want, v)}
	if c.dist > limit {
		return
	}
	i, _ := slices.BinarySearchFunc(n.best, c, func(a, b candidate) int {
		if a.better(b) {
			return -1
		}
		return 1
	})
	n.best = slices.Insert(n.best, i, c)
	if len(n.best) > maxSuggestions {
		n.best = n.best[:maxSuggestions]
	}
}

func (n *nearest) values() []string {
	out := make([]string, len(n.best))
	for i, c := range n.best {
		out[i] = c.value
	}
	return out
}

// editDistance is the Levenshtein distance of a and b in bytes, or a
// value above limit as soon as it must exceed it.
func editDistance(a, b string, limit int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sharedPrefix is the length of the longest common prefix of a and b.
func sharedPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
