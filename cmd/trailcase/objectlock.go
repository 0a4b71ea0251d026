package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/objectlock"
	"github.com/trailcase/trailcase/evidence/s3"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

// objectlockOptions are the flags of one objectlock run.
type objectlockOptions struct {
	caseOptions
	uri      string // "" for the offline check of the case
	req      objectlock.Requirements
	noRecord bool
	objects  bool // list every object version (always in --json)
	// reportOnly lists the state and its problems without failing on them.
	reportOnly bool
	live       objectlock.LiveOptions
	// s3Client returns the client of a live check and its endpoint.
	s3Client func() (s3.API, string, error)
}

func objectlockCommand(e *env) *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "require-mode", Usage: "every object version must be under `MODE` retention now (COMPLIANCE, or GOVERNANCE which COMPLIANCE also satisfies)"},
		&cli.StringFlag{Name: "require-until", Usage: "every object version must be retained until at least `DATE` (RFC 3339 or YYYY-MM-DD, UTC)"},
		&cli.BoolFlag{Name: "report-only", Usage: "list the state and its problems without judging it: exit 0 whatever is found (no --require-*)"},
		&cli.BoolFlag{Name: "no-record", Usage: "open the case read-only and record nothing"},
		&cli.BoolFlag{Name: "objects", Usage: "list every object version after the summary (--json always lists them)"},
		&cli.StringSliceFlag{Name: "include", Usage: "live: check only keys matching `GLOB` (doublestar); repeatable"},
		&cli.StringSliceFlag{Name: "exclude", Usage: "live: skip keys matching `GLOB`; repeatable"},
		&cli.BoolFlag{Name: "all-versions", Usage: "live: check every version of every key, not only the current one"},
		&cli.IntFlag{Name: "concurrency", Value: s3.DefaultConcurrency, Usage: "live: parallel S3 requests"},
	}
	flags = append(flags, awsFlags()...)
	return &cli.Command{
		Name:      "objectlock",
		Usage:     "S3 Object Lock status of the evidence, from the case or live from S3",
		UsageText: "trailcase objectlock --case FILE [--require-mode COMPLIANCE|GOVERNANCE] [--require-until DATE] [--json]\ntrailcase objectlock s3://bucket[/prefix] [--require-mode MODE] [--require-until DATE] [--profile P] [--region R] [--endpoint-url URL]",
		Description: `Without an argument, reports the Object Lock state captured in the case: each bucket's
lock configuration (default retention) and versioning, and for each object version acquired
from S3 or described by a .head.json sidecar its retention mode, retain-until date and legal
hold. No network connection is made. The result is recorded in the case (custody log and the
report's checks) unless --no-record is given or the case file is read-only.

With s3://bucket[/prefix], asks S3 directly (GetObjectLockConfiguration, GetBucketVersioning,
ListObjectVersions, HeadObject, GetObjectRetention, GetObjectLegalHold); nothing is downloaded
or changed. With --case as well, the live result is recorded in that case.

Status per object version: compliance (COMPLIANCE, retain-until in the future: nobody can delete
it or shorten the period), governance (can be bypassed with s3:BypassGovernanceRetention),
expired (retain-until passed: protects nothing), none (known to have no retention), unknown
(S3 shows lock headers only to callers allowed to read them: a missing header is not proof of
"unlocked"). A legal hold protects a version while it is ON, independently of retention.

The buckets and the summary come first, then the problems; --objects lists every object
version after them (--json always does).

The check fails (exit 3) when a status is unknown or a requirement is not met. Without a
requirement it also fails when an object version has neither retention in force (none or
expired) nor a legal hold ON (NO_RETENTION), and when items were acquired without any S3
metadata (NO_S3_METADATA: local files with no .head.json sidecar, whose state is unknown).
--report-only lists the same and exits 0.

` + exitCodesHelp,
		Flags: withGlobal(flags...),
		Action: func(c *cli.Context) error {
			o := objectlockOptions{caseOptions: caseFlags(c), s3Client: func() (s3.API, string, error) {
				client, endpoint, err := newS3Client(c)
				if err != nil {
					return nil, "", err
				}
				return client, endpoint, nil
			}}
			switch c.NArg() {
			case 0:
			case 1:
				o.uri = c.Args().First()
				if _, _, err := s3.ParseURI(o.uri); err != nil {
					return usageError{err.Error()}
				}
			default:
				return usagef("objectlock takes at most one s3://bucket[/prefix] argument")
			}
			mode, err := objectlock.ParseMode(c.String("require-mode"))
			if err != nil {
				return usageError{"--require-mode: " + err.Error()}
			}
			o.req.Mode = mode
			if o.req.Until, err = parseTime("require-until", c.String("require-until")); err != nil {
				return err
			}
			o.noRecord = c.Bool("no-record")
			o.objects = c.Bool("objects")
			if o.reportOnly = c.Bool("report-only"); o.reportOnly && o.req.Given() {
				return usagef("--report-only lists without judging: it cannot be combined with --require-mode or --require-until")
			}
			o.live = objectlock.LiveOptions{
				Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"),
				Concurrency: c.Int("concurrency"), AllVersions: c.Bool("all-versions"),
			}
			if err := evidence.ValidatePatterns(append(append([]string{}, o.live.Include...), o.live.Exclude...)); err != nil {
				return usageError{err.Error()}
			}
			if o.uri == "" && (len(o.live.Include) > 0 || len(o.live.Exclude) > 0 || o.live.AllVersions) {
				return usagef("--include, --exclude and --all-versions apply to a live check (give s3://bucket[/prefix])")
			}
			_, err = runObjectlock(c.Context, o, e.streams(c))
			return err
		},
	}
}

