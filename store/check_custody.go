package store

import (
	"fmt"

	"github.com/trailcase/trailcase/evidence"
)

// checkCustodyPhase walks the custody chain and checks that every item's
// custody entry is in the log.
func (s *Store) checkCustodyPhase(res *CheckResult) error {
	r, err := s.CheckCustodyLog()
	if err != nil {
		return err
	}
	res.CustodyEntries = r.Entries
	res.Notices = append(res.Notices, r.Notices...)
	for _, p := range r.Problems {
		res.add(ProblemCustody, 0, "", fmt.Sprintf("custody entry %d: %s", p.Seq, p.Detail))
	}
	named := map[uint64]bool{}
	_ = s.Custody(func(e evidence.CustodyEntry) error {
		named[e.Seq] = true
		return nil
	})
	_ = s.Items(func(it evidence.Item) error {
		if !named[it.Custody] {
			res.add(ProblemCustody, it.ID, it.Path, fmt.Sprintf("item claims custody entry %d, which is not in the log", it.Custody))
		}
		return nil
	})
	return nil
}
