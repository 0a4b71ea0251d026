package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

func init() { register("digest", digestCommand) }

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
			Action: func(c *cli.Context) error { return runDigestVerify(c, e) },
		}},
	}
}

func runDigestVerify(c *cli.Context, e *env) error {
	start := time.Now().UTC()
	if c.NArg() > 0 {
		return usagef("digest verify takes no arguments (got %q)", c.Args().First())
	}
	var opts digest.Options
	var err error
	if opts.From, err = parseTime("from", c.String("from")); err != nil {
		return err
	}
	if opts.To, err = parseTime("to", c.String("to")); err != nil {
		return err
	}
	if !opts.From.IsZero() && !opts.To.IsZero() && !opts.To.After(opts.From) {
		return usagef("--to %s is not after --from %s", fmtTime(opts.To), fmtTime(opts.From))
	}
	opts.RequireSignatures = c.Bool("require-signatures")
	var fileKeys []evidence.PublicKey
	if p := c.String("public-keys"); p != "" {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("public keys: %w", err)
		}
		fileKeys, err = digest.ParseKeyFile(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("public keys %q: %w", p, err)
		}
	}
	st, err := e.openCaseForRecord(c, c.Bool("no-record"))
	if err != nil {
		return err
	}
	defer st.Close()
	caseKeys, err := st.Keys()
	if err != nil {
		return fmt.Errorf("read public keys from the case: %w", err)
	}
	opts.Keys = append(caseKeys, fileKeys...)
	objs, err := digest.FromCase(st)
	if err != nil {
		return fmt.Errorf("read evidence items: %w", err)
	}
	res, err := digest.Verify(c.Context, objs, opts)
	if err != nil {
		e.record(c, st, "digest verify", start, evidence.ResultFailed, err.Error(), nil)
		return err
	}
	summary := res.Summary()
	raw, _ := json.Marshal(res)
	result := evidence.ResultOK
	if !res.Valid {
		result = evidence.ResultProblems
	}
	e.record(c, st, "digest verify", start, result, summary, &store.CheckRecord{Name: "digest", OK: res.Valid, Summary: summary, Result: raw})

	if jsonOut(c) {
		if err := e.printJSON(res); err != nil {
			return err
		}
	} else {
		printDigestResult(c, e, res)
	}
	if !res.Valid {
		return problemsError{}
	}
	return nil
}

func printDigestResult(c *cli.Context, e *env, r *digest.Result) {
	q := quiet(c)
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
			e.out(c, "chain %s, bucket %s\n", name, ch.Bucket)
			e.out(c, "  period      %s to %s\n", fmtTime(ch.Start), fmtTime(ch.End))
			e.out(c, "  digests     %d (%d without logs)\n", ch.Digests, ch.EmptyDigests)
			e.out(c, "  logs        %d listed\n", ch.Logs)
			e.out(c, "  signatures  %d of %d verified\n", ch.SignaturesVerified, ch.Digests)
		}
	}
	if len(r.Problems) > 0 {
		e.out(c, "problems:\n")
		for _, p := range r.Problems {
			obj := p.Object
			if p.Item != 0 {
				obj = fmt.Sprintf("%s (item %d)", p.Object, p.Item)
			}
			e.out(c, "  %s %s\n", p.Kind, obj)
			e.out(c, "      %s\n", digest.Meaning(p.Kind))
			e.out(c, "      %s\n", p.Detail)
		}
	}
	if !q {
		for _, n := range r.Notices {
			e.info(c, "note: %s", n)
		}
	}
	if !q || !r.Valid {
		e.out(c, "%s\n", r.Summary())
	}
}
