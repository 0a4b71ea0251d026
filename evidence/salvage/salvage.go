package salvage

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/index"
	"github.com/trailcase/trailcase/store"
)

// ErrUnreadable means nothing could be read from the damaged case: it
// cannot be opened as a case at all.
var ErrUnreadable = errors.New("nothing can be read from the case")

// LostItem is an evidence item that could not be rescued.
type LostItem struct {
	ID     uint64 `json:"id"`
	Path   string `json:"path,omitempty"` // "" when its record is unreadable
	Reason string `json:"reason"`
}

// LostEntry is a custody entry that could not be rescued.
type LostEntry struct {
	Seq    uint64 `json:"seq"`
	Reason string `json:"reason"`
}

// CopiedEntry maps a rescued custody entry to its place in the new log.
// With Seq and Prev set back, the copy hashes to Hash again.
type CopiedEntry struct {
	Seq    uint64          `json:"seq"`
	Prev   evidence.SHA256 `json:"prev"`
	Hash   evidence.SHA256 `json:"hash"`
	NewSeq uint64          `json:"new_seq"`
}

// Report is what a salvage rescued and lost.
type Report struct {
	Source        string                `json:"source"`
	SourceSHA256  evidence.SHA256       `json:"source_sha256"`
	Target        string                `json:"target"`
	InfoLost      string                `json:"case_info_lost,omitempty"` // why the case description could not be read
	ItemsCopied   []uint64              `json:"items_copied"`
	Bytes         int64                 `json:"bytes"`
	ItemsLost     []LostItem            `json:"items_lost"`
	CustodyCopied []CopiedEntry         `json:"custody_copied"`
	CustodyLost   []LostEntry           `json:"custody_lost"`
	Keys          int                   `json:"keys"`
	Buckets       int                   `json:"buckets"`
	Index         index.Report          `json:"index"`
	Entry         evidence.CustodyEntry `json:"-"` // the salvage entry in the new case
}

// Complete reports whether everything was rescued.
func (r *Report) Complete() bool {
	return len(r.ItemsLost) == 0 && len(r.CustodyLost) == 0 && r.InfoLost == ""
}

// maxMisses is how many missing ids in a row end a scan whose end the
// case did not record.
const maxMisses = 64

