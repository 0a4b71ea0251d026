package sigma

import "slices"

// NeedsRaw reports whether matching events of a source may read their
// raw record: keywords do, for every source, and so do CloudTrail fields
// trailcase does not keep on the event. Fields of text logs (flow, ELB)
// are read from the event's fields, not the raw line. A reader may leave
// the raw record out of the events of a source that does not need it
// (timeline.DecodeOptions).
func (e *Engine) NeedsRaw(source string) bool {
	ix := e.bySource[source]
	if ix == nil {
		return false
	}
	var rules []*baseRule
	rules = append(rules, ix.always...)
	for _, rs := range ix.byName {
		rules = append(rules, rs...)
	}
	for _, b := range rules {
		if b.r.detection.ls == cloudTrailSource || readsRaw(b.r.detection.cond) {
			return true
		}
	}
	return false
}

// readsRaw reports whether a condition holds a keyword.
func readsRaw(n node) bool {
	switch x := n.(type) {
	case andNode:
		return slices.ContainsFunc(x, readsRaw)
	case orNode:
		return slices.ContainsFunc(x, readsRaw)
	case notNode:
		return readsRaw(x.n)
	case *fieldNode:
		return false
	}
	return true // keywords, and any node this does not know
}
