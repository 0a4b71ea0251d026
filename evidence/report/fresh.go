package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// Recheck is what the report checked itself when it was generated,
// without re-hashing any evidence: the custody chain (with the recorded
// head) and that every item the custody log names is in the case.
type Recheck struct {
	At             time.Time `json:"at"`
	CustodyEntries int       `json:"custody_entries"`
	CustodyIntact  bool      `json:"custody_intact"`
	Items          int       `json:"items"`
	ItemsNamed     int       `json:"items_named"`   // items the custody log says were stored
	ItemsMissing   []uint64  `json:"items_missing"` // named there, not in the case
	Note           string    `json:"note"`
}

// checkCommands are the custody actions of checks: they record results,
// they do not change the evidence or its events.
var checkCommands = []string{"verify", "digest verify", "objectlock"}

// recheck counts the items present against those the custody log names.
func (r *Report) recheck(at time.Time) {
	present := map[uint64]bool{}
	for _, e := range r.Evidence {
		present[e.ID] = true
	}
	named := map[uint64]bool{}
	missing := []uint64{}
	for _, e := range r.Custody {
		for _, id := range e.Items {
			if named[id] {
				continue
			}
			named[id] = true
			if !present[id] {
				missing = append(missing, id)
			}
		}
	}
	slices.Sort(missing)
	r.Rechecked = Recheck{At: at, CustodyEntries: r.CustodyChain.Entries, CustodyIntact: r.CustodyChain.Intact,
		Items: len(r.Evidence), ItemsNamed: len(named), ItemsMissing: missing,
		Note: "checked when this report was generated: the custody chain and its recorded head, and that every item the custody log names is in the case; evidence bytes were not re-hashed (trailcase verify does that)"}
}

// freshness sets c.Stale and c.ChangesSince from what was added to the
// case after the check ran: items acquired and custody entries of
// commands other than checks.
func (r *Report) freshness(c *Check) {
	var items int
	for _, e := range r.Evidence {
		if e.AcquiredEnd.After(c.Time) {
			items++
		}
	}
	var changes []string
	if items > 0 {
		changes = append(changes, fmt.Sprintf("%d item(s) acquired", items))
	}
	var entries []string
	for _, e := range r.Custody {
		if (e.End.After(c.Time) || e.Start.After(c.Time)) && !slices.Contains(checkCommands, e.Action) {
			entries = append(entries, fmt.Sprintf("%d (%s)", e.Seq, e.Action))
		}
	}
	if len(entries) > 0 {
		changes = append(changes, "custody entries "+strings.Join(entries, ", "))
	}
	c.ChangesSince = changes
	c.Stale = c.Stale || len(changes) > 0
}

// freshnessNote says in words whether the case changed after check c.
func freshnessNote(c *Check) string {
	if !c.Stale {
		return "the case has not changed since"
	}
	if len(c.ChangesSince) == 0 {
		return "the case changed since; run it again"
	}
	return "the case changed since (" + strings.Join(c.ChangesSince, "; ") + "); run it again"
}

// recheckWords says what the report re-checked, in a sentence.
func recheckWords(c Recheck) string {
	chain := "intact"
	if !c.CustodyIntact {
		chain = "BROKEN"
	}
	items := fmt.Sprintf("%d item(s) present, all %d the custody log names", c.Items, c.ItemsNamed)
	if len(c.ItemsMissing) > 0 {
		items = fmt.Sprintf("%d item(s) present; MISSING %d of the %d the custody log names (%v)", c.Items, len(c.ItemsMissing), c.ItemsNamed, c.ItemsMissing)
	}
	return fmt.Sprintf("at %s: custody chain (%d entries) %s; %s; evidence bytes not re-hashed",
		evidence.FormatTime(c.At), c.CustodyEntries, chain, items)
}
