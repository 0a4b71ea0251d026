package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence/finding"
)

// The kinds of a digest gap.
const (
	GapRestart = "restart" // the chain restarted: logging or log file validation was off
	GapMissing = "missing" // the chain's digests are not in the evidence
)

// DigestGap is a period of a CloudTrail digest chain that no digest in
// the evidence covers, as the stored digest verification recorded it.
type DigestGap struct {
	// Kind is GapRestart or GapMissing ("other" for a reason this
	// version does not know).
	Kind string `json:"kind"`
	digest.Gap
}

// What the report says of the gaps it cannot list.
const (
	noGapSentence  = "The digest chains have no gap."
	gapsNotChecked = "Unknown: CloudTrail digest validation was not run."
	gapsUnread     = "Unknown: the stored CloudTrail digest validation could not be read."
	gapsNotStored  = "Unknown: the stored CloudTrail digest validation predates the recording of gaps; run 'trailcase digest verify' again."
	gapsPartial    = "The stored CloudTrail digest validation names missing digests only as DIGEST_MISSING findings, not the periods they leave uncovered; run 'trailcase digest verify' again to list those here."
)

// storedGaps is the part of a stored digest result the gap table reads.
type storedGaps struct {
	// Gaps is nil in a result stored before digest verify recorded gaps.
	Gaps     []digest.Gap      `json:"gaps"`
	Problems []finding.Finding `json:"problems"`
}

// readDigestGaps reads the gaps of the stored digest verification c, each
// period of a chain once, in time order. It returns nil and a sentence
// saying why when they are unknown (no result, or one stored before gaps
// were recorded), and a note when the result lists only some kinds.
func readDigestGaps(c *Check) (gaps []DigestGap, note string) {
	if c == nil {
		return nil, gapsNotChecked
	}
	var res storedGaps
	if err := json.Unmarshal(c.Result, &res); err != nil {
		return nil, gapsUnread
	}
	if res.Gaps == nil {
		return nil, gapsNotStored
	}
	type period struct {
		account, region, trail string
		from, to               time.Time
	}
	seen := map[period]bool{}
	gaps = []DigestGap{}
	missing := false
	for _, g := range res.Gaps {
		g.From, g.To = g.From.UTC(), g.To.UTC()
		p := period{g.Account, g.Region, g.Trail, g.From, g.To}
		if seen[p] || !g.To.After(g.From) {
			continue
		}
		seen[p] = true
		kind := "other"
		switch g.Reason {
		case digest.GapRestarted:
			kind = GapRestart
		case digest.GapMissing:
			kind, missing = GapMissing, true
		}
		gaps = append(gaps, DigestGap{Kind: kind, Gap: g})
	}
	slices.SortStableFunc(gaps, func(a, b DigestGap) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.Trail, b.Trail), a.To.Compare(b.To))
	})
	// digest verify records a gap with every DIGEST_MISSING problem; a
	// result holding such problems but no such gap was stored before it did.
	if !missing && slices.ContainsFunc(res.Problems, func(f finding.Finding) bool { return f.Kind == finding.DigestMissing }) {
		note = gapsPartial
	}
	return gaps, note
}

// gapKinds says what each kind of gap means, in the report's words.
var gapKinds = map[string]string{
	GapRestart: "chain restarted: logging or log file validation was off",
	GapMissing: "digests missing from the evidence",
}

// why says in words why no digest covers g.
func (g DigestGap) why() string {
	if s, ok := gapKinds[g.Kind]; ok {
		return s
	}
	return g.Reason
}

// gapText writes "6 h, 2025-03-11 04:00–10:00 UTC".
func gapText(from, to time.Time) string {
	d := to.Sub(from).Round(time.Minute)
	length := fmt.Sprintf("%d h", int(d/time.Hour))
	if d%time.Hour != 0 {
		length = fmt.Sprintf("%d h %02d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	end := to.Format("2006-01-02 15:04")
	if from.Format("2006-01-02") == to.Format("2006-01-02") {
		end = to.Format("15:04")
	}
	return fmt.Sprintf("%s, %s–%s UTC", length, from.Format("2006-01-02 15:04"), end)
}

// gapRows are the report's gap table, and what it says in place of the
// table or under it.
func (v *view) gapRows() (rows []gap, note string) {
	if v.Report.DigestGaps == nil {
		v.NoGaps = v.Report.DigestGapsNote
		return nil, ""
	}
	v.NoGaps = noGapSentence
	for _, g := range v.Report.DigestGaps {
		rows = append(rows, gap{From: g.From, To: g.To, Text: gapText(g.From, g.To), Why: g.why(),
			Chain: g.Account + " " + g.Region + " " + g.Trail})
	}
	return rows, v.Report.DigestGapsNote
}
