package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/safe"
)

// digestOptions are the flags of one digest verify run.
type digestOptions struct {
	caseOptions
	check      digest.Options // From, To and RequireSignatures; the keys are read by the run
	publicKeys string         // a key file to use besides the case's keys, or ""
	noRecord   bool
}

func digestCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "digest",
		Usage: "validate CloudTrail digest chains offline",
		Subcommands: []*cli.Command{{
			Name:      "verify",
			Usage:     "validate the CloudTrail digest chains found among the evidence",
			UsageText: "trailcase digest verify --case FILE [--from T] [--to T] [--public-keys FILE] [--require-signatures] [--json] [--no-record]",
			Description: `Walks every chain of CloudTrail digest files in the case (per account, delivering region,
trail and home region; backfill digests apart), with no network access, and checks:
the SHA-256 of every listed log over its first gzip member; previousDigestHashValue and
previousDigestSignature against the previous digest; the RSA signature of each digest (from
its S3 metadata, or vouched for by its signed successor); where each digest was found; gaps,
including several consecutive deleted digests; bytes after the first gzip member; and
CloudTrail logs inside a covered period that no digest lists. Every problem is reported.

A chain that restarts (logging or log file validation was off, then on again) leaves a gap
no digest covers: not an integrity problem, since the digests that exist are valid, but the
verdict line names each gap ("valid; 1 gap of 6 h: 2025-03-11T04:00Z–10:00Z, logging or
validation was off"), --json lists them under "gaps", and logs written in a gap are named
in a notice: they cannot be validated. Digests missing from the evidence are DIGEST_MISSING
problems, and the period they leave uncovered is a gap too, with the reason "digests are
missing".

Public keys come from the case (acquire --public-keys, keys fetch) and from --public-keys.
A digest whose signature is unknown (no S3 metadata, no signed successor) or cannot be
checked (no keys) is a notice, or a problem with --require-signatures.

The result is recorded in the case (report shows it) unless --no-record is given or the
case file is read-only.

` + exitCodesHelp,
			Flags: withGlobal(
				&cli.StringFlag{Name: "from", Usage: "check digests and logs from `TIME` (RFC 3339 or date, UTC)"},
				&cli.StringFlag{Name: "to", Usage: "check digests and logs up to `TIME` (RFC 3339 or date, UTC)"},
				&cli.StringFlag{Name: "public-keys", Usage: "CloudTrail public keys `FILE` (output of 'aws cloudtrail list-public-keys' or 'trailcase keys fetch')"},
				&cli.BoolFlag{Name: "require-signatures", Usage: "a digest whose signature cannot be verified is a problem"},
				&cli.BoolFlag{Name: "no-record", Usage: "open the case read-only and record nothing"},
			),
			Action: func(c *cli.Context) error {
				o, err := digestFlags(c)
				if err != nil {
					return err
				}
				_, err = runDigestVerify(c.Context, o, e.streams(c))
				return err
			},
		}},
	}
}

// digestFlags reads the flags of digest verify.
func digestFlags(c *cli.Context) (digestOptions, error) {
	o := digestOptions{caseOptions: caseFlags(c), publicKeys: c.String("public-keys"), noRecord: c.Bool("no-record")}
	if err := noArgs(c, "digest verify"); err != nil {
		return o, err
	}
	var err error
	if o.check.From, err = parseTime("from", c.String("from")); err != nil {
		return o, err
	}
	if o.check.To, err = parseTime("to", c.String("to")); err != nil {
		return o, err
	}
	if !o.check.From.IsZero() && !o.check.To.IsZero() && !o.check.To.After(o.check.From) {
		return o, usagef("--to %s is not after --from %s", fmtTime(o.check.To), fmtTime(o.check.From))
	}
	o.check.RequireSignatures = c.Bool("require-signatures")
	return o, nil
}

// runDigestVerify walks the digest chains of the case; it returns the
// result, and problemsError when it is not valid.
func runDigestVerify(ctx context.Context, o digestOptions, s *streams) (*digest.Result, error) {
	start := time.Now().UTC()
	fileKeys, err := readKeyFile(o.publicKeys)
	if err != nil {
		return nil, err
	}
	st, err := o.openForRecord(o.noRecord, s)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	caseKeys, err := st.Keys()
	if err != nil {
		return nil, fmt.Errorf("read public keys from the case: %w", err)
	}
	opts := o.check
	opts.Keys = append(caseKeys, fileKeys...)
	objs, err := digest.FromCase(st)
	if err != nil {
		return nil, fmt.Errorf("read evidence items: %w", err)
	}
	opts.Progress = s.progress
	res, err := digest.Verify(ctx, objs, opts)
	s.finishProgress()
	if err != nil {
		o.record(st, s, "digest verify", start, evidence.ResultFailed, err.Error())
		return nil, err
	}
	o.recordCheck(st, s, custody.Check{Action: "digest verify", Name: "digest", Start: start, OK: res.Valid, Summary: res.Summary(), Result: res})
	if s.json {
		if err := s.printJSON(res); err != nil {
			return res, err
		}
	} else {
		printDigestResult(s, res)
		printHead(s)
	}
	if !res.Valid {
		return res, problemsError{}
	}
	return res, nil
}

func printDigestResult(s *streams, r *digest.Result) {
	q := s.quiet
	if !q {
		for _, ch := range r.Chains {
			name := fmt.Sprintf("%s %s %s", ch.Account, ch.Region, ch.Trail)
			if ch.Organization != "" {
				name = ch.Organization + " " + name
			}
			if ch.HomeRegion != ch.Region {
				name += " (home " + ch.HomeRegion + ")"
			}
			if ch.Backfill {
				name += " backfill"
			}
			s.out("chain %s, bucket %s\n", safe.Text(name), safe.Text(ch.Bucket))
			s.out("  period      %s to %s\n", fmtTime(ch.Start), fmtTime(ch.End))
			s.out("  digests     %d (%d without logs)\n", ch.Digests, ch.EmptyDigests)
			s.out("  logs        %d listed\n", ch.Logs)
			s.out("  signatures  %d of %d verified\n", ch.SignaturesVerified, ch.Digests)
		}
	}
	if len(r.Problems) > 0 {
		s.out("problems:\n")
		for _, p := range r.Problems {
			obj := p.Object
			if p.Item != 0 {
				obj = fmt.Sprintf("%s (item %d)", p.Object, p.Item)
			}
			s.out("  %s %s\n", p.Kind, safe.Text(obj))
			s.out("      %s\n", digest.Meaning(p.Kind))
			s.out("      %s\n", safe.Text(p.Detail))
		}
	}
	if !q {
		for _, n := range r.Notices {
			s.info("note: %s", safe.Text(n))
		}
	}
	if !q || !r.Valid || len(r.Gaps) > 0 {
		s.out("%s\n", safe.Text(r.Summary()))
	}
}