// Run salvages the case at src into a new case at dst (which must not
// exist), recording the salvage as actor a running the command line args.
// It returns ErrUnreadable when src cannot be opened as a case; dst is then
// not created. progress (nil for none) advances by the bytes copied.
func Run(ctx context.Context, src, dst string, a custody.Actor, args []string, progress evidence.Progress) (*Report, error) {
	if progress == nil {
		progress = evidence.NoProgress{}
	}
	rep := &Report{Source: src, Target: dst, ItemsCopied: []uint64{}, ItemsLost: []LostItem{}, CustodyCopied: []CopiedEntry{}, CustodyLost: []LostEntry{}}
	sum, err := fileSHA256(src)
	if err != nil {
		return rep, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	rep.SourceSHA256 = sum
	from, err := store.Open(src, store.Options{ReadOnly: true})
	if err != nil {
		return rep, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	defer from.Close()
	info, err := from.Info()
	if err != nil {
		rep.InfoLost = err.Error()
		info = evidence.CaseInfo{Name: "salvaged", Examiner: a.Examiner}
	}
	to, err := store.Create(dst, info)
	if err != nil {
		return rep, err
	}
	defer to.Close()
	nextItem, count, _ := from.Counters()
	newSeq, err := copyCustody(from, to, count, rep)
	if err != nil {
		return rep, err
	}
	run, err := to.BeginRun(salvageEntry(a, args, src))
	if err != nil {
		return rep, err
	}
	if err := copyItems(ctx, from, to, nextItem, newSeq, run.Seq, rep, progress); err != nil {
		return rep, err
	}
	copyKeys(from, to, rep)
	if rep.Index, err = reindex(ctx, to, progress); err != nil {
		return rep, err
	}
	return rep, finish(to, a, args, src, run.Seq, rep)
}

func fileSHA256(path string) (evidence.SHA256, error) {
	f, err := os.Open(path)
	if err != nil {
		return evidence.SHA256{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return evidence.SHA256{}, err
	}
	return evidence.SHA256(h.Sum(nil)), nil
}

func salvageEntry(a custody.Actor, args []string, src string) evidence.CustodyEntry {
	e := a.Entry("salvage", args)
	e.Sources = []string{src}
	return e
}

// copyCustody copies every custody entry of from that still verifies to
// the new log, in order, and returns the new number of each.
func copyCustody(from, to *store.Store, count uint64, rep *Report) (map[uint64]uint64, error) {
	newSeq := map[uint64]uint64{}
	misses := 0
	for seq := uint64(1); seq <= count || misses < maxMisses; seq++ {
		e, ok, err := from.CustodyAt(seq)
		switch {
		case err != nil:
			rep.CustodyLost = append(rep.CustodyLost, LostEntry{seq, err.Error()})
			misses = 0
			continue
		case !ok && seq <= count:
			rep.CustodyLost = append(rep.CustodyLost, LostEntry{seq, "missing from the log"})
			continue
		case !ok:
			misses++
			continue
		case e.Seq != seq || e.ComputeHash() != e.Hash:
			rep.CustodyLost = append(rep.CustodyLost, LostEntry{seq, "does not verify: its content does not match its hash"})
			misses = 0
			continue
		}
		misses = 0
		orig := CopiedEntry{Seq: e.Seq, Prev: e.Prev, Hash: e.Hash}
		stored, err := to.AppendCustody(e)
		if err != nil {
			return newSeq, err
		}
		orig.NewSeq = stored.Seq
		newSeq[seq] = stored.Seq
		rep.CustodyCopied = append(rep.CustodyCopied, orig)
	}
	return newSeq, nil
}

// copyKeys copies the public keys and S3 bucket states that can be read.
func copyKeys(from, to *store.Store, rep *Report) {
	if keys, err := from.Keys(); err == nil && len(keys) > 0 && to.PutKeys(keys) == nil {
		rep.Keys = len(keys)
	}
	if bs, err := from.Buckets(); err == nil {
		for _, b := range bs {
			if to.PutBucket(b) == nil {
				rep.Buckets++
			}
		}
	}
}

// reindex indexes the rescued items from their bytes.
func reindex(ctx context.Context, to *store.Store, progress evidence.Progress) (index.Report, error) {
	rep, err := index.Rebuild(ctx, to, progress)
	return rep.Index, err
}

// finish appends the entry that records the salvage.
func finish(to *store.Store, a custody.Actor, args []string, src string, run uint64, rep *Report) error {
	e := salvageEntry(a, args, src)
	e.Items = rep.ItemsCopied
	e.Result = evidence.ResultOK
	if !rep.Complete() {
		e.Result = evidence.ResultProblems
	}
	e.Detail = Summary(rep)
	data, err := json.Marshal(struct {
		Run uint64 `json:"run"`
		*Report
	}{run, rep})
	if err != nil {
		return err
	}
	e.Data = data
	rep.Entry, err = to.EndRun(run, e)
	return err
}

// Summary is one line saying what a salvage rescued and lost.
func Summary(rep *Report) string {
	s := fmt.Sprintf("salvaged %s (SHA-256 %s): %d item(s) copied (%d bytes), %d lost; %d custody entries copied, %d lost; %d event(s) indexed",
		rep.Source, rep.SourceSHA256, len(rep.ItemsCopied), rep.Bytes, len(rep.ItemsLost), len(rep.CustodyCopied), len(rep.CustodyLost), rep.Index.Events)
	if rep.InfoLost != "" {
		s += "; the case description was lost: " + rep.InfoLost
	}
	return s
}
