package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

// Problem kinds reported by Check.
const (
	ProblemHashMismatch  = finding.ItemHashMismatch
	ProblemSizeMismatch  = finding.ItemSizeMismatch
	ProblemBlobMissing   = finding.ItemBytesMissing
	ProblemSidecar       = finding.SidecarMismatch
	ProblemCustody       = finding.CustodyBroken
	ProblemOrphan        = finding.OrphanData
	ProblemItemUnreadble = finding.ItemRecordInvalid
	ProblemStore         = finding.StoreInconsistent
	ProblemRecord        = finding.RecordCorrupt
	ProblemBlock         = finding.EventBlockCorrupt
	ProblemIndex         = finding.IndexCorrupt
	ProblemIndexRefs     = finding.IndexMismatch
	ProblemEventCount    = finding.EventCountWrong
)

// CheckResult is what Check found.
type CheckResult struct {
	Items          int                  `json:"items"`
	Bytes          int64                `json:"bytes"`
	CustodyEntries int                  `json:"custody_entries"`
	Problems       finding.ItemProblems `json:"problems"`
	Notices        []string             `json:"notices,omitempty"`
}

// add records one problem, with its kind's level and category.
func (r *CheckResult) add(kind finding.Kind, item uint64, object, detail string) {
	f := finding.New(kind, object, detail)
	f.Item = item
	r.Problems = append(r.Problems, f)
}

// Check re-hashes every evidence item from the case file, checks sidecars,
// the records' and the derived data's checksums, the events against the
// indexes, the custody chain and the store's internal consistency, one
// phase after the other. It collects every problem; err is only for failures to run at
// all. progress (nil for none) advances by the bytes hashed.
func (s *Store) Check(ctx context.Context, progress evidence.Progress) (CheckResult, error) {
	if progress == nil {
		progress = evidence.NoProgress{}
	}
	var res CheckResult
	// Check reads every page of the file (bbolt's own consistency check,
	// every evidence byte, every index key); releasing the mapped pages as
	// it goes keeps memory from growing with the case.
	defer s.releaseWhile()()

	damaged, err := s.checkPages(ctx, &res)
	if err != nil {
		return res, err
	}
	blobs, err := s.checkItems(ctx, &res, progress)
	if damaged && errors.Is(err, ErrDamaged) {
		// The structure check named the damage; reading on through it
		// only repeats it.
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if err := s.checkOrphans(&res, blobs); err != nil {
		return res, err
	}
	if err := s.checkDerived(&res); err != nil {
		if damaged && errors.Is(err, ErrDamaged) {
			return res, nil
		}
		return res, err
	}
	return res, s.checkCustodyPhase(&res)
}

// releaseWhile releases the mapped pages every 20ms until the returned
// function is called.
func (s *Store) releaseWhile() (stop func()) { return s.releaseEvery(20 * time.Millisecond) }

// releaseEvery releases the mapped pages every d until the returned
// function is called.
func (s *Store) releaseEvery(d time.Duration) (stop func()) {
	done := make(chan struct{})
	released := make(chan struct{})
	go func() {
		defer close(released)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.releaseMapped()
			}
		}
	}()
	return func() {
		close(done)
		<-released
	}
}

// MarshalJSON keeps Problems an array, never null.
func (r CheckResult) MarshalJSON() ([]byte, error) {
	type plain CheckResult
	if r.Problems == nil {
		r.Problems = finding.ItemProblems{}
	}
	return json.Marshal(plain(r))
}
