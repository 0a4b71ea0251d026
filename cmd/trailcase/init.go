package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

func init() { register("init", initCommand) }

func initCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "create a new case file",
		UsageText: "trailcase init --case FILE --name NAME --examiner NAME [--number N] [--description TEXT]",
		Description: `Creates an empty case file. It never overwrites an existing file.
The first custody log entry records who created the case, where and when.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "name", Usage: "case `NAME`"},
			&cli.StringFlag{Name: "number", Usage: "case `NUMBER` (reference used by your organisation)"},
			&cli.StringFlag{Name: "description", Usage: "what the case is about"},
		),
		Action: func(c *cli.Context) error {
			path, err := casePath(c)
			if err != nil {
				return err
			}
			if c.String("name") == "" {
				return usagef("init needs --name")
			}
			examiner := gString(c, "examiner")
			if examiner == "" {
				return usagef("init needs --examiner")
			}
			var id [16]byte
			_, _ = rand.Read(id[:])
			start := time.Now().UTC()
			info := evidence.CaseInfo{
				ID: hex.EncodeToString(id[:]), Name: c.String("name"), Number: c.String("number"),
				Examiner: examiner, Description: c.String("description"), Created: start,
			}
			st, err := store.Create(path, info)
			if err != nil {
				if errors.Is(err, store.ErrExists) {
					return withHint(err, "choose another file name; trailcase never overwrites a case")
				}
				return err
			}
			defer st.Close()
			ent := e.actor(c, st).Entry("init", os.Args[1:])
			ent.Start, ent.End, ent.Result = start, time.Now().UTC(), evidence.ResultOK
			ent.Detail = "case created: " + info.Name
			if _, err := st.AppendCustody(ent); err != nil {
				return err
			}
			info, _ = st.Info()
			if jsonOut(c) {
				return e.printJSON(info)
			}
			if !quiet(c) {
				e.out(c, "created case %q (%s) in %s, examiner %s\n", info.Name, info.ID, path, info.Examiner)
			}
			return nil
		},
	}
}
