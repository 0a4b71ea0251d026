package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/findings"
)

// summaryOptions are the flags of one summary run.
type summaryOptions struct {
	caseOptions
	rules []string // --rules files and directories
}

func summaryCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "summary",
		Usage:     "the case at a glance, and where to start",
		UsageText: "trailcase summary --case FILE [--rules DIR|FILE]… [--json]",
		Description: `One screen to read first: the span and events per source; the top principals, access keys,
source addresses, event names and error codes; the principals, keys, addresses and user agents
first seen last; bursts of denied calls; IAM and logging changes; the role chain (sessions
issued); the largest flows out to public addresses; the findings by level; and "start here":
the addresses and principals behind the high and critical findings, each with the timeline
command to follow it. With --json, all of it as one JSON object.

Counts come from the index, exact, without reading every event ("counts_from": "index"); a
case indexed by an older trailcase is read event by event, with a note ('trailcase index
--rebuild' fixes that), and its counts are then exact up to 4096 distinct values per kind and
upper bounds beyond. The findings need every rule over every event: a summary that runs them
keeps them in the case (no custody entry) and the next summary shows them as stored, with
when they were computed, only while the case (its custody head) and the rules are unchanged;
otherwise it runs the rules again. Reads the case read-only; then opens it for writing only to
keep findings it computed (a case that cannot be written keeps nothing).

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringSliceFlag{Name: "rules", Usage: "also run the Sigma rules in `DIR|FILE`; repeatable"},
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "summary"); err != nil {
				return err
			}
			return runSummary(c.Context, summaryOptions{caseOptions: caseFlags(c), rules: c.StringSlice("rules")}, e.streams(c))
		},
	}
}

func runSummary(ctx context.Context, o summaryOptions, s *streams) error {
	rules, lerrs := findings.LoadRules(o.rules)
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	fo := findings.Options{Rules: rules, Progress: s.progress}
	restoreGC := passGC()
	sum, err := findings.Summarise(ctx, st, fo)
	restoreGC()
	s.finishProgress()
	st.Close()
	if err != nil {
		return err
	}
	if sum.CountsFrom == "index" && sum.FindingsFrom.State == "computed" {
		stored := storeSummaryFindings(o, sum, fo, s)
		sum.FindingsFrom.Stored = &stored
	}
	sum.Failed = append(findings.RuleErrors(lerrs), sum.Failed...)
	if s.json {
		return s.printJSON(sum)
	}
	for _, n := range sum.Notes {
		s.info("%s", n)
	}
	warnRules(s, append(lerrs, sum.Report().RulesFailed...))
	printSummary(s, sum)
	printStartHere(s, sum, o.path)
	return nil
}

// storeSummaryFindings keeps the findings the summary computed in the
// case, so the next summary of the unchanged case shows them without
// running the rules; it reports whether they were kept. A case that
// cannot be written (read-only file, another writer) keeps nothing.
func storeSummaryFindings(o summaryOptions, sum *findings.Summary, fo findings.Options, s *streams) bool {
	st, err := store.Open(o.path, store.Options{})
	if err == nil {
		err = findings.StoreFindings(st, sum, fo)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.info("the findings could not be kept for the next summary (%s): it will run the rules again", safe.Text(err.Error()))
		return false
	}
	return true
}

// printSummary writes the case at a glance.
func printSummary(s *streams, sum *findings.Summary) {
	s.out("case span   %s to %s, %d event(s)\n", evidence.FormatTime(sum.First), evidence.FormatTime(sum.Last), sum.Events)
	for _, sc := range sum.Sources {
		s.out("  %-10s %9d  %s to %s\n", safe.Text(sc.Source), sc.Events, evidence.FormatTime(sc.First), evidence.FormatTime(sc.Last))
	}
	byCount := func(c findings.Count) string {
		return fmt.Sprintf("%s (%d)", timeline.ShortPrincipal(c.Value), c.Count)
	}
	byFirst := func(c findings.Count) string {
		return timeline.ShortPrincipal(c.Value) + " " + evidence.FormatTime(c.First)
	}
	s.out("\ntop\n")
	counts(s, "  principals", sum.Top.Principals, 10, byCount)
	counts(s, "  keys", sum.Top.AccessKeys, 10, byCount)
	counts(s, "  addresses", sum.Top.Addresses, 10, byCount)
	counts(s, "  events", sum.Top.EventNames, 10, byCount)
	counts(s, "  errors", sum.Top.ErrorCodes, 10, byCount)
	s.out("\nfirst seen last\n")
	counts(s, "  principals", sum.New.Principals, 5, byFirst)
	counts(s, "  keys", sum.New.AccessKeys, 5, byFirst)
	counts(s, "  addresses", sum.New.Addresses, 5, byFirst)
	counts(s, "  agents", sum.New.UserAgents, 5, byFirst)
	for _, b := range sum.Denied {
		s.out("denied      %d calls by %s from %s, %s to %s\n", b.Count, safe.Text(timeline.ShortPrincipal(b.Principal)), safe.Text(b.Address), evidence.FormatTime(b.First), evidence.FormatTime(b.Last))
	}
	changes(s, "\nrole chain (sessions issued)\n", sum.Roles)
	changes(s, "\nIAM and logging changes\n", sum.Changes)
	if len(sum.Egress) > 0 {
		s.out("\nlargest flows out\n")
		for _, f := range sum.Egress[:min(5, len(sum.Egress))] {
			s.out("  %s  %s → %s  %s\n", evidence.FormatTime(f.Time), safe.Text(f.Src), safe.Text(timeline.Endpoint(f.Dst, f.DstPort)), timeline.HumanBytes(f.Bytes))
		}
	}
	var lv []string
	for _, l := range sum.Findings {
		lv = append(lv, fmt.Sprintf("%d %s", l.Count, l.Level))
	}
	s.out("\nfindings    %s ('trailcase findings' lists them)\n", strings.Join(lv, ", "))
	switch f := sum.FindingsFrom; f.State {
	case "stored":
		s.out("            as computed at %s (custody entry %d); the case and the rules are unchanged since\n", evidence.FormatTime(f.ComputedAt), f.CustodyEntries)
	case "computed":
		s.out("            computed now over every event\n")
	}
}

// counts prints up to n values on one line.
func counts(s *streams, label string, cs []findings.Count, n int, format func(findings.Count) string) {
	var parts []string
	for _, c := range cs[:min(n, len(cs))] {
		parts = append(parts, format(c))
	}
	if len(parts) > 0 {
		s.out("%-11s %s\n", label, safe.Text(strings.Join(parts, ", ")))
	}
}

// changes lists calls, one line each.
func changes(s *streams, title string, cs []findings.Change) {
	if len(cs) == 0 {
		return
	}
	s.out("%s", title)
	for _, c := range cs {
		line := fmt.Sprintf("  %s  %s  %s  %s", evidence.FormatTime(c.Time), timeline.ShortPrincipal(c.Principal), c.Action, c.Outcome)
		if c.Result != "" {
			line += " → " + timeline.ShortPrincipal(c.Result)
		}
		if c.Address != "" {
			line += "  from " + c.Address
		}
		s.out("%s\n", safe.Text(line))
	}
}

// printStartHere lists the pivots with the timeline command for each.
func printStartHere(s *streams, sum *findings.Summary, casePath string) {
	if len(sum.Start) == 0 {
		return
	}
	s.out("\nstart here\n")
	for _, p := range sum.Start {
		s.out("  %s %s: %s\n", strings.TrimPrefix(p.Flag, "--"), safe.Text(p.Value), safe.Text(strings.Join(p.Findings, "; ")))
		if len(p.AccessKeys) > 0 {
			s.out("    access keys used from it: %s\n", safe.Text(strings.Join(p.AccessKeys, ", ")))
		}
		s.out("    trailcase timeline --case %s %s %s\n", safe.Text(shellQuote(casePath)), p.Flag, safe.Text(shellQuote(p.Value)))
	}
}
