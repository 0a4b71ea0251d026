package store

import "hash/maphash"

// Summary facts are index terms the indexer adds for the summary's counts
// (package timeline/findings, facts.go); they start with factByte. The
// derived-data check compares, as multisets, the (term, event) pairs the
// stored events carry with the postings under those terms: a missing,
// extra or misplaced posting would make a count wrong.
const factByte = 0x02

func isFact(t string) bool { return len(t) > 0 && t[0] == factByte }

var factSeed = maphash.MakeSeed()

func termHash(t string) uint64 { return maphash.String(factSeed, t) }

// factTally sums (term, event) pairs: a count and a sum of mixed hashes,
// equal for equal multisets whatever the order.
type factTally struct {
	n, sum uint64
}

func (f *factTally) add(term, item, rec uint64) {
	f.n++
	f.sum += mix(term ^ mix(item^mix(rec)))
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
