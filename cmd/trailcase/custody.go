package main

import (
	"context"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/report"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/urfave/cli/v2"
)

// custodyOptions are the flags of one custody run.
type custodyOptions struct {
	caseOptions
}

func custodyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "custody",
		Usage:     "print the chain-of-custody log",
		UsageText: "trailcase custody --case FILE [--json]",
		Description: `Prints every custody log entry, oldest first: sequence, time, action, examiner, OS user
and host, result and details, and the chain hash. With --json, a JSON array of the entries.
Opens the case read-only; 'trailcase verify' checks the chain.

` + exitCodesHelp,
		Flags: withGlobal(),
		Action: func(c *cli.Context) error {
			return runCustody(c.Context, custodyOptions{caseFlags(c)}, e.streams(c))
		},
	}
}

func runCustody(_ context.Context, o custodyOptions, s *streams) error {
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	entries := []evidence.CustodyEntry{}
	if err := st.Custody(func(ce evidence.CustodyEntry) error { entries = append(entries, ce); return nil }); err != nil {
		return err
	}
	if s.json {
		return s.printJSON(entries)
	}
	for _, ce := range entries {
		s.out("#%d  %s  %-9s %-11s examiner %s (%s@%s), trailcase %s\n", ce.Seq, fmtTime(ce.Start), safe.Text(ce.Action), safe.Text(ce.Result), safe.Text(ce.Examiner), safe.Text(ce.OSUser), safe.Text(ce.Host), safe.Text(ce.ToolVersion))
		if len(ce.Args) > 0 {
			s.out("      command: %s\n", safe.Text(report.CommandLine(ce.Args)))
		}
		if ce.Detail != "" {
			s.out("      %s\n", safe.Text(ce.Detail))
		}
		if len(ce.Items) > 0 {
			s.out("      items: %d (ids %d…%d)\n", len(ce.Items), ce.Items[0], ce.Items[len(ce.Items)-1])
		}
		s.out("      ended %s, hash %s\n", fmtTime(ce.End), ce.Hash)
	}
	return nil
}
