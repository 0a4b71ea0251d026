package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/index"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

// indexOptions are the flags of one index run.
type indexOptions struct {
	caseOptions
	rebuild bool
}

func indexCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "index",
		Usage:     "parse and index events of items not indexed yet",
		UsageText: "trailcase index --case FILE [--rebuild]",
		Description: `Parses every evidence item whose events are not indexed yet (acquired with --no-index,
or whose indexing was interrupted) and stores its normalised events and their indexes. The
evidence bytes are read from the case file; they are never changed. 'acquire' does this by
itself unless --no-index is given.

--rebuild regenerates all events and indexes from the verbatim evidence: every event,
posting, batch and duplicate key is dropped and every item indexed again; one custody entry
(action "index --rebuild") records the counts before and after. An interrupted rebuild leaves
the case consistent, with the items not yet indexed again pending: rerun it to complete.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.BoolFlag{Name: "rebuild", Usage: "drop all events and indexes and regenerate them from the evidence"},
		),
		Action: func(c *cli.Context) error {
			return runIndex(c.Context, indexOptions{caseOptions: caseFlags(c), rebuild: c.Bool("rebuild")}, e.streams(c))
		},
	}
}

// runIndex indexes the pending items, or with --rebuild regenerates
// every event and index, and records the run in one custody entry, also
// when it fails.
func runIndex(ctx context.Context, o indexOptions, s *streams) error {
	start := time.Now().UTC()
	st, err := o.open(false)
	if err != nil {
		return err
	}
	defer st.Close()
	action, summary := "index", ""
	var rep index.Report
	var out any
	if o.rebuild {
		var rb index.RebuildReport
		rb, err = index.Rebuild(ctx, st, s.progress)
		action, summary, rep, out = "index --rebuild", rebuildSummary(rb, err), rb.Index, rb
	} else {
		rep, err = index.Run(ctx, st, st.NewWriter(0), s.progress)
		summary, out = fmt.Sprintf("indexed %d event(s) from %d item(s); %d flagged", rep.Events, rep.Items, len(rep.Flagged)), rep
	}
	s.finishProgress()
	result := evidence.ResultOK
	if err != nil {
		result = evidence.ResultFailed
	}
	o.record(st, s, action, start, result, summary)
	if err != nil {
		return err
	}
	for _, f := range rep.Flagged {
		s.warn("item %d %s (%s): %s, %d warning(s)", f.ID, safe.Text(f.Path), f.Kind, f.State, f.Warnings)
	}
	if s.json {
		return s.printJSON(out)
	}
	if !s.quiet {
		s.out("%s\n", safe.Text(summary))
	}
	printHead(s)
	return nil
}

// rebuildSummary is the custody detail and the human summary of a rebuild.
func rebuildSummary(rep index.RebuildReport, err error) string {
	counts := func(c store.IndexCounts) string {
		return fmt.Sprintf("%d event(s) of %d indexed item(s), %d event block(s), %d posting key(s), %d batch(es), %d duplicate key(s)",
			c.Events, c.Indexed, c.Blocks, c.Keys, c.Batches, c.Dedup)
	}
	if err != nil {
		return fmt.Sprintf("rebuild failed after %d item(s) were indexed again (before: %s); rerun 'trailcase index --rebuild' to complete it: %v",
			rep.Index.Items, counts(rep.Before), err)
	}
	return fmt.Sprintf("rebuilt the index of %d item(s): before %s; after %s; %d flagged",
		rep.Reset, counts(rep.Before), counts(rep.After), len(rep.Index.Flagged))
}
