package digest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

type coverKey struct {
	bucket, root, org, account, region string
}

type span struct{ start, end time.Time }

// listed joins names, at most max of them, then how many more there are:
// "a, b, c and 4 more".
func listed(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

// maxNamed bounds the objects a notice names.
const maxNamed = 5

// outside is a group of logs lying outside every period the digests of
// one place cover, at the same position among those periods.
type outside struct {
	where       string // which part of the timeline, in words
	first, last time.Time
	keys        []string
}

// position says where t lies among spans (sorted, merged), none of which
// covers it, and an identifier of that position.
func position(spans []span, t time.Time) (int, string) {
	j := sort.Search(len(spans), func(i int) bool { return t.Before(spans[i].start.Add(edgeMargin)) })
	switch {
	case j == 0:
		return j, "before the first period, which starts " + ts(spans[0].start)
	case j == len(spans):
		return j, "after the last period, which ends " + ts(spans[j-1].end)
	}
	return j, fmt.Sprintf("between the period ending %s and the one starting %s", ts(spans[j-1].end), ts(spans[j].start))
}

// notice is the notice about the logs of o.
func (o *outside) notice() string {
	if len(o.keys) == 1 {
		return fmt.Sprintf("CloudTrail log %s lies outside every period the digests cover (written at %s, %s): it cannot be validated",
			o.keys[0], ts(o.first), o.where)
	}
	return fmt.Sprintf("%d CloudTrail logs lie outside every period the digests cover (written from %s to %s, %s): they cannot be validated: %s",
		len(o.keys), ts(o.first), ts(o.last), o.where, listed(o.keys, maxNamed))
}

// unlistedLogs reports CloudTrail logs, delivered inside a period the
// digests cover, that no digest lists.
func (v *verifier) unlistedLogs() {
	cover := map[coverKey][]span{}
	for _, s := range v.sums {
		if !s.ok || s.dup || s.loc.Backfill {
			continue
		}
		fl, ok := parseDigestName(s.found)
		if !ok {
			continue
		}
		k := coverKey{v.objs[s.obj].Bucket, fl.Root, fl.Org, fl.Account, fl.Region}
		cover[k] = append(cover[k], span{s.start, s.end})
	}
	for k, spans := range cover {
		sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
		merged := spans[:1]
		for _, sp := range spans[1:] {
			last := &merged[len(merged)-1]
			if !sp.start.After(last.end.Add(continuityTolerance)) {
				if sp.end.After(last.end) {
					last.end = sp.end
				}
				continue
			}
			merged = append(merged, sp)
		}
		cover[k] = merged
	}
	type at struct {
		k coverKey
		j int
	}
	uncovered := map[at]*outside{}
	for i, o := range v.objs {
		if o.Kind != evidence.KindCloudTrail || v.listed[i].Load() {
			continue
		}
		loc, ok := parseLogName(o.Key)
		if !ok || !v.timeInRange(loc.Time) {
			continue
		}
		k := coverKey{o.Bucket, loc.Root, loc.Org, loc.Account, loc.Region}
		spans, ok := cover[k]
		if !ok {
			continue
		}
		var in *span
		for j := range spans {
			if !loc.Time.Before(spans[j].start.Add(edgeMargin)) && !loc.Time.Add(edgeMargin).After(spans[j].end) {
				in = &spans[j]
				break
			}
		}
		if in == nil {
			j, where := position(spans, loc.Time)
			u := uncovered[at{k, j}]
			if u == nil {
				u = &outside{where: where, first: loc.Time, last: loc.Time}
				uncovered[at{k, j}] = u
			}
			if loc.Time.Before(u.first) {
				u.first = loc.Time
			}
			if loc.Time.After(u.last) {
				u.last = loc.Time
			}
			u.keys = append(u.keys, o.Key)
			continue
		}
		v.add(problem(LogNotInDigest, o.Key, o.Item, fmt.Sprintf("written at %s, inside the period %s to %s that the digests cover; no digest lists it", ts(loc.Time), ts(in.start), ts(in.end))))
	}
	var notes []string
	for _, u := range uncovered {
		sort.Strings(u.keys)
		notes = append(notes, u.notice())
	}
	sort.Strings(notes)
	v.notices = append(v.notices, notes...)
}
