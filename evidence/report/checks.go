package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
)

// The stored results of the checks, as much of them as the report says.
type (
	verifyResult struct {
		Items          int               `json:"items"`
		Bytes          int64             `json:"bytes"`
		CustodyEntries int               `json:"custody_entries"`
		Problems       []finding.Finding `json:"problems"`
		Notices        []string          `json:"notices"`
	}
	digestResult struct {
		Chains []struct {
			Account, Region, Trail, Bucket string
			Start, End                     time.Time
			Digests, Logs                  int
		} `json:"chains"`
		DigestsChecked     int               `json:"digests_checked"`
		LogsChecked        int               `json:"logs_checked"`
		SignaturesVerified int               `json:"signatures_verified"`
		SignaturesMissing  int               `json:"signatures_missing"`
		Problems           []finding.Finding `json:"problems"`
		Notices            []string          `json:"notices"`
	}
	lockResult struct {
		Source       string `json:"source"`
		Requirements struct {
			Mode  string    `json:"mode"`
			Until time.Time `json:"until"`
		} `json:"requirements"`
		Summary struct {
			Objects, Compliance, Governance, Expired, None, Unknown, Failing int
			LegalHoldOn                                                      int `json:"legal_hold_on"`
		} `json:"summary"`
		NotS3    int               `json:"items_without_s3_metadata"`
		Problems []finding.Finding `json:"problems"`
	}
)

// newCheck starts the view of a check: its status and freshness, and
// decodes its result into dst; a result that does not decode is said so.
func newCheck(title string, c *Check, dst any) checkView {
	cv := checkView{Title: title, C: c, Status: "NOT RUN"}
	if c == nil {
		return cv
	}
	cv.Ran, cv.Status = true, "PASS"
	switch {
	case !c.OK:
		cv.Status = "FAIL"
	case c.Stale: // never a plain PASS for a result the case has outgrown
		cv.Status = "STALE"
	}
	cv.Fresh = "Ran " + fmtTime(c.Time)
	if c.Entry != 0 {
		cv.Fresh += fmt.Sprintf(" (custody entry #%d)", c.Entry)
	}
	switch {
	case len(c.ChangedBy) > 0:
		cv.Fresh += fmt.Sprintf("; STALE: custody %s %s added evidence since, which this check does not cover.",
			map[bool]string{true: "entry", false: "entries"}[len(c.ChangedBy) == 1], seqList(c.ChangedBy))
	case c.Stale:
		cv.Fresh += "; STALE: " + freshnessNote(c) + "."
	default:
		cv.Fresh += "; " + freshnessNote(c) + "."
	}
	if err := json.Unmarshal(c.Result, dst); err != nil {
		cv.Verdict = []string{fmt.Sprintf("%s: %s. The stored details could not be read (%s).", title, c.Summary, strings.SplitN(err.Error(), ":", 2)[0])}
	}
	return cv
}

func seqList(seqs []uint64) string {
	s := make([]string, len(seqs))
	for i, q := range seqs {
		s[i] = "#" + strconv.FormatUint(q, 10)
	}
	return strings.Join(s, ", ")
}

func (v *view) staleNote(cv *checkView, again string) {
	if cv.C != nil && cv.C.Stale {
		cv.Verdict = append(cv.Verdict, "Evidence was added after this check; run '"+again+"' again.")
	}
}

func (v *view) verifyView() checkView {
	var res verifyResult
	cv := newCheck("Evidence verification (trailcase verify)", v.Report.Checks.Verify, &res)
	if !cv.Ran {
		cv.Verdict = []string{"The evidence has not been re-hashed since acquisition: 'trailcase verify' was not run."}
		return cv
	}
	if cv.Verdict == nil {
		if cv.C.OK {
			cv.Verdict = []string{fmt.Sprintf("All %s (%s) are byte-identical to what was acquired (checked %s).", plural(res.Items, "file"), fmtBytes(res.Bytes), fmtTime(cv.C.Time))}
		} else {
			cv.Verdict = []string{fmt.Sprintf("Re-hashing %s (%s) on %s found %s.", plural(res.Items, "file"), fmtBytes(res.Bytes), fmtTime(cv.C.Time), plural(len(res.Problems), "problem"))}
		}
	}
	v.staleNote(&cv, "trailcase verify")
	cv.Facts = []fact{{"Files re-hashed", strconv.Itoa(res.Items)}, {"Bytes re-hashed", fmtBytes(res.Bytes)},
		{"Custody entries checked", strconv.Itoa(res.CustodyEntries)}, {"Problems", strconv.Itoa(len(res.Problems))}}
	cv.Problems = rows("verify", res.Problems)
	v.Notices = append(v.Notices, res.Notices...)
	return cv
}