// runObjectlock reports the Object Lock state of the case's evidence, or
// of a bucket live; it returns the report, and problemsError when a
// status is unknown or a requirement is not met.
func runObjectlock(ctx context.Context, o objectlockOptions, s *streams) (*objectlock.Report, error) {
	start := time.Now().UTC()
	var st *store.Store
	if o.uri == "" || o.path != "" {
		var err error
		if st, err = o.openForRecord(o.noRecord, s); err != nil {
			return nil, err
		}
		defer st.Close()
	}
	rep, err := o.check(ctx, st, start)
	if err != nil {
		return nil, err
	}
	rep.ReportOnly = o.reportOnly && !rep.OK
	detail := rep.SummaryLine()
	if o.uri != "" {
		detail = o.uri + ": " + detail
	}
	o.recordCheck(st, s, custody.Check{Action: "objectlock", Name: "objectlock", Start: start, OK: rep.OK, Summary: detail, Result: recordedLockReport(rep)})
	if s.json {
		if err := s.printJSON(rep); err != nil {
			return rep, err
		}
	} else {
		printObjectlock(s, rep, o.objects)
		printHead(s)
	}
	if !rep.OK && !rep.ReportOnly {
		return rep, problemsError{fmt.Sprintf("object lock: %d problem(s)", len(rep.Problems))}
	}
	return rep, nil
}

// check evaluates the case (st) or asks S3 live.
func (o objectlockOptions) check(ctx context.Context, st *store.Store, now time.Time) (*objectlock.Report, error) {
	if o.uri == "" {
		return objectlock.FromCase(st, o.req, now)
	}
	client, endpoint, err := o.s3Client()
	if err != nil {
		return nil, err
	}
	o.live.Endpoint = endpoint
	rep, err := objectlock.Live(ctx, client, o.uri, o.live, o.req, now)
	if err != nil {
		return nil, s3Hint(err)
	}
	return rep, nil
}

// printObjectlock prints the buckets and the summary first, then the
// problems and notes; the per-object list only with objects (--objects).
func printObjectlock(s *streams, rep *objectlock.Report, objects bool) {
	for _, b := range rep.Buckets {
		s.out("%s\n", safe.Text(bucketLine(b)))
	}
	var req []string
	if rep.Requirements.Mode != "" {
		req = append(req, "mode "+rep.Requirements.Mode)
	}
	if !rep.Requirements.Until.IsZero() {
		req = append(req, "retained until at least "+fmtTime(rep.Requirements.Until))
	}
	line := rep.SummaryLine()
	if len(req) > 0 {
		line += " (required: " + strings.Join(req, ", ") + ")"
	}
	s.out("%s\n", safe.Text(line))
	for _, p := range rep.Problems {
		s.out("%-20s %s: %s\n", p.Kind, safe.Text(p.Object), safe.Text(p.Detail))
	}
	for _, m := range rep.DeleteMarkers {
		s.out("delete marker: %s (deleted %s): earlier versions not checked (--all-versions)\n", safe.Text(m.Key), fmtTime(m.Deleted))
	}
	if objects {
		printLockObjects(s, rep)
	} else if len(rep.Objects) > 0 && !s.quiet {
		s.info("the %d object version(s) are listed with --objects", len(rep.Objects))
	}
}

// printLockObjects lists every object version checked.
func printLockObjects(s *streams, rep *objectlock.Report) {
	if len(rep.Objects) > 0 {
		s.out("\n%-10s  %-10s  %-24s  %-7s  %s\n", "STATUS", "MODE", "RETAIN-UNTIL", "HOLD", "OBJECT")
	}
	for _, lo := range rep.Objects {
		mode := lo.Mode
		if mode == "" {
			mode = "-"
		}
		hold := lo.LegalHold
		switch {
		case !lo.LegalHoldKnown:
			hold = "unknown"
		case hold == "":
			hold = "-"
		}
		name := lo.Source
		if lo.Item != 0 {
			name = fmt.Sprintf("#%d %s", lo.Item, lo.Source)
		}
		s.out("%-10s  %-10s  %-24s  %-7s  %s\n", safe.Text(lo.Status), safe.Text(mode), fmtTime(lo.RetainUntil), safe.Text(hold), safe.Text(name))
	}
}

// s3Hint adds a hint to the errors that stop all work on a bucket.
func s3Hint(err error) error {
	switch {
	case errors.Is(err, s3.ErrCredentials):
		return withHint(err, "give --profile, or refresh the session (aws sso login, new STS credentials)")
	case errors.Is(err, s3.ErrUnreachable):
		return withHint(err, "check --endpoint-url, the network and any proxy settings")
	case errors.Is(err, s3.ErrRegion):
		return withHint(err, "give the bucket's --region")
	}
	return err
}

// maxRecordedObjects bounds the per-object listing kept with a recorded
// result; past it only the failing objects are kept (the summary counts
// them all).
const maxRecordedObjects = 5000

func recordedLockReport(rep *objectlock.Report) *objectlock.Report {
	if len(rep.Objects) <= maxRecordedObjects {
		return rep
	}
	cp := *rep
	cp.Objects = nil
	for _, o := range rep.Objects {
		if !o.OK && len(cp.Objects) < maxRecordedObjects {
			cp.Objects = append(cp.Objects, o)
		}
	}
	return &cp
}
