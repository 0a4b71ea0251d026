package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/index"
)

func init() { register("index", indexCommand) }

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
			start := time.Now().UTC()
			st, err := e.openCase(c, false)
			if err != nil {
				return err
			}
			defer st.Close()
			prog := e.progress(c)
			rep, err := index.Run(c.Context, st, st.NewWriter(0), prog)
			finishProgress(prog)
			result := evidence.ResultOK
			if err != nil {
				result = evidence.ResultFailed
			}
			summary := fmt.Sprintf("indexed %d event(s) from %d item(s); %d flagged", rep.Events, rep.Items, len(rep.Flagged))
			e.record(c, st, "index", start, result, summary, nil)
			if err != nil {
				return err
			}
			for _, f := range rep.Flagged {
				e.warn(c, "item %d %s (%s): %s, %d warning(s)", f.ID, f.Path, f.Kind, f.State, f.Warnings)
			}
			if jsonOut(c) {
				return e.printJSON(rep)
			}
			if !quiet(c) {
				e.out(c, "%s\n", summary)
			}
			return nil
		},
	}
}
