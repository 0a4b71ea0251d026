package acquire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/index"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// AcquireOptions configure Acquire.
type AcquireOptions struct {
	Sources    []evidence.Source
	Include    []string // doublestar patterns on the path relative to the source root
	Exclude    []string
	Note       string
	Actor      custody.Actor
	Args       []string // the command line, for the custody log
	PublicKeys []evidence.PublicKey
	KeysOrigin string // the file the public keys came from, recorded with them
	Progress   evidence.Progress
	// NoIndex stores evidence without parsing it; 'trailcase index' (or
	// the next acquire) indexes it later.
	NoIndex bool
	// FlowFormat is the VPC flow log format (field names separated by
	// spaces, "${…}" accepted) of flow records that come without a header
	// line; it is stored on the items it applies to. "" = the default.
	FlowFormat string
	// EvidenceNumber names the acquisition, as imaging reports number
	// evidence; "" numbers it E01, E02… in the order of the case's runs.
	EvidenceNumber string
}

// StoredItem summarises a stored item.
type StoredItem struct {
	ID     uint64          `json:"id"`
	Path   string          `json:"path"`
	Source string          `json:"source"`
	Kind   string          `json:"kind"`
	Size   int64           `json:"size"`
	SHA256 evidence.SHA256 `json:"sha256"`
}

// FileError is a file that could not be read or stored.
type FileError struct {
	Source string `json:"source"`
	Path   string `json:"path"`
	Error  string `json:"error"`
}

// Container is a source that is itself one file, with its own hash.
type Container struct {
	Source string          `json:"source"`
	Size   int64           `json:"size"`
	SHA256 evidence.SHA256 `json:"sha256"`
}

// AcquireReport is what one acquisition did.
type AcquireReport struct {
	Run         uint64                 `json:"run"`
	Stored      []StoredItem           `json:"stored"`
	Present     []StoredItem           `json:"already_present"`
	Refused     []evidence.Refusal     `json:"refused"`
	Failed      []FileError            `json:"failed"`
	Containers  []Container            `json:"containers,omitempty"`
	Bytes       int64                  `json:"bytes"`
	Index       index.Report           `json:"index"`
	Recovered   *evidence.CustodyEntry `json:"recovered,omitempty"`
	Interrupted bool                   `json:"interrupted"`
	Keys        int                    `json:"public_keys,omitempty"`
	// EvidenceNumber is the acquisition's evidence number, e.g. E01.
	EvidenceNumber string `json:"evidence_number,omitempty"`
}

// OK reports whether every file offered was stored (or already present).
func (r *AcquireReport) OK() bool { return len(r.Failed) == 0 && !r.Interrupted }

// headSize is how much of a file is kept for kind detection; sniffSize is
// how much of a gzip file's first member is inflated for it.
const (
	headSize  = 64 << 10
	sniffSize = 16 << 10
)

// Acquire stores every selected file of every source in the case, then
// indexes the events of every item not yet indexed, and records the run
// in the custody log. Files that cannot be read are reported and skipped;
// what was stored stays stored. An item is reported stored only once the
// commit holding it succeeded: a write to the case that fails (a full
// disk) ends the run with an error naming the item, and the run is
// recorded as failed. When ctx is cancelled, complete files are kept, the
// file in progress is dropped, the run is recorded as interrupted and
// ctx's error is returned with the report.
func Acquire(ctx context.Context, st *store.Store, opts AcquireOptions) (*AcquireReport, error) {
	if err := evidence.ValidatePatterns(opts.Include); err != nil {
		return nil, err
	}
	if err := evidence.ValidatePatterns(opts.Exclude); err != nil {
		return nil, err
	}
	if opts.Progress == nil {
		opts.Progress = evidence.NoProgress{}
	}
	rep := &AcquireReport{Refused: []evidence.Refusal{}, Failed: []FileError{}, Stored: []StoredItem{}, Present: []StoredItem{},
		EvidenceNumber: opts.EvidenceNumber}
	if rep.EvidenceNumber == "" {
		n, err := finishedRuns(st)
		if err != nil {
			return nil, err
		}
		rep.EvidenceNumber = fmt.Sprintf("E%02d", n+1)
	}
	if rec, ok, err := st.RecoverRun(opts.Actor.Entry("recover", nil)); err != nil {
		return nil, err
	} else if ok {
		rep.Recovered = &rec
	}
	var sources []string
	for _, s := range opts.Sources {
		sources = append(sources, s.Root())
	}
	begin := opts.Actor.Entry("acquire", opts.Args)
	begin.Sources = sources
	begin.Detail = opts.Note
	started, err := st.BeginRun(begin)
	if err != nil {
		return nil, err
	}
	rep.Run = started.Seq

	a := &acquirer{st: st, w: newWriter(st), opts: opts, rep: rep, seen: map[string]bool{}, buf: make([]byte, 1<<20), cmpBuf: make([]byte, 1<<20)}
	runErr := a.run(ctx)
	if err := a.endRun(started, sources, runErr); err != nil {
		if runErr != nil {
			return rep, fmt.Errorf("%w (and the custody entry of run %d could not be closed: %v)", runErr, started.Seq, err)
		}
		return rep, err
	}
	return rep, runErr
}

