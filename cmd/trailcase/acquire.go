package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// s3Opener builds the source for an s3:// URI; set by the S3 support.
var s3Opener func(c *cli.Context, e *env, st *store.Store, uri string, include, exclude []string) (evidence.Source, error)

// acquireOptions are the flags of one acquire run.
type acquireOptions struct {
	caseOptions
	sources          []string // directories, files, archives or s3:// URIs
	include, exclude []string
	note             string
	publicKeys       string // a key file to store, or ""
	maxArchiveBytes  int64
	noIndex          bool
	flowFormat       string // field names of headerless flow records, normalised
	evidenceNumber   string // --evidence-number, "" for the next E01, E02…
	// openS3 opens an s3:// source; nil where S3 is not available.
	openS3 func(st *store.Store, uri string) (evidence.Source, error)
}

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
		&cli.StringFlag{Name: "flow-format", Usage: "VPC flow log `FORMAT` (the flow log's field list, e.g. '${version} ${srcaddr} …') of flow records without a header line, as in CloudWatch Logs"},
		&cli.StringFlag{Name: "evidence-number", Usage: "the acquisition's evidence `NUMBER` in the report (default: E01, E02… in order)"},
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
			o := acquireOptions{
				caseOptions: caseFlags(c), sources: c.Args().Slice(),
				include: c.StringSlice("include"), exclude: c.StringSlice("exclude"),
				note: c.String("note"), publicKeys: c.String("public-keys"),
				maxArchiveBytes: c.Int64("max-archive-bytes"), noIndex: c.Bool("no-index"),
				evidenceNumber: c.String("evidence-number"),
			}
			if f := c.String("flow-format"); f != "" {
				names, err := timeline.ParseFlowFormat(f)
				if err != nil {
					return usageError{"--flow-format: " + err.Error()}
				}
				o.flowFormat = strings.Join(names, " ")
			}
			if len(o.sources) == 0 {
				return usagef("acquire needs at least one SOURCE")
			}
			if err := evidence.ValidatePatterns(append(append([]string{}, o.include...), o.exclude...)); err != nil {
				return usageError{err.Error()}
			}
			if s3Opener != nil {
				o.openS3 = func(st *store.Store, uri string) (evidence.Source, error) {
					return s3Opener(c, e, st, uri, o.include, o.exclude)
				}
			}
			_, err := runAcquire(c.Context, o, e.streams(c))
			return err
		},
	}
}

// runAcquire stores the sources in the case and indexes their events; it
// returns the report (nil when nothing ran).
func runAcquire(ctx context.Context, o acquireOptions, s *streams) (*acquire.AcquireReport, error) {
	keys, err := readKeyFile(o.publicKeys)
	if err != nil {
		return nil, err
	}
	st, err := o.open(false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	sources, err := o.openSources(st)
	if err != nil {
		return nil, err
	}
	rep, err := acquire.Acquire(ctx, st, acquire.AcquireOptions{
		Sources: sources, Include: o.include, Exclude: o.exclude, Note: o.note,
		Actor: o.actor(st), Args: o.args, PublicKeys: keys, KeysOrigin: o.publicKeys,
		Progress: s.progress, NoIndex: o.noIndex, FlowFormat: o.flowFormat,
		EvidenceNumber: o.evidenceNumber,
	})
	s.finishProgress()
	if rep == nil {
		return nil, err
	}
	s.head = recordedHead(st)
	printAcquire(s, st, rep)
	if err != nil {
		return rep, err
	}
	return rep, failedError(rep)
}

// openSources opens every source named on the command line.
func (o acquireOptions) openSources(st *store.Store) ([]evidence.Source, error) {
	var sources []evidence.Source
	for _, arg := range o.sources {
		if strings.HasPrefix(arg, "s3://") {
			if o.openS3 == nil {
				return nil, fmt.Errorf("source %q: S3 acquisition is not available in this build", arg)
			}
			src, err := o.openS3(st, arg)
			if err != nil {
				return nil, err
			}
			sources = append(sources, src)
			continue
		}
		src, err := acquire.OpenLocal(arg, o.maxArchiveBytes)
		if err != nil {
			return nil, err
		}
		sources = append(sources, src)
	}
	return sources, nil
}

// failedError says how much of an acquisition failed, or is nil.
func failedError(rep *acquire.AcquireReport) error {
	n := len(rep.Failed)
	if n == 0 {
		return nil
	}
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

// readKeyFile reads a CloudTrail public key file; none when path is "".
func readKeyFile(path string) ([]evidence.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("public keys: %w", err)
	}
	defer f.Close()
	keys, err := digest.ParseKeyFile(f)
	if err != nil {
		return nil, fmt.Errorf("public keys %q: %w", path, err)
	}
	return keys, nil
}

func printAcquire(s *streams, st *store.Store, rep *acquire.AcquireReport) {
	if rep.Recovered != nil {
		s.info("an earlier run (custody entry %s) was interrupted: recorded in the custody log", safe.Text(strings.TrimPrefix(rep.Recovered.Detail, "run ")))
	}
	for _, r := range rep.Refused {
		s.warn("refused %s: %s", safe.Text(r.Path), safe.Text(r.Reason))
	}
	for _, f := range rep.Failed {
		if f.Path != "" {
			fmt.Fprintf(s.stderr, "trailcase: error: %s: %s: %s\n", safe.Text(f.Source), safe.Text(f.Path), safe.Text(f.Error))
		} else {
			fmt.Fprintf(s.stderr, "trailcase: error: %s: %s\n", safe.Text(f.Source), safe.Text(f.Error))
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
		s.warn("item %d %s (%s): %s %s [%d warning(s)] %s", f.ID, safe.Text(f.Path), f.Kind, f.State, safe.Text(strings.Join(f.Flags, ",")), f.Warnings, safe.Text(msg))
	}
	if s.json {
		_ = s.printJSON(rep)
		return
	}
	if s.quiet {
		return
	}
	s.out("stored %d item(s), %s, in %s; %d already present, %d refused, %d failed\n",
		len(rep.Stored), humanBytes(rep.Bytes), safe.Text(st.Path()), len(rep.Present), len(rep.Refused), len(rep.Failed))
	const maxList = 50
	for i, it := range rep.Stored {
		if i == maxList {
			s.out("  … and %d more (trailcase ls)\n", len(rep.Stored)-maxList)
			break
		}
		s.out("  #%-5d %-18s %10d  %s  %s\n", it.ID, it.Kind, it.Size, it.SHA256, safe.Text(it.Path))
	}
	for _, ct := range rep.Containers {
		s.out("archive %s: %d bytes, sha256 %s\n", safe.Text(ct.Source), ct.Size, ct.SHA256)
	}
	if rep.Keys > 0 {
		s.out("stored %d CloudTrail public key(s)\n", rep.Keys)
	}
	s.out("indexed %d event(s) from %d item(s)", rep.Index.Events, rep.Index.Items)
	if rep.Index.Duplicates > 0 {
		s.out(", %d duplicate CloudTrail record(s) shown once", rep.Index.Duplicates)
	}
	if rep.Index.Conflicts > 0 {
		s.out(", %d record(s) reuse an eventID with other content (both kept)", rep.Index.Conflicts)
	}
	s.out("\n")
	if n := len(rep.Index.Flagged); n > 0 {
		s.out("%d item(s) flagged while parsing (kept in the case; see 'trailcase ls')\n", n)
	}
	printHead(s)
}