func (v *view) digestView() checkView {
	var res digestResult
	cv := newCheck("CloudTrail digest validation (trailcase digest verify)", v.Report.Checks.Digest, &res)
	if !cv.Ran {
		cv.Verdict = []string{"CloudTrail digest validation was not run: the CloudTrail logs are not proven complete or unaltered by CloudTrail's own digests."}
		v.NoGaps = gapsNotChecked
		return cv
	}
	v.Gaps, v.GapsNote = v.gapRows()
	if cv.Verdict == nil {
		cv.Verdict = []string{fmt.Sprintf("CloudTrail digest validation (%s) checked %s in %s against %s; %s verified; %s.",
			fmtTime(cv.C.Time), plural(res.DigestsChecked, "digest"), plural(len(res.Chains), "chain"), plural(res.LogsChecked, "log copy"),
			plural(res.SignaturesVerified, "signature"), plural(len(res.Problems), "problem"))}
		switch {
		case len(v.Gaps) > 0:
			var gs []string
			for _, g := range v.Gaps {
				gs = append(gs, g.Text+" ("+g.Why+")")
			}
			cv.Verdict = append(cv.Verdict, fmt.Sprintf("%s: %s.", plural(len(v.Gaps), "CloudTrail digest gap"), strings.Join(gs, "; ")))
		case v.NoGaps != "":
			cv.Verdict = append(cv.Verdict, v.NoGaps)
		}
		if v.GapsNote != "" {
			cv.Verdict = append(cv.Verdict, v.GapsNote)
		}
	}
	v.staleNote(&cv, "trailcase digest verify")
	cv.Facts = []fact{{"Chains", strconv.Itoa(len(res.Chains))}, {"Digests checked", strconv.Itoa(res.DigestsChecked)},
		{"Log copies checked", strconv.Itoa(res.LogsChecked)}, {"Signatures verified", strconv.Itoa(res.SignaturesVerified)},
		{"Digests without a known signature", strconv.Itoa(res.SignaturesMissing)}, {"Problems", strconv.Itoa(len(res.Problems))}}
	for _, ch := range res.Chains {
		cv.Facts = append(cv.Facts, fact{"Chain " + ch.Account + " " + ch.Region + " " + ch.Trail,
			fmt.Sprintf("%s and %s listed, %s to %s, bucket %s", plural(ch.Digests, "digest"), plural(ch.Logs, "log"), fmtTime(ch.Start), fmtTime(ch.End), orDash(ch.Bucket))})
	}
	cv.Problems = rows("digest verify", res.Problems)
	v.Notices = append(v.Notices, res.Notices...)
	return cv
}

func (v *view) objectLockView() checkView {
	var res lockResult
	cv := newCheck("S3 Object Lock (trailcase objectlock)", v.Report.Checks.ObjectLock, &res)
	if !cv.Ran {
		cv.Verdict = []string{"S3 Object Lock retention was not checked ('trailcase objectlock' was not run)."}
		return cv
	}
	s := res.Summary
	if cv.Verdict == nil {
		req := "no retention was required"
		if res.Requirements.Mode != "" || !res.Requirements.Until.IsZero() {
			req = "the requirement was " + orDash(res.Requirements.Mode)
			if !res.Requirements.Until.IsZero() {
				req += " until at least " + fmtTime(res.Requirements.Until)
			}
		}
		cv.Verdict = []string{fmt.Sprintf("Object Lock (%s, %s): of %s, %d under COMPLIANCE retention, %d under GOVERNANCE, %d expired, %d without retention, %d unknown; %d on legal hold; %s; %d fail it.",
			orDash(res.Source), fmtTime(cv.C.Time), plural(s.Objects, "S3 object"), s.Compliance, s.Governance, s.Expired, s.None, s.Unknown, s.LegalHoldOn, req, s.Failing)}
	}
	v.staleNote(&cv, "trailcase objectlock")
	cv.Facts = []fact{{"S3 objects", strconv.Itoa(s.Objects)}, {"COMPLIANCE", strconv.Itoa(s.Compliance)}, {"GOVERNANCE", strconv.Itoa(s.Governance)},
		{"Expired", strconv.Itoa(s.Expired)}, {"No retention", strconv.Itoa(s.None)}, {"Unknown", strconv.Itoa(s.Unknown)},
		{"Legal hold on", strconv.Itoa(s.LegalHoldOn)}, {"Failing", strconv.Itoa(s.Failing)}, {"Items without S3 metadata", strconv.Itoa(res.NotS3)}}
	cv.Problems = rows("objectlock", res.Problems)
	return cv
}

// rows lists findings with their level; a stored problem carries no level,
// so it takes its kind's.
func rows(check string, fs []finding.Finding) []findingRow {
	out := make([]findingRow, 0, len(fs))
	for _, f := range fs {
		lvl := f.Level
		if lvl == "" {
			lvl = f.Kind.Level()
		}
		if lvl == "" {
			lvl = finding.Medium
		}
		obj := f.Object
		if f.Item != 0 {
			obj = strings.TrimSpace(fmt.Sprintf("item %d %s", f.Item, f.Object))
		}
		kind := string(f.Kind)
		if kind == "" {
			kind = f.Rule
		}
		out = append(out, findingRow{Level: string(lvl), Kind: kind, Check: check, Object: obj, Detail: f.Detail})
	}
	return out
}
