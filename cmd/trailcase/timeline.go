package main

import (
	"context"
	"errors"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/findings"
)

// timelineOptions are the flags of one timeline run.
type timelineOptions struct {
	caseOptions
	query  timeline.Query
	format string
	wide   bool // full table lines, whatever the terminal's width
	width  int  // fit the table to this width; 0: the terminal's, if any
	// correlations also names the correlation findings (bursts, scans)
	// each event contributes to: a second read of the time range.
	correlations bool
}

func timelineCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "timeline",
		Usage:     "one merged, time-ordered timeline for an IP address, a principal, or everything",
		UsageText: "trailcase timeline --case FILE (--ip IP|CIDR | --principal P | --all) [--event NAME,…] [--resource R] [--user-agent TEXT] [--outcome success|error] [--from T] [--to T] [--source cloudtrail,vpcflow,elb,s3access,config,guardduty] [--format table|csv|jsonl|timesketch]",
		Description: `Merges the CloudTrail, VPC Flow Log and ELB events of the case into one timeline, oldest
first, times in UTC with milliseconds.

--ip IP          every event where the address is the source or the destination (CloudTrail
                 sourceIPAddress, flow srcaddr/dstaddr/pkt-*addr, ELB client and targets), and
                 the principals that acted from it.
--principal P    a user or role ARN, a user name, an access key id or an assumed-role session
                 ARN: its own CloudTrail events; the events made with credentials it obtained
                 through AssumeRole*, GetSessionToken or GetFederationToken (followed
                 recursively: role chaining); and the flow and ELB events of the addresses it
                 called from, within --from/--to or else within an hour of its use of each.
--all            every event.

Selectors narrow any of these, or stand alone: --event NAME[,NAME…] (event names or globs, any
case: CloudTrail eventName, S3 access log operation), --resource ARN|NAME|PREFIX (what the event
acted on), --user-agent TEXT (substring), --outcome success|error. --ip also takes a CIDR range.
All given selectors must match. A role ARN without its path finds the role with its path. An
IP address or principal the case has never seen is said so, with the nearest ones it has.

Each event says why it is included. Anti-forensic calls (StopLogging, DeleteTrail, validation
turned off, DeleteFlowLogs, ALB access logs turned off, deletes and lifecycle rules on log
buckets) are annotated, and so is a REJECT on the reply direction of an accepted flow, which
a stateless network ACL causes. --from is inclusive, --to exclusive.

Formats: table (default; ends with a summary), csv, jsonl (also --json), and timesketch
(JSON Lines for Timesketch import: message, datetime, timestamp, timestamp_desc).
On a terminal (or with COLUMNS set, in the demo) the table fits its width: columns are dropped
by priority (time, source, action, principal, outcome, then addresses), long values end with
"…" and notes go on an indented second line; --wide prints full lines. Piped or redirected,
the table has full lines. The case is opened read-only.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "ip", Usage: "events touching `ADDRESS` (IPv4 or IPv6) or any address of a CIDR range"},
			&cli.StringFlag{Name: "principal", Usage: "events of `PRINCIPAL` (ARN, user name, access key id, session ARN) and its credentials"},
			&cli.BoolFlag{Name: "all", Usage: "every event"},
			&cli.StringFlag{Name: "from", Usage: "only events at or after `TIME` (RFC 3339 or YYYY-MM-DD, UTC)"},
			&cli.StringFlag{Name: "to", Usage: "only events before `TIME`"},
			&cli.StringFlag{Name: "source", Usage: "only events of these `SOURCES` (comma-separated: cloudtrail,vpcflow,elb,s3access,config,guardduty)"},
			&cli.StringFlag{Name: "format", Value: timeline.FormatTable, Usage: "output `FORMAT`: table, csv, jsonl or timesketch"},
			&cli.BoolFlag{Name: "wide", Usage: "full table lines with every column and the notes, whatever the terminal's width"},
			&cli.BoolFlag{Name: "correlations", Usage: "also name the correlation findings (bursts, scans) each event is part of; reads the events of the time range once more"},
			&cli.StringFlag{Name: "event", Usage: "only events named `NAME[,NAME…]` (globs such as Delete*, any case)"},
			&cli.StringFlag{Name: "resource", Usage: "only events acting on `RESOURCE` (an ARN, a name or id, or a prefix of either)"},
			&cli.StringFlag{Name: "user-agent", Usage: "only events whose user agent contains `TEXT`"},
			&cli.StringFlag{Name: "outcome", Usage: "only events that succeeded or failed: `success|error`"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("timeline takes no arguments (got %q); give --ip, --principal or --all", c.Args().First())
			}
			o := timelineOptions{caseOptions: caseFlags(c), format: c.String("format"), wide: c.Bool("wide"), correlations: c.Bool("correlations")}
			if gBool(c, "json") {
				if c.IsSet("format") && o.format != timeline.FormatJSONL {
					return usagef("--json prints jsonl; it cannot be combined with --format %s", o.format)
				}
				o.format = timeline.FormatJSONL
			}
			q := &o.query
			q.IP, q.Principal, q.All = strings.TrimSpace(c.String("ip")), strings.TrimSpace(c.String("principal")), c.Bool("all")
			q.Events, q.Resource = timeline.ParseEventNames(c.String("event")), strings.TrimSpace(c.String("resource"))
			q.UserAgent, q.Outcome = c.String("user-agent"), strings.ToLower(strings.TrimSpace(c.String("outcome")))
			var err error
			if q.From, err = parseTime("from", c.String("from")); err != nil {
				return err
			}
			if q.To, err = parseTime("to", c.String("to")); err != nil {
				return err
			}
			if q.Sources, err = timeline.ParseSources(c.String("source")); err != nil {
				return usageError{"--source: " + strings.TrimPrefix(err.Error(), timeline.ErrBadQuery.Error()+": ")}
			}
			if q.IP == "" && q.Principal == "" && !q.All && len(q.Events) == 0 && q.Resource == "" && q.UserAgent == "" && q.Outcome == "" {
				return usagef("timeline needs a selector: give exactly one of an IP address, a principal or all (--ip ADDRESS, --principal PRINCIPAL or --all), or select by --event, --resource, --user-agent or --outcome")
			}
			if err := q.Validate(); err != nil {
				return usageError{strings.TrimPrefix(err.Error(), timeline.ErrBadQuery.Error()+": ")}
			}
			if !validFormat(o.format) {
				return usagef("--format %q: want table, csv, jsonl or timesketch", o.format)
			}
			return runTimeline(c.Context, o, e.streams(c))
		},
	}
}

func validFormat(f string) bool {
	for _, k := range timeline.Formats {
		if f == k {
			return true
		}
	}
	return false
}

func runTimeline(ctx context.Context, o timelineOptions, s *streams) error {
	defer queryGC()()
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	width := o.width
	if width == 0 && isTerminal(s.stdout) {
		width = terminalWidth(s.stdout)
	}
	if o.wide || o.format != timeline.FormatTable {
		width = 0
	}
	sum, err := writeTimeline(ctx, s, st, o.query, o.format, width, o.correlations)
	if err != nil {
		return err
	}
	if o.format != timeline.FormatTable && !s.quiet {
		s.info("%d event(s)", sum.Events)
	}
	if sum.Unknown != nil {
		s.info("hint: %s", sum.Unknown.Message())
	}
	if sum.Events == 0 {
		if n, err := st.EventCount(); err == nil && n == 0 {
			s.info("hint: the case holds no events yet: add evidence with 'trailcase acquire'")
		}
	}
	return nil
}

// writeTimeline runs q and writes it to stdout in format; a table fits
// in width columns (0: full lines).
func writeTimeline(ctx context.Context, s *streams, src timeline.EventSource, q timeline.Query, format string, width int, correlations bool) (*timeline.Summary, error) {
	w, err := timeline.NewWriter(s.stdout, format)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if width > 0 {
		w = timeline.NewTableWriter(s.stdout, width)
	}
	// Compiling the rule pack takes a few milliseconds of a small query:
	// it is done beside reading the index.
	anns := make(chan *findings.Annotator, 1)
	go func() { anns <- findings.NewAnnotator(nil) }()
	corr, err := timeline.Prepare(ctx, src, q)
	if err != nil {
		if errors.Is(err, timeline.ErrBadQuery) {
			return nil, usageError{strings.TrimPrefix(err.Error(), timeline.ErrBadQuery.Error()+": ")}
		}
		return nil, err
	}
	if err := w.Begin(corr); err != nil {
		return nil, err
	}
	ann := <-anns
	if correlations {
		if _, err := ann.Correlate(ctx, src, q.From, q.To); err != nil {
			return nil, err
		}
	}
	sum, err := corr.Run(ctx, func(m *timeline.Match) error {
		m.Findings = ann.Titles(m.Event)
		return w.Write(m)
	})
	if err != nil {
		return nil, err
	}
	if format != timeline.FormatTable || !s.quiet {
		return sum, w.End(sum)
	}
	return sum, w.End(nil)
}
