package custody

import (
	"fmt"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
)

// CheckHead checks that the custody log still holds want, a head printed
// earlier: some entry's recorded and recomputed hash equals it. Entries
// added after it are fine; a log cut short or rewritten gives a
// CUSTODY_HEAD_MISMATCH finding.
func CheckHead(st *store.Store, want evidence.SHA256) ([]finding.Finding, error) {
	var n, at uint64
	err := st.Custody(func(e evidence.CustodyEntry) error {
		n++
		if e.Hash == want && e.ComputeHash() == want {
			at = e.Seq
		}
		return nil
	})
	if err != nil || at != 0 {
		return nil, err
	}
	return []finding.Finding{finding.New(finding.CustodyHeadMismatch, "",
		fmt.Sprintf("no entry of the custody log (%d entries) has the expected head %s: the log was cut short or rewritten after it was printed", n, want))}, nil
}
