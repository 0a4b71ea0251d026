package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/index"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

// verifyOptions are the flags of one verify run.
type verifyOptions struct {
	caseOptions
	noRecord       bool
	allowedSigners string // --allowed-signers FILE
	deep           bool   // also re-parse every item and compare with its stored events
	expectHead     string // the custody head printed earlier, or ""
}

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "re-hash all evidence and check the custody chain and the store",
		UsageText: "trailcase verify --case FILE [--json] [--no-record] [--deep] [--expect-head HASH] [--allowed-signers FILE]",
		Description: `Reads every evidence item back from the case file and compares its SHA-256 and size
with what was recorded at acquisition, checks every .head.json sidecar kept with it, walks the
hash-chained custody log, checks the signature of every signed custody entry (naming the
signer's key; with --allowed-signers, a key the file does not list is a problem), and checks
the store's own consistency. Every problem is reported,
not only the first. The result is recorded in the custody log unless --no-record is given (or
the case file is read-only).

--deep also re-parses every item from its verbatim bytes, as indexing does, and compares the
events it gives with those stored for it (count and content): a difference is an
EVENTS_DIFFER finding ('trailcase index --rebuild' regenerates them). --expect-head checks
that the custody log still holds, unchanged, the head (newest entry's hash) a command printed
earlier: a log cut short or rewritten is a CUSTODY_HEAD_MISMATCH finding.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.BoolFlag{Name: "no-record", Usage: "open the case read-only and record nothing"},
			&cli.BoolFlag{Name: "deep", Usage: "also re-parse every item and compare with its stored events"},
			&cli.StringFlag{Name: "expect-head", Usage: "custody head `HASH` printed earlier, which the log must still hold"},
			allowedSignersFlag(),
		),
		Action: func(c *cli.Context) error {
			o := verifyOptions{caseOptions: caseFlags(c), noRecord: c.Bool("no-record"), deep: c.Bool("deep"),
				expectHead: c.String("expect-head"), allowedSigners: c.String("allowed-signers")}
			_, err := runVerify(c.Context, o, e.streams(c))
			return err
		},
	}
}

// expectItems announces the case's items, and their bytes, as the work
// of phase.
func expectItems(st *store.Store, p evidence.Progress, phase string) {
	if _, off := p.(evidence.NoProgress); off {
		return
	}
	var files, bytes int64
	if st.Items(func(it evidence.Item) error { files, bytes = files+1, bytes+it.Size; return nil }) == nil {
		p.Expect(phase, files, bytes)
	}
}

// runVerify re-hashes the evidence and checks the custody chain and the
// store (and with --deep the stored events); it returns the result, and
// problemsError when it found any.
func runVerify(ctx context.Context, o verifyOptions, s *streams) (store.CheckResult, error) {
	start := time.Now().UTC()
	var want evidence.SHA256
	if o.expectHead != "" {
		var err error
		if want, err = evidence.ParseSHA256(o.expectHead); err != nil {
			return store.CheckResult{}, usagef("--expect-head %q: want the 64 hex digits of a custody head", o.expectHead)
		}
	}
	st, err := o.openForRecord(o.noRecord, s)
	if err != nil {
		return store.CheckResult{}, err
	}
	defer st.Close()
	expectItems(st, s.progress, evidence.PhaseVerify)
	res, err := st.Check(ctx, s.progress)
	var deep *index.DeepReport
	if err == nil && o.deep {
		deep, err = verifyDeep(ctx, st, s, &res)
	}
	if err == nil && o.expectHead != "" {
		var fs []finding.Finding
		fs, err = custody.CheckHead(st, want)
		res.Problems = append(res.Problems, fs...)
	}
	s.finishProgress()
	if err == nil {
		err = checkSignatures(st, o.allowedSigners, &res)
	}
	if err != nil {
		return res, err
	}
	ok := len(res.Problems) == 0
	for _, n := range res.Notices {
		s.info("notice: %s", safe.Text(n))
	}
	summary := verifySummary(res, deep)
	o.recordCheck(st, s, custody.Check{Action: "verify", Name: "verify", Start: start, OK: ok, Summary: summary, Result: res})
	if err := printVerify(s, res, deep, summary); err != nil {
		return res, err
	}
	if !ok {
		return res, problemsError{}
	}
	return res, nil
}

// verifyDeep re-parses every item and adds what differs to res.
func verifyDeep(ctx context.Context, st *store.Store, s *streams, res *store.CheckResult) (*index.DeepReport, error) {
	expectItems(st, s.progress, evidence.PhaseDeep)
	deep, err := index.Deep(ctx, st, s.progress)
	res.Problems = append(res.Problems, deep.Problems...)
	if deep.NotYet > 0 {
		res.Notices = append(res.Notices, fmt.Sprintf("%d item(s) not indexed yet: their events were not compared ('trailcase index' indexes them)", deep.NotYet))
	}
	return &deep, err
}

func verifySummary(res store.CheckResult, deep *index.DeepReport) string {
	summary := fmt.Sprintf("%d item(s), %d bytes re-hashed, %d custody entries checked: ", res.Items, res.Bytes, res.CustodyEntries)
	if deep != nil {
		summary = fmt.Sprintf("%d item(s), %d bytes re-hashed, %d item(s) re-parsed (%d events compared), %d custody entries checked: ",
			res.Items, res.Bytes, deep.Items, deep.Events, res.CustodyEntries)
	}
	if len(res.Problems) == 0 {
		return summary + "all intact"
	}
	return summary + fmt.Sprintf("%d problem(s)", len(res.Problems))
}

// recordedHead returns the case's custody head as printed by writing
// commands, or "" when it is not known.
func recordedHead(st *store.Store) string {
	if _, head, err := st.CustodyHead(); err == nil && !head.IsZero() {
		return head.String()
	}
	return ""
}

// printHead prints the custody head line of human output (not with
// --quiet), when the run recorded a custody entry.
func printHead(s *streams) {
	if s.head != "" && !s.quiet && !s.json {
		s.out("custody head: %s\n", s.head)
	}
}

// withField returns v, a value that encodes as a JSON object, with the
// field name set to value after its own fields; any other v as it is.
func withField(v any, name, value string) any {
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 || b[0] != '{' {
		return v
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) != nil {
		return v
	}
	if _, ok := probe[name]; ok {
		return v
	}
	field, _ := json.Marshal(map[string]string{name: value})
	if len(b) == 2 { // {}
		return json.RawMessage(field)
	}
	out := append(b[:len(b)-1:len(b)-1], ',')
	return json.RawMessage(append(out, field[1:]...))
}

// reparsedJSON is what verify --deep re-parsed, in its JSON output.
type reparsedJSON struct {
	Items  int   `json:"items"`
	Events int64 `json:"events"`
}

func printVerify(s *streams, res store.CheckResult, deep *index.DeepReport, summary string) error {
	ok := len(res.Problems) == 0
	if s.json {
		if res.Problems == nil {
			res.Problems = finding.ItemProblems{}
		}
		var reparsed *reparsedJSON
		if deep != nil {
			reparsed = &reparsedJSON{deep.Items, deep.Events}
		}
		return s.printJSON(struct {
			Valid          bool                 `json:"valid"`
			Items          int                  `json:"items"`
			Bytes          int64                `json:"bytes"`
			CustodyEntries int                  `json:"custody_entries"`
			Reparsed       *reparsedJSON        `json:"reparsed,omitempty"`
			Problems       finding.ItemProblems `json:"problems"`
			Notices        []string             `json:"notices,omitempty"`
		}{ok, res.Items, res.Bytes, res.CustodyEntries, reparsed, res.Problems, res.Notices})
	}
	for _, p := range res.Problems {
		obj := p.Object
		if p.Item != 0 {
			obj = fmt.Sprintf("item %d %s", p.Item, p.Object)
		}
		s.out("%-22s %s: %s\n", p.Kind, safe.Text(obj), safe.Text(p.Detail))
	}
	if !s.quiet || !ok {
		s.out("%s\n", summary)
	}
	printHead(s)
	return nil
}

// runAllChecks runs verify, digest verify and objectlock (offline) on the
// case, recording each as the command would, for report --verify. Their
// output goes to stderr, so a report on stdout stays whole; problems they
// find are shown by the report, so only failures to run are errors.
func runAllChecks(ctx context.Context, co caseOptions, s *streams) error {
	cs := &streams{stdout: s.stderr, stderr: s.stderr, quiet: true, progress: s.progress}
	_, err := runVerify(ctx, verifyOptions{caseOptions: co}, cs)
	if err == nil || errors.As(err, new(problemsError)) {
		_, err = runDigestVerify(ctx, digestOptions{caseOptions: co}, cs)
	}
	if err == nil || errors.As(err, new(problemsError)) {
		_, err = runObjectlock(ctx, objectlockOptions{caseOptions: co}, cs)
	}
	if errors.As(err, new(problemsError)) {
		return nil
	}
	return err
}
