package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline/findings"
)

// FindingsMode says whether Build runs the rules and the coverage
// analysis of timeline/findings over the case's events.
type FindingsMode string

const (
	// FindingsAuto runs them when the case holds at most
	// MaxFindingsEvents events (the default).
	FindingsAuto FindingsMode = ""
	FindingsOn   FindingsMode = "on"
	FindingsOff  FindingsMode = "off"
)

// MaxFindingsEvents is the most events FindingsAuto reads the rules over:
// the pass reads and decodes every event, and a report of a larger case
// should not wait for it unasked.
const MaxFindingsEvents = 1_000_000

// maxRuleRows is how many rule and coverage findings the report lists;
// the others are counted.
const maxRuleRows = 50

// RuleFindings are what the built-in rule pack and the coverage analysis
// found in the case's events (the behaviour and coverage findings of
// 'trailcase findings'; the checks' problems are listed by Checks).
type RuleFindings struct {
	Ran bool `json:"ran"`
	// Skipped says why they did not run, "" when they did.
	Skipped     string         `json:"skipped,omitempty"`
	Events      int64          `json:"events"` // events read
	RulesLoaded int            `json:"rules_loaded"`
	Total       int            `json:"total"`
	Levels      map[string]int `json:"levels"`   // findings per level
	Findings    []RuleFinding  `json:"findings"` // most severe first, up to 50
}

// RuleFinding is one rule or coverage finding.
type RuleFinding struct {
	Rule       string    `json:"rule"`
	Title      string    `json:"title"`
	Level      string    `json:"level"`
	Category   string    `json:"category"`
	First      time.Time `json:"first,omitzero"`
	Last       time.Time `json:"last,omitzero"`
	Principals []string  `json:"principals"`
	IPs        []string  `json:"ips"`
	Matched    int       `json:"matched"` // events the rule matched; 0 for coverage
	Detail     string    `json:"detail"`
}

// ruleFindings runs the rules when opts.Findings asks for them over a case of
// events events. The digest chains are not re-verified: the report shows
// the stored digest verification.
func ruleFindings(ctx context.Context, st *store.Store, opts Options, events int64) (*RuleFindings, error) {
	mode := opts.Findings
	rf := &RuleFindings{Levels: map[string]int{}, Findings: []RuleFinding{}}
	switch {
	case mode == FindingsOff:
		rf.Skipped = "not asked for"
		return rf, nil
	case mode == FindingsAuto && events > MaxFindingsEvents:
		rf.Skipped = fmt.Sprintf("the case holds %d events, more than %d", events, MaxFindingsEvents)
		return rf, nil
	}
	rep, err := findings.ForCase(ctx, st, findings.Options{NoDigest: true, Progress: opts.Progress})
	if err != nil {
		return nil, fmt.Errorf("run the rules: %w", err)
	}
	rf.Ran, rf.Events, rf.RulesLoaded = true, rep.Events, rep.RulesLoaded
	for _, f := range rep.Findings { // most severe first
		if f.Category != finding.Behaviour && f.Category != finding.Coverage {
			continue
		}
		rf.Total++
		rf.Levels[string(f.Level)]++
		if len(rf.Findings) < maxRuleRows {
			rf.Findings = append(rf.Findings, RuleFinding{Rule: f.Rule, Title: f.Title, Level: string(f.Level),
				Category: string(f.Category), First: f.First, Last: f.Last, Principals: nonNil(f.Principals),
				IPs: nonNil(f.IPs), Matched: f.Count, Detail: f.Detail})
		}
	}
	return rf, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ruleRow is one rule or coverage finding as the report lists it.
type ruleRow struct {
	Level, Title, Rule, When, Who, Matched, Detail string
}

// rules fills the view's rule and coverage findings.
func (v *view) rules() {
	rf := v.Report.Findings
	if rf == nil {
		return
	}
	if !rf.Ran {
		v.RulesNote = "The rule pack and the coverage analysis were not run (" + rf.Skipped + "); 'trailcase findings' lists what they find, and 'trailcase report --findings' adds it here."
		return
	}
	v.RuleLevels = levelCounts(rf.Levels)
	if rf.Total > len(rf.Findings) {
		v.MoreRules = fmt.Sprintf("%d more are not listed here; 'trailcase findings' lists them all.", rf.Total-len(rf.Findings))
	}
	for _, f := range rf.Findings {
		row := ruleRow{Level: f.Level, Title: f.Title, Rule: f.Rule, Detail: f.Detail, Matched: "—"}
		if !f.First.IsZero() {
			row.When = fmtTime(f.First) + " to " + fmtTime(f.Last)
		}
		who := append(append([]string{}, f.Principals...), f.IPs...)
		row.Who = orDash(strings.Join(who, ", "))
		if f.Matched > 0 {
			row.Matched = fmt.Sprint(f.Matched)
		}
		v.Rules = append(v.Rules, row)
	}
}

// levelCounts writes counts per level most severe first: "2 critical, 1 high".
func levelCounts(counts map[string]int) string {
	var parts []string
	for i := len(levelOrder) - 1; i >= 0; i-- {
		if n := counts[levelOrder[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, levelOrder[i]))
		}
	}
	return strings.Join(parts, ", ")
}
