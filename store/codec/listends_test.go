package codec

import "testing"

func TestListEnds(t *testing.T) {
	for _, n := range []int{0, 1, 2, plGroup - 1, plGroup, plGroup + 1, 3*plGroup + 7} {
		for _, delta := range []bool{false, true} {
			ps := make([]Posting, n)
			for i := range ps {
				ps[i] = Posting{T: uint64(1000 + 3*i), Item: uint64(1 + i%3), Rec: uint64(7 * i)}
			}
			l, ok := ParseList(AppendList(nil, ps, delta), delta)
			if !ok {
				t.Fatalf("n=%d delta=%v: list does not parse", n, delta)
			}
			f, okf := l.First()
			last, okl := l.Last()
			if n == 0 {
				if okf || okl {
					t.Fatalf("empty list gave ends")
				}
				continue
			}
			if !okf || !okl || f != ps[0] || last != ps[n-1] {
				t.Fatalf("n=%d delta=%v: ends %v %v, want %v %v", n, delta, f, last, ps[0], ps[n-1])
			}
		}
	}
}
