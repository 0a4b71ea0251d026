package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/findings"
	"github.com/trailcase/trailcase/timeline/incident"
)

// demoOptions are the flags of one demo run.
type demoOptions struct {
	dir      string // where the evidence, the case and the report go; a new temporary directory when ""
	examiner string
	args     []string // the command line, for the custody log
}

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "demo",
		Usage:     "run the whole pipeline on the built-in sample incident",
		UsageText: "trailcase demo [--dir DIR]",
		Description: `Writes a built-in sample incident (two days of CloudTrail logs with a signed digest chain
and Object Lock sidecars, VPC Flow Logs and ALB access logs of an account whose CI access key
leaked) into DIR/evidence, then runs what an examiner would: creates DIR/case.tcase, acquires
the evidence, verifies it, validates the digest chain, reports Object Lock, prints the timelines
of the attacker's address and of the leaked key, and writes DIR/report.html. Needs no input and
no network. Without --dir a new temporary directory is used and its path printed.

The digests are signed with a demonstration key that ships with trailcase; it proves nothing
about real CloudTrail files.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "dir", Usage: "write the evidence, the case and the report into `DIR` (must not hold a case yet)"},
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "demo"); err != nil {
				return err
			}
			g := caseFlags(c)
			return runDemo(c.Context, demoOptions{dir: c.String("dir"), examiner: g.examiner, args: g.args}, e.streams(c))
		},
	}
}

// demo is one run of the demo: its own output, the streams its steps
// run with (their usual output is replaced by the demo's), and the case.
type demo struct {
	s          *streams
	step       *streams
	cs         caseOptions
	dir, evDir string
	problems   int // checks that found problems
}

func runDemo(ctx context.Context, o demoOptions, s *streams) error {
	dir, err := demoDir(o.dir)
	if err != nil {
		return err
	}
	d := &demo{
		s:    s,
		step: &streams{stdout: io.Discard, stderr: s.stderr, quiet: true, progress: evidence.NoProgress{}},
		cs:   caseOptions{path: filepath.Join(dir, "case.tcase"), examiner: o.examiner, args: o.args},
		dir:  dir, evDir: filepath.Join(dir, "evidence"),
	}
	if d.cs.examiner == "" {
		d.cs.examiner = "demo examiner"
	}
	if _, err := os.Stat(d.cs.path); err == nil {
		return withHint(fmt.Errorf("demo directory %q already holds a case", dir), "give an empty or new --dir")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("demo directory %q: %w", dir, err)
	}
	s.out("trailcase demo: a leaked CI access key, in %s\n", safe.Text(dir))
	for _, step := range []func(context.Context) error{d.evidence, d.initCase, d.acquire, d.whereToStart, d.verify, d.digest, d.objectlock, d.timelines, d.report} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	s.out("\nNext: trailcase timeline --case %s --principal %s\n", safe.Text(shellQuote(d.cs.path)), incident.BackdoorUser)
	s.out("      trailcase timeline --case %s --ip %s --format csv\n", safe.Text(shellQuote(d.cs.path)), incident.AttackerIPv6)
	if d.problems > 0 {
		return problemsError{fmt.Sprintf("demo: %d check(s) found problems", d.problems)}
	}
	return nil
}

// demoDir returns the absolute demo directory, a new temporary one when
// dir is "".
func demoDir(dir string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "trailcase-demo-")
		if err != nil {
			return "", fmt.Errorf("demo directory: %w", err)
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("demo directory %q: %w", dir, err)
	}
	return abs, nil
}

// heading prints a numbered step heading.
func (d *demo) heading(n int, title string) { d.s.out("\n== %d. %s\n", n, title) }

// proved prints what a step established.
func (d *demo) proved(format string, args ...any) { d.s.out("   proved: "+format+"\n", args...) }

// checked counts a check that found problems; other errors stop the demo.
func (d *demo) checked(err error) (ok bool, _ error) {
	if err == nil {
		return true, nil
	}
	if errors.As(err, new(problemsError)) {
		d.problems++
		return false, nil
	}
	return false, err
}

func (d *demo) evidence(context.Context) error {
	d.heading(1, "evidence")
	if err := incident.Write(d.evDir); err != nil {
		return err
	}
	files, _ := incident.Files()
	var total int
	for _, b := range files {
		total += len(b)
	}
	d.s.out("   wrote %d files (%s) into %s: copies of the S3 buckets %s and %s with\n", len(files), humanBytes(int64(total)), safe.Text(d.evDir), incident.CloudTrailBucket, incident.NetworkBucket)
	d.s.out("   their .head.json sidecars, and %s (the CloudTrail public key list; a DEMO key)\n", incident.KeysFile)
	return nil
}

func (d *demo) initCase(ctx context.Context) error {
	d.heading(2, "init")
	o := initOptions{caseOptions: d.cs, name: "demo: leaked CI access key", description: "built-in sample incident"}
	if err := runInit(ctx, o, d.step); err != nil {
		return err
	}
	d.s.out("   created %s, examiner %s\n", safe.Text(d.cs.path), safe.Text(d.cs.examiner))
	d.proved("the case file starts a hash-chained custody log (who, where, when, which tool)")
	return nil
}

func (d *demo) acquire(ctx context.Context) error {
	d.heading(3, "acquire")
	o := acquireOptions{
		caseOptions: d.cs, note: "trailcase demo", maxArchiveBytes: acquire.DefaultMaxArchiveBytes,
		sources:    []string{filepath.Join(d.evDir, incident.CloudTrailBucket), filepath.Join(d.evDir, incident.NetworkBucket)},
		publicKeys: filepath.Join(d.evDir, incident.KeysFile),
	}
	step := *d.step
	step.progress = d.s.progress
	rep, err := runAcquire(ctx, o, &step)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("acquisition incomplete: %d file(s) failed", len(rep.Failed))
	}
	kinds := map[string]int{}
	for _, it := range rep.Stored {
		kinds[it.Kind]++
	}
	d.s.out("   stored %d items (%s): %d cloudtrail, %d cloudtrail-digest, %d vpcflow, %d elb-alb; %d public key(s)\n",
		len(rep.Stored), humanBytes(rep.Bytes), kinds[evidence.KindCloudTrail], kinds[evidence.KindCloudTrailDigest], kinds[evidence.KindVPCFlow], kinds[evidence.KindELBALB], rep.Keys)
	d.s.out("   indexed %d events from %d items, %d flagged\n", rep.Index.Events, rep.Index.Items, len(rep.Index.Flagged))
	d.proved("every file is in the case byte for byte with its SHA-256; its S3 metadata came from the sidecars")
	return nil
}

// whereToStart shows what the findings say before anything else: the
// most severe findings and the addresses and principals behind them.
func (d *demo) whereToStart(ctx context.Context) error {
	d.s.out("\n== where to start (trailcase summary, trailcase findings)\n")
	st, err := d.cs.open(true)
	if err != nil {
		return err
	}
	sum, err := findings.Summarise(ctx, st, findings.Options{})
	st.Close()
	if err != nil {
		return err
	}
	var lv []string
	for _, l := range sum.Findings {
		if l.Count > 0 {
			lv = append(lv, fmt.Sprintf("%d %s", l.Count, l.Level))
		}
	}
	d.s.out("   %s finding(s) from %d rules over %d events\n", strings.Join(lv, ", "), sum.Rules, sum.Events)
	for _, f := range sum.Report().Findings {
		if f.Level.AtLeast(finding.High) {
			d.s.out("   %-8s %s %s\n", f.Level, safe.Text(f.Title), demoWhen(f))
		}
	}
	for _, p := range sum.Start[:min(3, len(sum.Start))] {
		d.s.out("   start: trailcase timeline --case %s %s %s\n", safe.Text(shellQuote(d.cs.path)), p.Flag, safe.Text(shellQuote(p.Value)))
	}
	d.proved("the rules point at one address and the sessions it used, and at the hours no log covers")
	return nil
}

// demoWhen is a finding's time range in a few characters.
func demoWhen(f finding.Finding) string {
	if f.First.IsZero() {
		return ""
	}
	if f.Last.Sub(f.First) < time.Minute {
		return f.First.UTC().Format("(01-02 15:04)")
	}
	return f.First.UTC().Format("(01-02 15:04 to ") + f.Last.UTC().Format("01-02 15:04)")
}

func (d *demo) verify(ctx context.Context) error {
	d.heading(4, "verify")
	res, err := runVerify(ctx, verifyOptions{caseOptions: d.cs}, d.step)
	ok, err := d.checked(err)
	if err != nil {
		return err
	}
	d.s.out("   %d item(s), %d bytes re-hashed, %d custody entries checked: %d problem(s)\n", res.Items, res.Bytes, res.CustodyEntries, len(res.Problems))
	if ok {
		d.proved("nothing changed since acquisition, and the custody log is unbroken")
	}
	return nil
}

func (d *demo) digest(ctx context.Context) error {
	d.heading(5, "digest verify")
	res, err := runDigestVerify(ctx, digestOptions{caseOptions: d.cs}, d.step)
	ok, err := d.checked(err)
	if err != nil {
		return err
	}
	d.s.out("   %s\n", safe.Text(res.Summary()))
	for _, n := range res.Notices {
		d.s.out("   note: %s\n", safe.Text(n))
	}
	for _, p := range res.Problems {
		d.s.out("   %s %s: %s\n", p.Kind, safe.Text(p.Object), safe.Text(p.Detail))
	}
	if ok {
		d.proved("CloudTrail delivered these logs unaltered (hashes and RSA signatures check out, offline);")
		d.s.out("           the chain restarts on 2025-03-11: the attacker turned log file validation off at 02:50\n")
	}
	return nil
}

func (d *demo) objectlock(ctx context.Context) error {
	d.heading(6, "objectlock")
	rep, err := runObjectlock(ctx, objectlockOptions{caseOptions: d.cs}, d.step)
	ok, err := d.checked(err)
	if err != nil {
		return err
	}
	d.s.out("   %s\n", safe.Text(rep.SummaryLine()))
	if ok {
		d.proved("the CloudTrail copies are under COMPLIANCE retention until %s: nobody, root included,",
			incident.RetainUntil.Format("2006-01-02"))
		d.s.out("           could delete them (the attacker's DeleteObjects was denied); the network logs are only\n")
		d.s.out("           under GOVERNANCE, which s3:BypassGovernanceRetention can override\n")
	}
	return nil
}

func (d *demo) timelines(ctx context.Context) error {
	table := &streams{stdout: d.s.stdout, stderr: d.s.stderr, quiet: d.s.quiet, progress: evidence.NoProgress{}}
	d.heading(7, "timeline --ip "+incident.AttackerIP)
	// The table fits COLUMNS even when the demo's output is not a terminal.
	o := timelineOptions{caseOptions: d.cs, query: timeline.Query{IP: incident.AttackerIP}, format: timeline.FormatTable, width: terminalWidth(d.s.stdout)}
	if err := runTimeline(ctx, o, table); err != nil {
		return err
	}
	d.proved("one address scanned the load balancer, used the CI key, chained roles, logged in over SSH,")
	d.s.out("           downloaded customer data, created a backdoor user and switched logging off\n")

	d.heading(8, "timeline --principal "+incident.LeakedUser+" (during the attack)")
	o.query = timeline.Query{Principal: incident.LeakedUser, From: incident.AttackStart.Add(-time.Hour), To: incident.AttackEnd}
	if err := runTimeline(ctx, o, table); err != nil {
		return err
	}
	d.proved("the leaked key's activity includes what its AssumeRole sessions did (role chaining), and")
	d.s.out("           the same key was used from the CI runner and from the attacker at the same time\n")
	return nil
}

func (d *demo) report(ctx context.Context) error {
	d.heading(9, "report")
	path := filepath.Join(d.dir, "report.html")
	if err := runReport(ctx, reportOptions{caseOptions: d.cs, format: "html", output: path}, d.step); err != nil {
		return err
	}
	d.s.out("   wrote %s\n", safe.Text(path))
	d.proved("the chain of custody, the checks and the evidence list are in one document for the file")
	return nil
}

// shellQuote quotes a path for a command line when it needs it.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, " \t'\"$\\&;|<>()*?[]{}!#~`") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
