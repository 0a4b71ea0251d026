package custody

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// A Check is the outcome of one integrity check (verify, digest
// validation, Object Lock) to be recorded in a case.
type Check struct {
	Action  string    // the custody action, e.g. "digest verify"
	Name    string    // the name the result is stored under, e.g. "digest"
	Args    []string  // the command line
	Start   time.Time // when the check began
	OK      bool      // no problems found
	Summary string    // one line, stored with the result and as the entry's detail
	Result  any       // the full result, stored as JSON
}

// RecordCheck stores the result of c in the case and appends a custody
// entry saying what the check found (ok or problems). A read-only case
// records nothing. Both are attempted even when one fails; the error then
// says which could not be recorded.
func RecordCheck(st *store.Store, a Actor, c Check) (evidence.CustodyEntry, error) {
	if st == nil || st.ReadOnly() {
		return evidence.CustodyEntry{}, nil
	}
	result := evidence.ResultOK
	if !c.OK {
		result = evidence.ResultProblems
	}
	ent := a.Entry(c.Action, c.Args)
	ent.Start, ent.End, ent.Result, ent.Detail = c.Start, time.Now().UTC(), result, c.Summary
	raw, err := json.Marshal(c.Result)
	if err == nil {
		err = st.PutCheck(store.CheckRecord{Name: c.Name, Time: ent.End, OK: c.OK, Summary: c.Summary, Result: raw})
	}
	if err != nil {
		err = fmt.Errorf("could not record the result: %w", err)
	}
	stored, aerr := st.AppendCustody(ent)
	if aerr != nil {
		return ent, errors.Join(err, fmt.Errorf("could not record the custody entry: %w", aerr))
	}
	return stored, err
}
