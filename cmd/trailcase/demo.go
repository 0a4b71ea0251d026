package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/objectlock"
	"github.com/trailcase/trailcase/evidence/report"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/incident"
)

func init() { register("demo", demoCommand) }

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
			if c.NArg() > 0 {
				return usagef("demo takes no arguments (got %q)", c.Args().First())
			}
			return e.runDemo(c, c.String("dir"))
		},
	}
}

// demoStep prints a numbered step heading.
func (e *env) demoStep(c *cli.Context, n int, title string) {
	e.out(c, "\n== %d. %s\n", n, title)
}

// demoProved prints what a step established.
func (e *env) demoProved(c *cli.Context, format string, args ...any) {
	e.out(c, "   proved: "+format+"\n", args...)
}

func (e *env) runDemo(c *cli.Context, dir string) error {
	ctx := c.Context
	if dir == "" {
		d, err := os.MkdirTemp("", "trailcase-demo-")
		if err != nil {
			return fmt.Errorf("demo directory: %w", err)
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("demo directory %q: %w", dir, err)
	}
	dir = abs
	casePath := filepath.Join(dir, "case.tcase")
	if _, err := os.Stat(casePath); err == nil {
		return withHint(fmt.Errorf("demo directory %q already holds a case", dir), "give an empty or new --dir")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("demo directory %q: %w", dir, err)
	}
	evDir := filepath.Join(dir, "evidence")
	e.out(c, "trailcase demo: a leaked CI access key, in %s\n", dir)

	// 1. The evidence.
	e.demoStep(c, 1, "evidence")
	if err := incident.Write(evDir); err != nil {
		return err
	}
	files, _ := incident.Files()
	var total int
	for _, b := range files {
		total += len(b)
	}
	e.out(c, "   wrote %d files (%s) into %s: copies of the S3 buckets %s and %s with\n", len(files), humanBytes(int64(total)), evDir, incident.CloudTrailBucket, incident.NetworkBucket)
	e.out(c, "   their .head.json sidecars, and %s (the CloudTrail public key list; a DEMO key)\n", incident.KeysFile)

	// 2. The case.
	e.demoStep(c, 2, "init")
	examiner := gString(c, "examiner")
	if examiner == "" {
		examiner = "demo examiner"
	}
	start := time.Now().UTC()
	var id [16]byte
	_, _ = rand.Read(id[:])
	st, err := store.Create(casePath, evidence.CaseInfo{ID: hex.EncodeToString(id[:]), Name: "demo: leaked CI access key",
		Examiner: examiner, Description: "built-in sample incident", Created: start})
	if err != nil {
		return err
	}
	defer st.Close()
	actor := e.actor(c, st)
	ent := actor.Entry("init", os.Args[1:])
	ent.Start, ent.End, ent.Result, ent.Detail = start, time.Now().UTC(), evidence.ResultOK, "case created: demo"
	if _, err := st.AppendCustody(ent); err != nil {
		return err
	}
	e.out(c, "   created %s, examiner %s\n", casePath, examiner)
	e.demoProved(c, "the case file starts a hash-chained custody log (who, where, when, which tool)")

	// 3. Acquisition.
	e.demoStep(c, 3, "acquire")
	keysPath := filepath.Join(evDir, incident.KeysFile)
	kf, err := os.Open(keysPath)
	if err != nil {
		return fmt.Errorf("public keys: %w", err)
	}
	keys, err := digest.ParseKeyFile(kf)
	kf.Close()
	if err != nil {
		return fmt.Errorf("public keys %q: %w", keysPath, err)
	}
	var sources []evidence.Source
	for _, b := range []string{incident.CloudTrailBucket, incident.NetworkBucket} {
		src, err := acquire.OpenLocal(filepath.Join(evDir, b), acquire.DefaultMaxArchiveBytes)
		if err != nil {
			return err
		}
		sources = append(sources, src)
	}
	rep, err := acquire.Acquire(ctx, st, acquire.AcquireOptions{Sources: sources, Actor: actor, Args: os.Args[1:],
		PublicKeys: keys, KeysOrigin: keysPath, Note: "trailcase demo", Progress: e.progress(c)})
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
	e.out(c, "   stored %d items (%s): %d cloudtrail, %d cloudtrail-digest, %d vpcflow, %d elb-alb; %d public key(s)\n",
		len(rep.Stored), humanBytes(rep.Bytes), kinds[evidence.KindCloudTrail], kinds[evidence.KindCloudTrailDigest], kinds[evidence.KindVPCFlow], kinds[evidence.KindELBALB], rep.Keys)
	e.out(c, "   indexed %d events from %d items, %d flagged\n", rep.Index.Events, rep.Index.Items, len(rep.Index.Flagged))
	e.demoProved(c, "every file is in the case byte for byte with its SHA-256; its S3 metadata came from the sidecars")

	problems := 0
	// 4. Verify.
	e.demoStep(c, 4, "verify")
	vstart := time.Now().UTC()
	vres, err := st.Check(ctx, nil)
	if err != nil {
		return err
	}
	vsum := fmt.Sprintf("%d item(s), %d bytes re-hashed, %d custody entries checked: %d problem(s)", vres.Items, vres.Bytes, vres.CustodyEntries, len(vres.Problems))
	raw, _ := json.Marshal(vres)
	e.record(c, st, "verify", vstart, resultOf(len(vres.Problems) == 0), vsum, &store.CheckRecord{Name: "verify", OK: len(vres.Problems) == 0, Summary: vsum, Result: raw})
	e.out(c, "   %s\n", vsum)
	if len(vres.Problems) == 0 {
		e.demoProved(c, "nothing changed since acquisition, and the custody log is unbroken")
	} else {
		problems++
	}

	// 5. Digest chain.
	e.demoStep(c, 5, "digest verify")
	dstart := time.Now().UTC()
	objs, err := digest.FromCase(st)
	if err != nil {
		return err
	}
	caseKeys, err := st.Keys()
	if err != nil {
		return err
	}
	dres, err := digest.Verify(ctx, objs, digest.Options{Keys: caseKeys})
	if err != nil {
		return err
	}
	dsum := dres.Summary()
	raw, _ = json.Marshal(dres)
	e.record(c, st, "digest verify", dstart, resultOf(dres.Valid), dsum, &store.CheckRecord{Name: "digest", OK: dres.Valid, Summary: dsum, Result: raw})
	e.out(c, "   %s\n", dsum)
	for _, n := range dres.Notices {
		e.out(c, "   note: %s\n", n)
	}
	for _, p := range dres.Problems {
		e.out(c, "   %s %s: %s\n", p.Kind, p.Object, p.Detail)
	}
	if dres.Valid {
		e.demoProved(c, "CloudTrail delivered these logs unaltered (hashes and RSA signatures check out, offline);")
		e.out(c, "           the chain restarts on 2025-03-11: the attacker turned log file validation off at 02:50\n")
	} else {
		problems++
	}

	// 6. Object Lock.
	e.demoStep(c, 6, "objectlock")
	ostart := time.Now().UTC()
	lrep, err := objectlock.FromCase(st, objectlock.Requirements{}, ostart)
	if err != nil {
		return err
	}
	osum := lrep.SummaryLine()
	raw, _ = json.Marshal(lrep)
	e.record(c, st, "objectlock", ostart, resultOf(lrep.OK), osum, &store.CheckRecord{Name: "objectlock", OK: lrep.OK, Summary: osum, Result: raw})
	e.out(c, "   %s\n", osum)
	if lrep.OK {
		e.demoProved(c, "the CloudTrail copies are under COMPLIANCE retention until %s: nobody, root included,",
			incident.RetainUntil.Format("2006-01-02"))
		e.out(c, "           could delete them (the attacker's DeleteObjects was denied); the network logs are only\n")
		e.out(c, "           under GOVERNANCE, which s3:BypassGovernanceRetention can override\n")
	} else {
		problems++
	}

	// 7 and 8. Timelines.
	e.demoStep(c, 7, "timeline --ip "+incident.AttackerIP)
	if _, err := writeTimeline(c, e, st, timeline.Query{IP: incident.AttackerIP}, timeline.FormatTable); err != nil {
		return err
	}
	e.demoProved(c, "one address scanned the load balancer, used the CI key, chained roles, logged in over SSH,")
	e.out(c, "           downloaded customer data, created a backdoor user and switched logging off\n")

	e.demoStep(c, 8, "timeline --principal "+incident.LeakedUser+" (during the attack)")
	pq := timeline.Query{Principal: incident.LeakedUser, From: incident.AttackStart.Add(-time.Hour), To: incident.AttackEnd}
	if _, err := writeTimeline(c, e, st, pq, timeline.FormatTable); err != nil {
		return err
	}
	e.demoProved(c, "the leaked key's activity includes what its AssumeRole sessions did (role chaining), and")
	e.out(c, "           the same key was used from the CI runner and from the attacker at the same time\n")

	// 9. Report.
	e.demoStep(c, 9, "report")
	ver, rev := buildInfo()
	host, _ := os.Hostname()
	r, err := report.Build(ctx, st, report.Options{ToolVersion: ver, Revision: rev, Host: host, OS: runtime.GOOS + "/" + runtime.GOARCH, CaseFile: casePath})
	if err != nil {
		return err
	}
	reportPath := filepath.Join(dir, "report.html")
	f, err := os.Create(reportPath)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := r.WriteHTML(f); err != nil {
		f.Close()
		return fmt.Errorf("report %q: %w", reportPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report %q: %w", reportPath, err)
	}
	e.out(c, "   wrote %s\n", reportPath)
	e.demoProved(c, "the chain of custody, the checks and the evidence list are in one document for the file")

	e.out(c, "\nNext: trailcase timeline --case %s --principal %s\n", shellQuote(casePath), incident.BackdoorUser)
	e.out(c, "      trailcase timeline --case %s --ip %s --format csv\n", shellQuote(casePath), incident.AttackerIPv6)
	if problems > 0 {
		return problemsError{fmt.Sprintf("demo: %d check(s) found problems", problems)}
	}
	return nil
}

func resultOf(ok bool) string {
	if ok {
		return evidence.ResultOK
	}
	return evidence.ResultProblems
}

// shellQuote quotes a path for a command line when it needs it.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, " \t'\"$\\&;|<>()*?[]{}!#~`") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
