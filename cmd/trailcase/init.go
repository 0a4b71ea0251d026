package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

// initOptions are the flags of one init run.
type initOptions struct {
	caseOptions
	name, number, description string
	organisation              string
}

func initCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "create a new case file",
		UsageText: "trailcase init --case FILE --name NAME --examiner NAME [--number N] [--description TEXT] [--organisation NAME]",
		Description: `Creates an empty case file. It never overwrites an existing file.
The first custody log entry records who created the case, where and when.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "name", Usage: "case `NAME`"},
			&cli.StringFlag{Name: "number", Usage: "case `NUMBER` (reference used by your organisation)"},
			&cli.StringFlag{Name: "description", Usage: "what the case is about"},
			&cli.StringFlag{Name: "organisation", Usage: "the examiner's organisation `NAME`, named in the report"},
		),
		Action: func(c *cli.Context) error {
			o := initOptions{caseOptions: caseFlags(c), name: c.String("name"), number: c.String("number"), description: c.String("description"),
				organisation: c.String("organisation")}
			return runInit(c.Context, o, e.streams(c))
		},
	}
}

func runInit(_ context.Context, o initOptions, s *streams) error {
	if o.path == "" {
		return usagef("no case file: give --case PATH or set TRAILCASE_CASE")
	}
	if o.name == "" {
		return usagef("init needs --name")
	}
	if o.examiner == "" {
		return usagef("init needs --examiner")
	}
	key, err := o.sign.load()
	if err != nil {
		return err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	start := time.Now().UTC()
	info := evidence.CaseInfo{
		ID: hex.EncodeToString(id[:]), Name: o.name, Number: o.number,
		Examiner: o.examiner, Organisation: o.organisation, Description: o.description, Created: start,
	}
	st, err := store.Create(o.path, info)
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			return withHint(err, "choose another file name; trailcase never overwrites a case")
		}
		return err
	}
	defer st.Close()
	if key != nil {
		st.SignCustody(custody.SignWith(key))
	}
	e, err := custody.Record(st, o.actor(st), "init", o.args, start, evidence.ResultOK, "case created: "+info.Name)
	if err != nil {
		return err
	}
	s.head = e.Hash.String()
	info, _ = st.Info()
	if s.json {
		return s.printJSON(info)
	}
	if !s.quiet {
		s.out("created case %q (%s) in %s, examiner %s\n", info.Name, safe.Text(info.ID), safe.Text(o.path), safe.Text(info.Examiner))
	}
	printHead(s)
	return nil
}
