package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// verifyOptions are the flags of one verify run.
type verifyOptions struct {
	caseOptions
	noRecord bool
}

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "re-hash all evidence and check the custody chain and the store",
		UsageText: "trailcase verify --case FILE [--json] [--no-record]",
		Description: `Reads every evidence item back from the case file and compares its SHA-256 and size
with what was recorded at acquisition, checks every .head.json sidecar kept with it, walks the
hash-chained custody log, and checks the store's own consistency. Every problem is reported,
not only the first. The result is recorded in the custody log unless --no-record is given (or
the case file is read-only).

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.BoolFlag{Name: "no-record", Usage: "open the case read-only and record nothing"},
		),
		Action: func(c *cli.Context) error {
			_, err := runVerify(c.Context, verifyOptions{caseFlags(c), c.Bool("no-record")}, e.streams(c))
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
// store; it returns the result, and problemsError when it found any.
func runVerify(ctx context.Context, o verifyOptions, s *streams) (store.CheckResult, error) {
	start := time.Now().UTC()
	st, err := o.openForRecord(o.noRecord, s)
	if err != nil {
		return store.CheckResult{}, err
	}
	defer st.Close()
	expectItems(st, s.progress, evidence.PhaseVerify)
	res, err := st.Check(ctx, func(n int64) { s.progress.Advance(evidence.PhaseVerify, n) })
	s.finishProgress()
	if err != nil {
		return res, err
	}
	ok := len(res.Problems) == 0
	for _, n := range res.Notices {
		s.info("notice: %s", n)
	}
	summary := fmt.Sprintf("%d item(s), %d bytes re-hashed, %d custody entries checked: ", res.Items, res.Bytes, res.CustodyEntries)
	if ok {
		summary += "all intact"
	} else {
		summary += fmt.Sprintf("%d problem(s)", len(res.Problems))
	}
	o.recordCheck(st, s, custody.Check{Action: "verify", Name: "verify", Start: start, OK: ok, Summary: summary, Result: res})
	if err := printVerify(s, res, summary); err != nil {
		return res, err
	}
	if !ok {
		return res, problemsError{}
	}
	return res, nil
}

func printVerify(s *streams, res store.CheckResult, summary string) error {
	ok := len(res.Problems) == 0
	if s.json {
		if res.Problems == nil {
			res.Problems = []store.Problem{}
		}
		return s.printJSON(struct {
			Valid          bool            `json:"valid"`
			Items          int             `json:"items"`
			Bytes          int64           `json:"bytes"`
			CustodyEntries int             `json:"custody_entries"`
			Problems       []store.Problem `json:"problems"`
			Notices        []string        `json:"notices,omitempty"`
		}{ok, res.Items, res.Bytes, res.CustodyEntries, res.Problems, res.Notices})
	}
	for _, p := range res.Problems {
		obj := p.Object
		if p.Item != 0 {
			obj = fmt.Sprintf("item %d %s", p.Item, p.Object)
		}
		s.out("%-22s %s: %s\n", p.Kind, obj, p.Detail)
	}
	if !s.quiet || !ok {
		s.out("%s\n", summary)
	}
	return nil
}
