package evidence

import "context"

// Phases of long work; a progress display shows each on its own line.
const (
	PhaseStore  = "storing"
	PhaseIndex  = "indexing"
	PhaseVerify = "verifying"
	PhaseDigest = "digests"
	PhaseDeep   = "re-parsing"
	PhaseCopy   = "copying"
	// Phases counted in records rather than bytes: Expect's bytes and
	// Advance's n are numbers of events, items or custody entries.
	PhaseEvents  = "events"   // reading the events in time order
	PhaseCount   = "counting" // counting the events by source and hour
	PhaseItems   = "items"    // reading the evidence items
	PhaseCustody = "custody"  // reading the custody log
)

// EventStep is how many events a reader of every event reads between two
// Advance calls, so that progress costs next to nothing per event.
const EventStep = 4096

// Progress receives progress of long work, phase by phase. It may be
// called from several goroutines at once; implementations must be cheap.
// The zero behaviour is NoProgress.
type Progress interface {
	// Expect adds files and bytes to the totals of phase, as they become
	// known (a walk, a listing, the items handed to the indexer). Negative
	// numbers correct an estimate downwards (an Estimator's source found
	// smaller than counted).
	Expect(phase string, files, bytes int64)
	// Begin starts one file of phase; size is in bytes, or -1 when unknown.
	Begin(phase, label string, size int64)
	// Advance adds n bytes done in phase.
	Advance(phase string, n int64)
	// End finishes one file of phase.
	End(phase string)
}

// NoProgress discards progress.
type NoProgress struct{}

func (NoProgress) Expect(string, int64, int64) {}
func (NoProgress) Begin(string, string, int64) {}
func (NoProgress) Advance(string, int64)       {}
func (NoProgress) End(string)                  {}

// Sizer is implemented by sources whose size is known before any file is
// read (a directory's entries, a single file, an archive's headers, a
// bucket's listing): Size walks them as Walk would, reading no file's
// content, and returns their number and total bytes.
type Sizer interface {
	Size(ctx context.Context, include, exclude []string) (files, bytes int64, err error)
}

// Estimator is a Sizer whose size may change between Size and Walk: a
// bucket is listed once to count it and again as it is downloaded, and
// objects may be written or deleted in between, so Size is an estimate.
// Before Walk, the caller that announced Size's numbers hands Correct the
// function that adjusts them; Walk calls it with the difference between
// what it finds and what Size counted (negative when it finds less): a
// larger count before the entry that makes it larger is offered, a
// smaller one once the walk has seen everything. Walk with no correction
// function set reports nothing.
type Estimator interface {
	Sizer
	Correct(func(files, bytes int64))
}
