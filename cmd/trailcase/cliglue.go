package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

// The helpers below read a command's context directly. They serve the
// commands that talk to AWS (keys, the S3 source) until those take
// options like the others; new code uses caseOptions and streams.

// register is kept for command files that still register themselves:
// the command list is commands() in app.go, so it does nothing.
func register(string, func(*env) *cli.Command) {}

func jsonOut(c *cli.Context) bool { return gBool(c, "json") }
func quiet(c *cli.Context) bool   { return gBool(c, "quiet") }

// openCase opens the case named by --case.
func (e *env) openCase(c *cli.Context, readOnly bool) (*store.Store, error) {
	return caseFlags(c).open(readOnly)
}

// actor describes who is running the command.
func (e *env) actor(c *cli.Context, st *store.Store) custody.Actor { return caseFlags(c).actor(st) }

// record appends a custody entry for a command that ran against the case
// (when the case is writable) and stores the check result if one is given.
func (e *env) record(c *cli.Context, st *store.Store, action string, start time.Time, result, detail string, check *store.CheckRecord) {
	s := e.streams(c)
	if check != nil && st != nil && !st.ReadOnly() {
		check.Time = time.Now().UTC()
		if err := st.PutCheck(*check); err != nil {
			s.warn("could not record the result: %s", safe.Text(err.Error()))
		}
	}
	caseFlags(c).record(st, s, action, start, result, detail)
}

func (e *env) printJSON(v any) error                           { return (&streams{stdout: e.stdout}).printJSON(v) }
func (e *env) info(c *cli.Context, format string, args ...any) { e.streams(c).info(format, args...) }
func (e *env) out(c *cli.Context, format string, args ...any)  { e.streams(c).out(format, args...) }
