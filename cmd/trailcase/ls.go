package main

import (
	"context"
	"strings"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/urfave/cli/v2"
)

// lsOptions are the flags of one ls run.
type lsOptions struct {
	caseOptions
	kinds []string // only items of these kinds; all when empty
}

func lsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list the evidence items in the case",
		UsageText: "trailcase ls --case FILE [--kind KIND] [--json]",
		Description: `Lists every evidence item: id, kind, size, SHA-256, parse state and flags, and path.
With --json, a JSON array of the full item records. Opens the case read-only.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringSliceFlag{Name: "kind", Usage: "only items of `KIND` (cloudtrail, vpcflow, elb-alb, …); repeatable"},
		),
		Action: func(c *cli.Context) error {
			return runLs(c.Context, lsOptions{caseFlags(c), c.StringSlice("kind")}, e.streams(c))
		},
	}
}

func runLs(_ context.Context, o lsOptions, s *streams) error {
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	kinds := map[string]bool{}
	for _, k := range o.kinds {
		kinds[k] = true
	}
	items := []evidence.Item{}
	err = st.Items(func(it evidence.Item) error {
		if len(kinds) == 0 || kinds[it.Kind] {
			it.S3 = acquire.S3Fields(it) // the bucket of a sidecar item acquired before it was recorded
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(items)
	}
	if len(items) == 0 {
		s.info("the case holds no evidence yet: add some with 'trailcase acquire'")
		return nil
	}
	s.out("%-6s %-18s %12s  %-64s  %-8s  %s\n", "ID", "KIND", "SIZE", "SHA256", "PARSED", "PATH")
	for _, it := range items {
		state := it.ParseState
		if len(it.Flags) > 0 {
			state += " [" + strings.Join(it.Flags, ",") + "]"
		}
		path := it.Path
		if it.S3 != nil && it.S3.VersionID != "" {
			path += " (version " + it.S3.VersionID + ")"
		}
		s.out("%-6d %-18s %12d  %s  %-8s  %s\n", it.ID, safe.Text(it.Kind), it.Size, it.SHA256, safe.Text(state), safe.Text(path))
	}
	return nil
}