// run stores the public keys and every source, with the indexer beside
// it, and returns what ends the run early (cancellation, a failed write
// to the case, the indexer's error).
func (a *acquirer) run(ctx context.Context) error {
	if err := a.putKeys(); err != nil {
		return err
	}
	// Items are indexed while acquisition goes on: as soon as they are
	// committed, they go to an indexer with its own writer (bbolt runs
	// one write transaction at a time, so the two never interleave).
	a.gate = &progressGate{p: a.opts.Progress}
	if !a.opts.NoIndex {
		pending, err := index.Pending(a.st) // from interrupted earlier runs
		if err != nil {
			return err
		}
		var prog evidence.Progress = a.gate
		if _, off := a.opts.Progress.(evidence.NoProgress); off {
			prog = evidence.NoProgress{} // nothing is shown: the indexer need not size its work
		}
		a.idx = index.Start(ctx, a.st, prog, pending)
		defer a.idx.Stop()
	}
	a.expect(ctx)
	runErr := a.walkSources(ctx)
	if !isWriteError(runErr) { // after a failed write, nothing more is written
		if err := a.handOver(true); err != nil && !errors.Is(err, errIndexStopped) {
			runErr = err
		}
	}
	a.gate.open() // acquisition is done: indexing progress is shown
	if a.idx != nil {
		if isWriteError(runErr) {
			a.idx.Stop()
		}
		ir, err := a.idx.Wait()
		a.rep.Index = ir
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	return runErr
}

// expect announces the files and bytes to store, when every source can
// tell its size before it is read (a directory is walked twice, a bucket
// listed twice, an archive's headers read first: that costs little next
// to reading the files). Sources whose size is an estimate (a bucket) are
// told how to correct it as their walk finds it.
func (a *acquirer) expect(ctx context.Context) {
	if _, off := a.opts.Progress.(evidence.NoProgress); off {
		return // nothing is shown: no need to walk twice
	}
	var files, bytes int64
	caseFile, _ := os.Stat(a.st.Path())
	for _, src := range a.opts.Sources {
		if l, ok := src.(caseAware); ok && caseFile != nil {
			l.skipCaseFile(caseFile)
		}
		sz, ok := src.(evidence.Sizer)
		if !ok {
			return
		}
		f, b, err := sz.Size(ctx, a.opts.Include, a.opts.Exclude)
		if err != nil {
			return
		}
		files, bytes = files+f, bytes+b
	}
	a.opts.Progress.Expect(evidence.PhaseStore, files, bytes)
	for _, src := range a.opts.Sources {
		if est, ok := src.(evidence.Estimator); ok {
			est.Correct(func(files, bytes int64) { a.opts.Progress.Expect(evidence.PhaseStore, files, bytes) })
		}
	}
}

// putKeys stores the public keys given, naming the file they came from.
func (a *acquirer) putKeys() error {
	keys := a.opts.PublicKeys
	if len(keys) == 0 {
		return nil
	}
	for i := range keys {
		if keys[i].Origin == "" {
			keys[i].Origin = a.opts.KeysOrigin
		}
	}
	if err := a.st.PutKeys(keys); err != nil {
		return err
	}
	a.rep.Keys = len(keys)
	return nil
}

// walkSources walks every source in turn. A source that cannot be read
// is reported and the next one is walked; cancellation and a failed
// write to the case end the walk.
func (a *acquirer) walkSources(ctx context.Context) error {
	caseFile, _ := os.Stat(a.st.Path())
	for _, src := range a.opts.Sources {
		if err := ctx.Err(); err != nil {
			return err
		}
		if l, ok := src.(caseAware); ok && caseFile != nil {
			l.skipCaseFile(caseFile)
		}
		err := src.Walk(ctx, func(e evidence.Entry) error {
			if err := a.entry(ctx, src, e); err != nil {
				if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
					return err
				}
				return &writeError{item: fmt.Sprintf("%q", e.URI), err: err}
			}
			return a.handOver(false)
		}, func(r evidence.Refusal) {
			r.Path = src.Root() + ": " + r.Path
			a.rep.Refused = append(a.rep.Refused, r)
		})
		if ch, ok := src.(evidence.ContainerHasher); ok {
			if sum, size, ok := ch.Container(); ok {
				a.rep.Containers = append(a.rep.Containers, Container{Source: src.Root(), Size: size, SHA256: sum})
			}
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errIndexStopped):
			return nil // the indexer's error ends the run
		case isWriteError(err):
			return err
		default:
			a.rep.Failed = append(a.rep.Failed, FileError{Source: src.Root(), Error: err.Error()})
		}
	}
	return nil
}

