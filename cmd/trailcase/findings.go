package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline/findings"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// findingsOptions are the flags of one findings run.
type findingsOptions struct {
	caseOptions
	rules  []string      // --rules files and directories
	level  finding.Level // only findings at or above it; "" for all
	failOn finding.Level // exit 3 when a finding is at or above it; "" never
	find   findings.Options
	sql    string // --emit-sql dialect: write the rules as SQL instead
}

func findingsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "findings",
		Usage:     "list what the rules, the checks and the coverage analysis found, most severe first",
		UsageText: "trailcase findings --case FILE [--rules DIR|FILE]… [--level L] [--fail-on L] [--from T] [--to T] [--json]\n   trailcase findings --emit-sql duckdb|athena [--rules DIR|FILE]…",
		Description: `Runs the built-in Sigma rule pack and the rules given with --rules over the case's events in
time order, and lists every finding, most severe first: behaviour (what the rules matched),
coverage (evidence that is not there: delivery gaps, digest-chain restarts, NODATA/SKIPDATA
flow records, StopLogging windows, load balancers and VPCs with no logs) and integrity (the
problems of the latest verify, digest verify and objectlock results stored in the case).

Reads the case read-only. Without --rules, --from and --to (the findings 'summary' shows), it
then opens the case for writing to keep them for the next summary of the unchanged case, as a
summary does (no custody entry); a case that cannot be written keeps nothing.

A rule that cannot be loaded is reported (file, line, what is unsupported); the others run.
Levels: informational, low, medium, high, critical. With --fail-on LEVEL the exit status is 3
when a finding is at or above LEVEL.

With --emit-sql duckdb|athena no case is read: the built-in rules and the --rules are written
on stdout as SQL queries over the Parquet export (trailcase export --format parquet; columns in
docs/export-schema.md), for DuckDB or for Amazon Athena (engine version 3), so the same detections
run over years of exported logs. A rule SQL cannot express as the engine runs it is written as a
comment naming the rule and the reason; the count of each is printed on stderr.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringSliceFlag{Name: "rules", Usage: "also run the Sigma rules in `DIR|FILE`; repeatable"},
			&cli.StringFlag{Name: "level", Usage: "only findings at or above `LEVEL`"},
			&cli.StringFlag{Name: "fail-on", Usage: "exit 3 when a finding is at or above `LEVEL`"},
			&cli.StringFlag{Name: "from", Usage: "only events at or after `TIME` (RFC 3339 or a date)"},
			&cli.StringFlag{Name: "to", Usage: "only events before `TIME`"},
			&cli.StringFlag{Name: "emit-sql", Usage: "write the rules as SQL for `DIALECT` (duckdb or athena) instead of running them"},
		),
		Action: func(c *cli.Context) error {
			o, err := findingsFlags(c)
			if err != nil {
				return err
			}
			if o.sql != "" {
				return runFindingsSQL(o, e.streams(c))
			}
			return runFindings(c.Context, o, e.streams(c))
		},
	}
}

// findingsFlags reads and checks the flags of findings.
func findingsFlags(c *cli.Context) (findingsOptions, error) {
	o := findingsOptions{caseOptions: caseFlags(c), rules: c.StringSlice("rules")}
	if err := noArgs(c, "findings"); err != nil {
		return o, err
	}
	if o.sql = c.String("emit-sql"); o.sql != "" {
		return o, sqlFlags(c, o.sql)
	}
	var err error
	for _, l := range []struct {
		flag string
		dst  *finding.Level
	}{{"level", &o.level}, {"fail-on", &o.failOn}} {
		if v := c.String(l.flag); v != "" {
			if *l.dst, err = finding.ParseLevel(v); err != nil {
				return o, usagef("--%s: %v", l.flag, err)
			}
		}
	}
	if o.find.From, err = parseTime("from", c.String("from")); err != nil {
		return o, err
	}
	if o.find.To, err = parseTime("to", c.String("to")); err != nil {
		return o, err
	}
	if !o.find.From.IsZero() && !o.find.To.IsZero() && !o.find.To.After(o.find.From) {
		return o, usagef("--to %s is not after --from %s", fmtTime(o.find.To), fmtTime(o.find.From))
	}
	return o, nil
}

func runFindings(ctx context.Context, o findingsOptions, s *streams) error {
	rules, lerrs := findings.LoadRules(o.rules)
	o.find.Rules = rules
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	o.find.Progress = s.progress
	defer passGC()()
	rep, src, err := findings.Compute(ctx, st, o.find)
	s.finishProgress()
	st.Close()
	if err != nil {
		return err
	}
	if o.find.Keepable() {
		keepFindings(o, rep, src, s)
	}
	rep.RulesFailed = append(lerrs, rep.RulesFailed...)
	warnRules(s, rep.RulesFailed)
	shown := rep.Findings[:0:0]
	failing := 0
	for _, f := range rep.Findings {
		if o.failOn != "" && f.Level.AtLeast(o.failOn) {
			failing++
		}
		if f.Level.AtLeast(o.level) {
			shown = append(shown, f)
		}
	}
	rep.Findings = shown
	if s.json {
		if err := s.printJSON(findings.ListOf(rep)); err != nil {
			return err
		}
	} else {
		printFindings(s, rep)
	}
	if failing > 0 {
		return problemsError{fmt.Sprintf("%d finding(s) at or above %s", failing, o.failOn)}
	}
	return nil
}

// passGC lets the garbage collector run less often during a pass over
// every event, which allocates fast and keeps little (the chunks being
// matched, the grouped findings, the correlation state): the heap may
// grow to three times what is live (GOGC=200) but not past passHeap,
// where it collects as often as it must. It returns what puts the
// settings back.
func passGC() func() { return collector(200, passHeap) }

// passHeap bounds the Go heap during a pass (passGC); the pass stays
// within its peak memory target (docs/PERFORMANCE.md) with room for the
// store's mapped pages.
const passHeap = 384 << 20

// queryGC lets a timeline query's heap grow to five times what is live
// (GOGC=400) under the usual soft limit: a query keeps little (the
// blocks being read, the events being written), so a small one finishes
// without collecting at all, and a large one still collects as often as
// it must at the limit. Against GOGC=200 it saves a sixth of a
// one-address query's CPU and more of a principal's; GOGC=800 saved a
// little more, and held up to a third more memory for answers of tens
// of thousands of events (docs/PERFORMANCE.md).
func queryGC() func() { return collector(400, memoryLimit) }

// collector sets the collector to pct (GOGC) under the soft heap limit
// and returns what puts the settings back. GOGC or GOMEMLIMIT in the
// environment are left alone.
func collector(pct int, limit int64) func() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	collectors.Lock()
	defer collectors.Unlock()
	if collectors.n == 0 {
		collectors.limit = debug.SetMemoryLimit(limit)
		collectors.pct = debug.SetGCPercent(pct)
	}
	collectors.n++
	return sync.OnceFunc(func() {
		collectors.Lock()
		defer collectors.Unlock()
		if collectors.n--; collectors.n == 0 {
			debug.SetGCPercent(collectors.pct)
			debug.SetMemoryLimit(collectors.limit)
		}
	})
}

// collectors counts the commands running with their own collector
// settings (commands run side by side in one process in tests) and keeps
// the settings from before the first; the first one's settings hold
// until the last ends.
var collectors struct {
	sync.Mutex
	n, pct int
	limit  int64
}

// keepFindings keeps the findings of the built-in pack over the whole case
// for the next summary of the unchanged case, as a summary that computes
// them does. A case that cannot be written keeps nothing: the summary
// then runs the rules itself.
func keepFindings(o findingsOptions, rep *findings.Report, src findings.FindingsSource, s *streams) {
	st, err := store.Open(o.path, store.Options{})
	if err == nil {
		err = findings.KeepReport(st, rep, src, o.find)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.info("the findings could not be kept for the next summary (%s): it will run the rules again", safe.Text(err.Error()))
	}
}

// warnRules says which rules could not be loaded (the others ran).
func warnRules(s *streams, errs []*sigma.RuleError) {
	if s.json {
		return
	}
	for _, e := range errs {
		s.warn("rule not loaded: %s", safe.Text(e.Error()))
	}
}

// printFindings writes one block per finding and a closing count.
func printFindings(s *streams, rep *findings.Report) {
	for _, f := range rep.Findings {
		printFinding(s, f)
	}
	counts := map[finding.Level]int{}
	for _, f := range rep.Findings {
		counts[f.Level]++
	}
	var parts []string
	for _, l := range []finding.Level{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Informational} {
		if counts[l] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[l], l))
		}
	}
	by := ""
	if len(parts) > 0 {
		by = " (" + strings.Join(parts, ", ") + ")"
	}
	s.out("%d finding(s)%s; %d event(s) read, %d rule(s) loaded, %d failed\n", len(rep.Findings), by, rep.Events, rep.RulesLoaded, len(rep.RulesFailed))
}

// printFinding writes one finding as a block; every string that may come
// from the evidence goes through safe.Text.
func printFinding(s *streams, f finding.Finding) {
	id := f.Rule
	if id == "" {
		id = string(f.Kind)
	}
	s.out("%s  %s  %s  [%s]\n", strings.ToUpper(string(f.Level)), f.Category, safe.Text(f.Title), safe.Text(id))
	if !f.First.IsZero() {
		s.out("  when        %s to %s\n", evidence.FormatTime(f.First), evidence.FormatTime(f.Last))
	}
	list := func(label string, vs []string) {
		if len(vs) > 0 {
			s.out("  %-11s %s\n", label, safe.Text(strings.Join(vs, ", ")))
		}
	}
	list("principals", f.Principals)
	list("addresses", f.IPs)
	list("techniques", f.Techniques)
	if f.Object != "" {
		s.out("  object      %s\n", safe.Text(f.Object))
	}
	if len(f.Events) > 0 {
		var refs []string
		for i, e := range f.Events {
			if i == 5 {
				refs = append(refs, fmt.Sprintf("… %d more", len(f.Events)-5))
				break
			}
			refs = append(refs, fmt.Sprintf("%d/%d", e.Item, e.Record))
		}
		s.out("  events      %s\n", strings.Join(refs, ", "))
	}
	s.out("  %s\n\n", safe.Text(f.Detail))
}

// writeFindingsFile writes the findings of the case as 'findings --json'
// prints them to path (built beside it and renamed into place) and
// returns how many there are.
func writeFindingsFile(ctx context.Context, st *store.Store, path string, force bool, o findings.Options) (int, error) {
	rep, err := findings.ForCase(ctx, st, o)
	if err != nil {
		return 0, err
	}
	f, err := createOutput(path, force)
	if err != nil {
		return 0, err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	return len(rep.Findings), commitOutput(ctx, f, enc.Encode(findings.ListOf(rep)))
}
