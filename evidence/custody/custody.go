// Package custody is the chain of custody: who did what to a case, when,
// from where and with which tool. It builds the entries and records them
// in the case; it never prints and never reads flags or the environment.
package custody

import (
	"os"
	"os/user"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// Actor says who runs a command, from where, with which tool.
type Actor struct {
	Examiner    string
	OSUser      string
	Host        string
	ToolVersion string
	Revision    string
}

// Tool names the program that acts: its version and the revision it was
// built from.
type Tool struct {
	Version  string
	Revision string
}

// Local describes the running process as an actor: the examiner given,
// or when none is given the examiner of the case st (which may be nil);
// the OS user as the user database knows it (empty when it cannot say);
// the host name; and the tool.
func Local(tool Tool, examiner string, st *store.Store) Actor {
	a := Actor{Examiner: examiner, ToolVersion: tool.Version, Revision: tool.Revision}
	if a.Examiner == "" && st != nil {
		if info, err := st.Info(); err == nil {
			a.Examiner = info.Examiner
		}
	}
	if u, err := user.Current(); err == nil {
		a.OSUser = u.Username
	}
	a.Host, _ = os.Hostname()
	return a
}

// Entry returns a custody entry for action filled with the actor's fields,
// starting now: the beginning of a run.
func (a Actor) Entry(action string, args []string) evidence.CustodyEntry {
	return evidence.CustodyEntry{
		Action: action, Args: args,
		Examiner: a.Examiner, OSUser: a.OSUser, Host: a.Host,
		ToolVersion: a.ToolVersion, Revision: a.Revision,
		Start: time.Now().UTC(),
	}
}

// Record appends the custody entry of a finished run of action (with the
// command line args) that began at start and ends now, with its result
// and detail. It returns the entry as stored.
func Record(st *store.Store, a Actor, action string, args []string, start time.Time, result, detail string) (evidence.CustodyEntry, error) {
	ent := a.Entry(action, args)
	ent.Start, ent.End, ent.Result, ent.Detail = start, time.Now().UTC(), result, detail
	return st.AppendCustody(ent)
}
