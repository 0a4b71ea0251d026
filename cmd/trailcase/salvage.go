package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/evidence/salvage"
)

// salvageOptions are the flags of one salvage run.
type salvageOptions struct {
	caseOptions
	damaged, output string
}

func salvageCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "salvage",
		Usage:     "copy what can still be read from a damaged case into a new case",
		UsageText: "trailcase salvage DAMAGED -o NEW [--json]",
		Description: `Opens the damaged case read-only and reads what it can, record by record: the case
description, every evidence item whose bytes still hash to what was recorded at acquisition
(with its sidecar), the public keys and every custody entry that still verifies. It creates
NEW with them, appends a custody entry naming the damaged file and its SHA-256, what was copied
and what was lost (items by id and path with the reason, custody entries by number), and
indexes NEW from the rescued evidence. The damaged case is never written.

Exit status 0 when everything was rescued, 3 when something was lost, 1 when nothing could be
read (NEW is then not created).

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the new case `FILE` (must not exist)", Required: true},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("salvage takes one damaged case file (got %d arguments)", c.NArg())
			}
			o := salvageOptions{caseOptions: caseFlags(c), damaged: c.Args().First(), output: c.String("output")}
			return runSalvage(c.Context, o, e.streams(c))
		},
	}
}

func runSalvage(ctx context.Context, o salvageOptions, s *streams) error {
	if filepath.Clean(o.damaged) == filepath.Clean(o.output) {
		return usagef("salvage: -o must name a new case file, not the damaged one")
	}
	a := custody.Local(tool(), o.examiner, nil)
	rep, err := salvage.Run(ctx, o.damaged, o.output, a, o.args, s.progress)
	s.finishProgress()
	if errors.Is(err, salvage.ErrUnreadable) {
		return withHint(err, "the file is not a trailcase case, or its damage leaves nothing readable")
	}
	if err != nil {
		return err
	}
	s.head = rep.Entry.Hash.String()
	for _, l := range rep.ItemsLost {
		s.warn("item %d %s lost: %s", l.ID, safe.Text(l.Path), safe.Text(l.Reason))
	}
	for _, l := range rep.CustodyLost {
		s.warn("custody entry %d lost: %s", l.Seq, safe.Text(l.Reason))
	}
	if s.json {
		err = s.printJSON(struct {
			*salvage.Report
			Complete bool `json:"complete"`
		}{rep, rep.Complete()})
	} else if !s.quiet || !rep.Complete() {
		s.out("%s\n", safe.Text(salvage.Summary(rep)))
		printHead(s)
	}
	if err != nil {
		return err
	}
	if !rep.Complete() {
		return problemsError{fmt.Sprintf("%d item(s) and %d custody entries could not be rescued; the new case %s records what was lost", len(rep.ItemsLost), len(rep.CustodyLost), o.output)}
	}
	return nil
}
