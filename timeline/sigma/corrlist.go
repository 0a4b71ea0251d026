package sigma

import (
	"cmp"
	"slices"
)

// countValues counts each scalar element of a list value as a value of
// one event: a value_count over SendCommand's requestParameters.
// instanceIds counts the instances, whichever call named them.
func (s *corrState) countValues(g *group, l []string, ref EventRef, emit func(Result)) {
	first := true
	for _, v := range l {
		switch {
		case first || (s.c.sliding() && g.open == nil):
			// The first value counts the event; later ones may still
			// reach the threshold.
			s.countValue(g, v, ref, emit)
			first = false
		case !s.c.sliding():
			if _, ok := g.seen[v]; ok || len(g.seen) <= s.c.n+1 {
				g.seen[v] = ref
			}
		default: // an open result already holds this event
			if _, had := g.seen[v]; !had && len(g.seen) < max(s.c.need()+1, s.lim.MaxEvents) {
				g.seen[v] = ref
				g.open.Values = append(g.open.Values, v)
			}
		}
	}
}

// sortRefs orders event references by time, then evidence and record,
// so that references to one event are neighbours.
func sortRefs(refs []EventRef) {
	slices.SortFunc(refs, func(a, b EventRef) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if a.Evidence != b.Evidence {
			return cmp.Compare(a.Evidence, b.Evidence)
		}
		return cmp.Compare(a.Record, b.Record)
	})
}