// endRun closes the run's custody entry with its result: ok, failed (a
// file or source failed, or runErr, named in the detail) or interrupted.
func (a *acquirer) endRun(started evidence.CustodyEntry, sources []string, runErr error) error {
	rep := a.rep
	end := a.opts.Actor.Entry("acquire", a.opts.Args)
	end.Start = started.Start
	end.End = time.Now().UTC()
	end.Sources = sources
	for _, s := range rep.Stored {
		end.Items = append(end.Items, s.ID)
	}
	end.Result = evidence.ResultOK
	errText := ""
	switch {
	case runErr != nil && errors.Is(runErr, context.Canceled):
		end.Result = evidence.ResultInterrupted
		rep.Interrupted = true
	case runErr != nil:
		end.Result = evidence.ResultFailed
		errText = runErr.Error()
	case len(rep.Failed) > 0:
		end.Result = evidence.ResultFailed
	}
	end.Detail = rep.summary(errText, a.opts.Note)
	// Items found already present are named by id ranges: their paths,
	// sources and hashes are in the item records, and a re-run over a
	// large collection must not write a custody entry of its size.
	present := make([]uint64, 0, len(rep.Present))
	for _, p := range rep.Present {
		present = append(present, p.ID)
	}
	data := map[string]any{
		"run": started.Seq, "already_present_items": idRanges(present), "already_present": len(rep.Present), "refused": rep.Refused,
		"failed": rep.Failed, "containers": rep.Containers, "public_keys": rep.Keys, "public_keys_from": a.opts.KeysOrigin,
		"evidence_number": rep.EvidenceNumber, "bytes": rep.Bytes,
	}
	if errText != "" {
		data["error"] = errText
	}
	end.Data, _ = json.Marshal(data)
	_, err := a.st.EndRun(started.Seq, end)
	return err
}

// finishedRuns counts the acquisitions the case's custody log records as
// ended (ok, failed or interrupted): the runs before this one.
func finishedRuns(st *store.Store) (int, error) {
	n := 0
	err := st.Custody(func(e evidence.CustodyEntry) error {
		if e.Action == "acquire" && e.Result != evidence.ResultStarted {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("number the acquisition: %w", err)
	}
	return n, nil
}

// idRanges returns ids, sorted and without repeats, as [first, last]
// ranges.
func idRanges(ids []uint64) [][2]uint64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := [][2]uint64{}
	for _, id := range ids {
		if n := len(out); n > 0 && out[n-1][1]+1 == id {
			out[n-1][1] = id
			continue
		}
		out = append(out, [2]uint64{id, id})
	}
	return out
}

// summary is the custody detail of a run; errText names what ended it.
func (r *AcquireReport) summary(errText, note string) string {
	s := fmt.Sprintf("stored %d item(s) (%d bytes), %d already present, %d refused, %d failed; %d event(s) indexed",
		len(r.Stored), r.Bytes, len(r.Present), len(r.Refused), len(r.Failed), r.Index.Events)
	if errText != "" {
		s += "; error: " + errText
	}
	if note != "" {
		s += "; note: " + note
	}
	return s
}

type acquirer struct {
	st        *store.Store
	w         itemWriter
	idx       *index.Background // nil with NoIndex
	gate      *progressGate     // the indexer's progress, held back while storing
	fresh     []freshItem       // items put but not yet committed or not yet handed to idx
	lastFlush time.Time
	opts      AcquireOptions
	rep       *AcquireReport
	seen      map[string]bool // URI 0 sha stored in this run
	buf       []byte
	cmpBuf    []byte
	head      []byte // the head of the current file, for kind detection
}

// previous returns the newest item stored from e's source with e's size.
func (a *acquirer) previous(e evidence.Entry) (evidence.Item, bool) {
	if e.Size < 0 {
		return evidence.Item{}, false
	}
	items, err := a.st.ItemsFromSource(e.URI)
	if err != nil {
		return evidence.Item{}, false
	}
	var best evidence.Item
	for _, it := range items {
		if it.Size == e.Size && it.ID > best.ID {
			best = it
		}
	}
	return best, best.ID != 0
}

// DetectKind returns the kind of a file from its name and first bytes,
// and "gzip" as compression when the bytes are gzip (the kind then comes
// from the decompressed head of the first member).
func DetectKind(name string, head []byte) (kind, compression string) {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		compression = "gzip"
		sn := sniffers.Get().(*sniffer)
		defer sniffers.Put(sn)
		if err := sn.zr.Reset(bytes.NewReader(head)); err != nil {
			return evidence.KindUnknown, compression
		}
		sn.zr.Multistream(false)
		m, _ := io.ReadFull(&sn.zr, sn.dec)
		head = sn.dec[:m]
	}
	return timeline.Detect(name, head), compression
}

// sniffer inflates the head of gzip files for DetectKind; reused, as
// cases hold many small files.
type sniffer struct {
	zr  gzip.Reader
	dec []byte
}

var sniffers = sync.Pool{New: func() any { return &sniffer{dec: make([]byte, sniffSize)} }}
