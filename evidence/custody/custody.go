// Package custody is the chain of custody: who did what to a case, when,
// from where and with which tool.
package custody

import (
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// Actor says who runs a command, from where, with which tool.
type Actor struct {
	Examiner    string
	OSUser      string
	Host        string
	ToolVersion string
	Revision    string
}

// Entry returns a custody entry for action filled with the actor's fields.
func (a Actor) Entry(action string, args []string) evidence.CustodyEntry {
	return evidence.CustodyEntry{
		Action: action, Args: args,
		Examiner: a.Examiner, OSUser: a.OSUser, Host: a.Host,
		ToolVersion: a.ToolVersion, Revision: a.Revision,
		Start: time.Now().UTC(),
	}
}
