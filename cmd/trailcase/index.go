package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/index"
)

// indexOptions are the flags of one index run.
type indexOptions struct {
	caseOptions
}

func indexCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "index",
		Usage:     "parse and index events of items not indexed yet",
		UsageText: "trailcase index --case FILE",
		Description: `Parses every evidence item whose events are not indexed yet (acquired with --no-index,
or whose indexing was interrupted) and stores its normalised events and their indexes. The
evidence bytes are read from the case file; they are never changed. 'acquire' does this by
itself unless --no-index is given.

` + exitCodesHelp,
		Flags: withGlobal(),
		Action: func(c *cli.Context) error {
			return runIndex(c.Context, indexOptions{caseFlags(c)}, e.streams(c))
		},
	}
}

func runIndex(ctx context.Context, o indexOptions, s *streams) error {
	start := time.Now().UTC()
	st, err := o.open(false)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := index.Run(ctx, st, st.NewWriter(0), s.progress)
	s.finishProgress()
	result := evidence.ResultOK
	if err != nil {
		result = evidence.ResultFailed
	}
	summary := fmt.Sprintf("indexed %d event(s) from %d item(s); %d flagged", rep.Events, rep.Items, len(rep.Flagged))
	o.record(st, s, "index", start, result, summary)
	if err != nil {
		return err
	}
	for _, f := range rep.Flagged {
		s.warn("item %d %s (%s): %s, %d warning(s)", f.ID, f.Path, f.Kind, f.State, f.Warnings)
	}
	if s.json {
		return s.printJSON(rep)
	}
	if !s.quiet {
		s.out("%s\n", summary)
	}
	return nil
}
