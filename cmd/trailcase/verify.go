package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
)

func init() { register("verify", verifyCommand) }

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
			start := time.Now().UTC()
			st, err := e.openCaseForRecord(c, c.Bool("no-record"))
			if err != nil {
				return err
			}
			defer st.Close()
			prog := e.progress(c)
			prog.Begin("verify", -1)
			res, err := st.Check(c.Context, prog)
			prog.End()
			finishProgress(prog)
			if err != nil {
				return err
			}
			ok := len(res.Problems) == 0
			for _, n := range res.Notices {
				e.info(c, "notice: %s", n)
			}
			summary := fmt.Sprintf("%d item(s), %d bytes re-hashed, %d custody entries checked: ", res.Items, res.Bytes, res.CustodyEntries)
			if ok {
				summary += "all intact"
			} else {
				summary += fmt.Sprintf("%d problem(s)", len(res.Problems))
			}
			raw, _ := json.Marshal(res)
			result := evidence.ResultOK
			if !ok {
				result = evidence.ResultProblems
			}
			e.record(c, st, "verify", start, result, summary, &store.CheckRecord{Name: "verify", OK: ok, Summary: summary, Result: raw})
			if jsonOut(c) {
				if res.Problems == nil {
					res.Problems = finding.ItemProblems{}
				}
				if err := e.printJSON(struct {
					Valid          bool                 `json:"valid"`
					Items          int                  `json:"items"`
					Bytes          int64                `json:"bytes"`
					CustodyEntries int                  `json:"custody_entries"`
					Problems       finding.ItemProblems `json:"problems"`
					Notices        []string             `json:"notices,omitempty"`
				}{ok, res.Items, res.Bytes, res.CustodyEntries, res.Problems, res.Notices}); err != nil {
					return err
				}
			} else {
				for _, p := range res.Problems {
					obj := p.Object
					if p.Item != 0 {
						obj = fmt.Sprintf("item %d %s", p.Item, p.Object)
					}
					e.out(c, "%-22s %s: %s\n", p.Kind, obj, p.Detail)
				}
				if !quiet(c) || !ok {
					e.out(c, "%s\n", summary)
				}
			}
			if !ok {
				return problemsError{}
			}
			return nil
		},
	}
}
