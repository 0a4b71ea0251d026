package digest

import (
	"fmt"
	"sort"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

type coverKey struct {
	bucket, root, org, account, region string
}

type span struct{ start, end time.Time }

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
	uncovered := 0
	for i, o := range v.objs {
		if o.Kind != evidence.KindCloudTrail || v.listed[i].Load() {
			continue
		}
		loc, ok := parseLogName(o.Key)
		if !ok || !v.timeInRange(loc.Time) {
			continue
		}
		spans, ok := cover[coverKey{o.Bucket, loc.Root, loc.Org, loc.Account, loc.Region}]
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
			uncovered++
			continue
		}
		v.add(problem(LogNotInDigest, o.Key, o.Item, fmt.Sprintf("written at %s, inside the period %s to %s that the digests cover; no digest lists it", ts(loc.Time), ts(in.start), ts(in.end))))
	}
	if uncovered > 0 {
		v.notices = append(v.notices, fmt.Sprintf("%s lie outside every period the digests cover (near a chain's ends or in a gap): they cannot be validated", pluralf(uncovered, "CloudTrail log")))
	}
}
