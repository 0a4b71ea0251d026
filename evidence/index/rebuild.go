package index

import (
	"context"
	"slices"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// RebuildReport is what Rebuild did: the derived data before and after,
// and the indexing of every item.
type RebuildReport struct {
	Before store.IndexCounts `json:"before"`
	After  store.IndexCounts `json:"after"`
	Reset  int               `json:"items_reset"`
	Index  Report            `json:"index"`
}

// parseFlags are the flags parsing sets; a rebuild clears them so the new
// parse sets them again from the evidence alone. Flags set at
// acquisition are kept.
var parseFlags = []string{evidence.FlagTrailingData, evidence.FlagTruncated, evidence.FlagParseWarnings, evidence.FlagUnparseable}

// Rebuild regenerates every event and index of the case from the verbatim
// evidence: it drops every event, posting, batch and duplicate key and
// marks every parsed item pending in one transaction, then indexes every
// pending item as Run does.
//
// Interrupted or failed, it leaves a consistent case: the items not
// indexed again are pending, their partial events are removed when they
// are, and Run (or Rebuild) completes the work.
func Rebuild(ctx context.Context, st *store.Store, prog evidence.Progress) (RebuildReport, error) {
	rep := RebuildReport{Index: Report{Flagged: []FlaggedItem{}}}
	var err error
	if rep.Before, err = st.IndexCounts(); err != nil {
		return rep, err
	}
	rep.Reset, err = st.ResetIndex(resetItem)
	if err != nil {
		return rep, err
	}
	// Indexing reads the trees it writes to through the case file's
	// memory map; with a case's worth of evidence to index again, the
	// pages it reads would add up to the size of the index.
	stop := st.ReleaseMappedWhile()
	rep.Index, err = Run(ctx, st, st.NewWriter(0), prog)
	stop()
	if err != nil {
		return rep, err
	}
	rep.After, err = st.IndexCounts()
	return rep, err
}

// resetItem marks an item that was parsed (or was being) pending, with
// what its parse recorded cleared.
func resetItem(it *evidence.Item) bool {
	switch it.ParseState {
	case evidence.ParseDone, evidence.ParseFailed, evidence.ParsePending:
	default:
		return false
	}
	it.ParseState = evidence.ParsePending
	it.Events, it.Warnings, it.WarningCount = 0, nil, 0
	it.Flags = slices.DeleteFunc(it.Flags, func(f string) bool { return slices.Contains(parseFlags, f) })
	if len(it.Flags) == 0 {
		it.Flags = nil
	}
	return true
}
