package findings

import (
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// List is a Report in the JSON shape of 'trailcase findings --json':
// every array present, even when empty.
type List struct {
	Findings    []Row       `json:"findings"`
	RulesLoaded int         `json:"rules_loaded"`
	RulesFailed []RuleError `json:"rules_failed"`
}

// Row is one finding in a List.
type Row struct {
	Rule       string             `json:"rule"`
	Kind       finding.Kind       `json:"kind,omitempty"`
	Title      string             `json:"title"`
	Level      finding.Level      `json:"level"`
	Category   finding.Category   `json:"category"`
	Techniques []string           `json:"techniques"`
	First      *string            `json:"first"`
	Last       *string            `json:"last"`
	Principals []string           `json:"principals"`
	IPs        []string           `json:"ips"`
	Events     []finding.Evidence `json:"events"`
	Object     string             `json:"object,omitempty"`
	Detail     string             `json:"detail"`
}

// RuleError is a rule that could not be loaded.
type RuleError struct {
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	Error string `json:"error"`
}

// ListOf returns the JSON shape of rep.
func ListOf(rep *Report) List {
	l := List{Findings: []Row{}, RulesLoaded: rep.RulesLoaded, RulesFailed: RuleErrors(rep.RulesFailed)}
	for _, f := range rep.Findings {
		l.Findings = append(l.Findings, RowOf(f))
	}
	return l
}

// RuleErrors returns rule errors in their JSON shape, never nil.
func RuleErrors(errs []*sigma.RuleError) []RuleError {
	out := []RuleError{}
	for _, e := range errs {
		out = append(out, RuleError{File: e.File, Line: e.Line, Error: e.Msg})
	}
	return out
}

// RowOf returns one finding in its List shape.
func RowOf(f finding.Finding) Row {
	r := Row{Rule: f.Rule, Kind: f.Kind, Title: f.Title, Level: f.Level, Category: f.Category,
		Techniques: nonNil(f.Techniques), Principals: nonNil(f.Principals), IPs: nonNil(f.IPs),
		Events: f.Events, Object: f.Object, Detail: f.Detail}
	if r.Rule == "" {
		r.Rule = string(f.Kind)
	}
	if r.Events == nil {
		r.Events = []finding.Evidence{}
	}
	if !f.First.IsZero() {
		s := evidence.FormatTime(f.First)
		r.First = &s
	}
	if !f.Last.IsZero() {
		s := evidence.FormatTime(f.Last)
		r.Last = &s
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
