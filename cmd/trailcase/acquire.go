package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/store"
)

func init() { register("acquire", acquireCommand) }

// s3Opener builds the source for an s3:// URI; set by the S3 support.
var s3Opener func(c *cli.Context, e *env, st *store.Store, uri string, include, exclude []string) (evidence.Source, error)

func acquireCommand(e *env) *cli.Command {
	flags := []cli.Flag{
		&cli.StringSliceFlag{Name: "include", Usage: "acquire only paths matching `GLOB` (doublestar, relative to the source root or the S3 key); repeatable"},
		&cli.StringSliceFlag{Name: "exclude", Usage: "skip paths matching `GLOB`; repeatable"},
		&cli.StringFlag{Name: "note", Usage: "free `TEXT` recorded with the items and in the custody log"},
		&cli.StringFlag{Name: "public-keys", Usage: "store CloudTrail public keys from `FILE` (output of 'aws cloudtrail list-public-keys' or 'trailcase keys fetch')"},
		&cli.Int64Flag{Name: "max-archive-bytes", Value: acquire.DefaultMaxArchiveBytes, Usage: "refuse archive content past this many `BYTES` (archive bomb guard)"},
		&cli.BoolFlag{Name: "no-index", Usage: "store and hash only; parse and index events later with 'trailcase index'"},
		&cli.IntFlag{Name: "concurrency", Value: 8, Usage: "parallel S3 downloads"},
		&cli.BoolFlag{Name: "all-versions", Usage: "S3: acquire every version of every key, not only the current one"},
	}
	flags = append(flags, awsFlags()...)
	return &cli.Command{
		Name:      "acquire",
		Usage:     "copy evidence into the case, verbatim and hashed",
		UsageText: "trailcase acquire --case FILE SOURCE... [--include GLOB]... [--exclude GLOB]... [--note TEXT] [--public-keys FILE]",
		Description: `SOURCE is a directory, a file (.gz, .json, .log, .parquet), an archive (.zip, .tar,
.tar.gz, .tgz) or s3://bucket[/prefix]. Every file is stored byte for byte with its SHA-256;
<object>.head.json sidecars (saved 'aws s3api head-object' output) fill the item's S3 fields.
The same bytes from the same source are never stored twice, so an interrupted acquisition is
completed by running the same command again. Sources are only read, never changed; paths that
leave the source root are refused. Events are parsed and indexed after storing; files that
cannot be parsed are kept and flagged.

` + exitCodesHelp,
		Flags: withGlobal(flags...),
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("acquire needs at least one SOURCE")
			}
			include, exclude := c.StringSlice("include"), c.StringSlice("exclude")
			if err := evidence.ValidatePatterns(append(append([]string{}, include...), exclude...)); err != nil {
				return usageError{err.Error()}
			}
			var keys []evidence.PublicKey
			if p := c.String("public-keys"); p != "" {
				f, err := os.Open(p)
				if err != nil {
					return fmt.Errorf("public keys: %w", err)
				}
				keys, err = digest.ParseKeyFile(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("public keys %q: %w", p, err)
				}
			}
			st, err := e.openCase(c, false)
			if err != nil {
				return err
			}
			defer st.Close()
			var sources []evidence.Source
			for _, arg := range c.Args().Slice() {
				if strings.HasPrefix(arg, "s3://") {
					if s3Opener == nil {
						return fmt.Errorf("source %q: S3 acquisition is not available in this build", arg)
					}
					src, err := s3Opener(c, e, st, arg, include, exclude)
					if err != nil {
						return err
					}
					sources = append(sources, src)
					continue
				}
				src, err := acquire.OpenLocal(arg, c.Int64("max-archive-bytes"))
				if err != nil {
					return err
				}
				sources = append(sources, src)
			}
			prog := e.progress(c)
			rep, err := acquire.Acquire(c.Context, st, acquire.AcquireOptions{
				Sources: sources, Include: include, Exclude: exclude, Note: c.String("note"),
				Actor: e.actor(c, st), Args: os.Args[1:], PublicKeys: keys, KeysOrigin: c.String("public-keys"),
				Progress: prog, NoIndex: c.Bool("no-index"),
			})
			finishProgress(prog)
			if rep == nil {
				return err
			}
			e.printAcquire(c, st, rep)
			if err != nil {
				return err
			}
			if n := len(rep.Failed); n > 0 {
				whole := 0
				for _, f := range rep.Failed {
					if f.Path == "" {
						whole++
					}
				}
				if whole == n {
					return fmt.Errorf("%d source(s) could not be read; what was read before the failure is in the case", whole)
				}
				return fmt.Errorf("%d file(s) could not be read or stored; everything else was acquired (run the same command again after fixing the cause)", n)
			}
			return nil
		},
	}
}

func (e *env) printAcquire(c *cli.Context, st *store.Store, rep *acquire.AcquireReport) {
	if rep.Recovered != nil {
		e.info(c, "an earlier run (custody entry %s) was interrupted: recorded in the custody log", strings.TrimPrefix(rep.Recovered.Detail, "run "))
	}
	for _, r := range rep.Refused {
		e.warn(c, "refused %s: %s", r.Path, r.Reason)
	}
	for _, f := range rep.Failed {
		if f.Path != "" {
			fmt.Fprintf(e.stderr, "trailcase: error: %s: %s: %s\n", f.Source, f.Path, f.Error)
		} else {
			fmt.Fprintf(e.stderr, "trailcase: error: %s: %s\n", f.Source, f.Error)
		}
	}
	for _, f := range rep.Index.Flagged {
		msg := ""
		if len(f.First) > 0 {
			msg = f.First[0].Message
			if f.First[0].Record > 0 {
				msg = fmt.Sprintf("record %d: %s", f.First[0].Record, msg)
			}
		}
		e.warn(c, "item %d %s (%s): %s %s [%d warning(s)] %s", f.ID, f.Path, f.Kind, f.State, strings.Join(f.Flags, ","), f.Warnings, msg)
	}
	if jsonOut(c) {
		_ = e.printJSON(rep)
		return
	}
	if quiet(c) {
		return
	}
	e.out(c, "stored %d item(s), %s, in %s; %d already present, %d refused, %d failed\n",
		len(rep.Stored), humanBytes(rep.Bytes), st.Path(), len(rep.Present), len(rep.Refused), len(rep.Failed))
	const maxList = 50
	for i, it := range rep.Stored {
		if i == maxList {
			e.out(c, "  … and %d more (trailcase ls)\n", len(rep.Stored)-maxList)
			break
		}
		e.out(c, "  #%-5d %-18s %10d  %s  %s\n", it.ID, it.Kind, it.Size, it.SHA256, it.Path)
	}
	for _, ct := range rep.Containers {
		e.out(c, "archive %s: %d bytes, sha256 %s\n", ct.Source, ct.Size, ct.SHA256)
	}
	if rep.Keys > 0 {
		e.out(c, "stored %d CloudTrail public key(s)\n", rep.Keys)
	}
	e.out(c, "indexed %d event(s) from %d item(s)", rep.Index.Events, rep.Index.Items)
	if rep.Index.Duplicates > 0 {
		e.out(c, ", %d duplicate CloudTrail record(s) shown once", rep.Index.Duplicates)
	}
	if rep.Index.Conflicts > 0 {
		e.out(c, ", %d record(s) reuse an eventID with other content (both kept)", rep.Index.Conflicts)
	}
	e.out(c, "\n")
	if n := len(rep.Index.Flagged); n > 0 {
		e.out(c, "%d item(s) flagged while parsing (kept in the case; see 'trailcase ls')\n", n)
	}
}
