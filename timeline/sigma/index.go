package sigma

import (
	"strings"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// ruleIndex finds the CloudTrail rules that can match an event by its
// eventName: most rules require one of a few names, and testing a map
// beats testing every rule. Rules without such a requirement are always
// tried. The index changes only the speed, never the results.
type ruleIndex struct {
	byName map[string][]*baseRule // lower-case eventName
	always []*baseRule
}

func buildIndex(rules []*baseRule) *ruleIndex {
	ix := &ruleIndex{byName: map[string][]*baseRule{}}
	for _, b := range rules {
		names, ok := requiredNames(b.r.detection.cond)
		if !ok || b.r.detection.ls != cloudTrailSource {
			ix.always = append(ix.always, b)
			continue
		}
		for n := range names {
			ix.byName[n] = append(ix.byName[n], b)
		}
	}
	return ix
}

// requiredNames is the set of eventName values one of which every match
// of n has, when the rule says so plainly.
func requiredNames(n node) (map[string]bool, bool) {
	switch x := n.(type) {
	case *fieldNode:
		if x.name != "eventName" || x.exists != 0 || x.all || len(x.vals) == 0 {
			return nil, false
		}
		set := map[string]bool{}
		for _, m := range x.vals {
			if m.op != opEq || m.cased {
				return nil, false
			}
			set[m.pat] = true
		}
		return set, true
	case andNode:
		for _, c := range x {
			if s, ok := requiredNames(c); ok {
				return s, true
			}
		}
	case orNode:
		set := map[string]bool{}
		for _, c := range x {
			s, ok := requiredNames(c)
			if !ok {
				return nil, false
			}
			for k := range s {
				set[k] = true
			}
		}
		return set, len(x) > 0
	}
	return nil, false
}

// candidates tries each rule that may match e.
func (ix *ruleIndex) candidates(e *timeline.Event, r *Matcher) {
	if e.Kind == evidence.KindCloudTrailInsight || e.Action == "" {
		for _, rs := range ix.byName {
			for _, b := range rs {
				r.try(b)
			}
		}
	} else {
		var buf [64]byte
		name := e.Action
		if len(name) <= len(buf) && isASCII(name) {
			b := buf[:len(name)]
			for i := range len(name) {
				c := name[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b[i] = c
			}
			for _, b := range ix.byName[string(b)] {
				r.try(b)
			}
		} else {
			for _, b := range ix.byName[strings.ToLower(name)] {
				r.try(b)
			}
		}
	}
	for _, b := range ix.always {
		r.try(b)
	}
}
