package index

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// Report summarises indexing.
type Report struct {
	Items      int           `json:"items"`
	Events     int64         `json:"events"`
	Duplicates int64         `json:"duplicates"`
	Conflicts  int64         `json:"conflicting_duplicates"`
	Warnings   int64         `json:"warnings"`
	Flagged    []FlaggedItem `json:"flagged"`
}

// FlaggedItem is an item whose parsing met problems.
type FlaggedItem struct {
	ID       uint64             `json:"id"`
	Path     string             `json:"path"`
	Kind     string             `json:"kind"`
	State    string             `json:"parse_state"`
	Flags    []string           `json:"flags,omitempty"`
	Warnings int64              `json:"warnings"`
	First    []evidence.Warning `json:"first_warnings,omitempty"`
}

// Run parses every item whose events are not indexed yet (new items,
// and items whose indexing was interrupted, whose partial events are
// removed first) and stores their normalised events with index terms.
// Parse problems are recorded on the item; they never stop indexing.
func Run(ctx context.Context, st *store.Store, w *store.Writer, prog evidence.Progress) (Report, error) {
	pending, err := Pending(st)
	if err != nil {
		return Report{Flagged: []FlaggedItem{}}, err
	}
	return indexItems(ctx, st, w, prog, pending, nil)
}

// pendingItems lists the items waiting to be indexed.
func Pending(st *store.Store) ([]uint64, error) {
	var pending []uint64
	err := st.Items(func(it evidence.Item) error {
		if it.ParseState == evidence.ParsePending {
			pending = append(pending, it.ID)
		}
		return nil
	})
	return pending, err
}

// indexItems indexes the items pending, then those that arrive on more
// (committed items, in id order) until it is closed; more may be nil.
func indexItems(ctx context.Context, st *store.Store, w *store.Writer, prog evidence.Progress, pending []uint64, more <-chan uint64) (Report, error) {
	if prog == nil {
		prog = evidence.NoProgress{}
	}
	rep := Report{Flagged: []FlaggedItem{}}
	if err := expectPending(st, prog, pending); err != nil {
		return rep, err
	}
	// Items are parsed by several workers at once, each into its own
	// queue; the single writer stores them in item order. Workers may run
	// up to maxAhead items ahead of the writer, so they keep parsing while
	// it commits; the queues are bounded in bytes (indexqueue.go), so
	// memory stays bounded.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fl := newFlight(ctx)
	w.SetSameContent(timeline.SameStoredRecord)
	started := make(chan *indexJob, maxAhead)
	var loadErr error
	go func() {
		defer close(started)
		feed := &itemFeed{pending: pending, more: more}
		if loadErr = startJobs(ctx, st, fl, prog, feed, started); loadErr != nil {
			cancel()
		}
	}()
	var done []uint64
	for j := range started {
		done = append(done, j.it.ID)
		if err := storeJob(ctx, cancel, w, prog, j); err != nil {
			return rep, err
		}
		rep.add(j)
	}
	if loadErr != nil {
		return rep, loadErr
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if err := w.Flush(); err != nil {
		return rep, err
	}
	for _, id := range done {
		s := w.Stats(id)
		rep.Duplicates += s.Duplicates
		rep.Conflicts += s.Conflicts
	}
	return rep, nil
}

// expectPending announces the items pending to prog.
func expectPending(st *store.Store, prog evidence.Progress, pending []uint64) error {
	if _, off := prog.(evidence.NoProgress); off || len(pending) == 0 {
		return nil
	}
	var bytes int64
	for _, id := range pending {
		it, err := st.Item(id)
		if err != nil {
			return err
		}
		bytes += it.Size
	}
	prog.Expect(evidence.PhaseIndex, int64(len(pending)), bytes)
	return nil
}

// itemFeed gives the ids to index: pending first, then those arriving on
// more (nil: none).
type itemFeed struct {
	pending []uint64
	more    <-chan uint64
}

func (f *itemFeed) next(ctx context.Context) (uint64, bool) {
	if len(f.pending) > 0 {
		id := f.pending[0]
		f.pending = f.pending[1:]
		return id, true
	}
	if f.more == nil {
		return 0, false
	}
	select {
	case id, ok := <-f.more:
		return id, ok
	case <-ctx.Done():
		return 0, false
	}
}

// startJobs starts a parse job for every item of feed, at most
// indexWorkers at once, and sends them in order on started. It returns
// an error only when an item cannot be loaded.
func startJobs(ctx context.Context, st *store.Store, fl *flight, prog evidence.Progress, feed *itemFeed, started chan<- *indexJob) error {
	sem := make(chan struct{}, indexWorkers())
	for {
		id, ok := feed.next(ctx)
		if !ok {
			return nil
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		it, err := st.Item(id)
		if err != nil {
			return err
		}
		j := &indexJob{it: it, out: &blockQueue{f: fl}, done: make(chan struct{})}
		go func() {
			defer func() { <-sem }()
			j.run(ctx, st, prog)
		}()
		select {
		case started <- j:
		case <-ctx.Done():
			return nil
		}
	}
}

// storeJob writes the events of one parsed item, then the item itself.
func storeJob(ctx context.Context, cancel context.CancelFunc, w *store.Writer, prog evidence.Progress, j *indexJob) error {
	it := &j.it
	// Remove what an interrupted earlier indexing of this item left.
	if err := w.DeleteItemEvents(it.ID); err != nil {
		return err
	}
	prog.Begin(evidence.PhaseIndex, it.Path, it.Size)
	j.out.makeHead()
	for blk := j.out.pop(); blk != nil; blk = j.out.pop() {
		if err := w.PutBlock(blk); err != nil {
			cancel()
			prog.End(evidence.PhaseIndex)
			return err
		}
	}
	<-j.done
	prog.End(evidence.PhaseIndex)
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.err != nil {
		return j.err
	}
	return w.UpdateItem(*it)
}

// add counts a stored item in the report.
func (rep *Report) add(j *indexJob) {
	it := &j.it
	rep.Items++
	rep.Events += j.events
	rep.Warnings += it.WarningCount
	if it.WarningCount > 0 || len(it.Flags) > 0 || it.ParseState == evidence.ParseFailed {
		rep.Flagged = append(rep.Flagged, FlaggedItem{ID: it.ID, Path: it.Path, Kind: it.Kind, State: it.ParseState,
			Flags: it.Flags, Warnings: it.WarningCount, First: it.Warnings[:min(3, len(it.Warnings))]})
	}
}

type countingReader struct {
	r    io.Reader
	prog evidence.Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.prog.Advance(evidence.PhaseIndex, int64(n))
	return n, err
}

// Read buffers are reused across items: case files hold many small items.
var (
	rawReaders   = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1<<20) }}
	parseReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 256<<10) }}
)

// maxAhead is how many parsed items may wait for the writer.
const maxAhead = 256

func indexWorkers() int { return min(max(runtime.GOMAXPROCS(0), 1), 8) }

// indexJob is one item being parsed.
type indexJob struct {
	it     evidence.Item
	out    *blockQueue
	done   chan struct{}
	events int64
	err    error
}

func (j *indexJob) run(ctx context.Context, st *store.Store, prog evidence.Progress) {
	defer close(j.done)
	defer j.out.close()
	j.events, j.err = indexItem(ctx, st, &j.it, prog, func(blk *store.EventBlock) error {
		if !j.out.push(blk) {
			return ctx.Err()
		}
		return nil
	})
}

// indexItem parses one item, passing its events to put in blocks, and
// updates it (state, counts, flags, warnings). An error is returned only
// when put fails or ctx ends.
func indexItem(ctx context.Context, st *store.Store, it *evidence.Item, prog evidence.Progress, put func(*store.EventBlock) error) (int64, error) {
	bb := store.NewBlockBuilder(it.ID)
	add := func(rec *store.EventRecord) error {
		if blk := bb.Add(rec); blk != nil {
			return put(blk)
		}
		return nil
	}
	finish := func() error {
		if blk := bb.Finish(); blk != nil {
			return put(blk)
		}
		return nil
	}
	return parseItem(ctx, st, it, prog, add, finish)
}

// parseItem parses one item from its stored bytes, passing each event as
// it would be stored to add (whose record is only valid during the call)
// and calling finish after the last, and updates it (state, counts,
// flags, warnings). An error is returned only when add or finish fails or
// ctx ends.
func parseItem(ctx context.Context, st *store.Store, it *evidence.Item, prog evidence.Progress, add func(*store.EventRecord) error, finish func() error) (int64, error) {
	it.Warnings, it.WarningCount, it.Events = nil, 0, 0
	raw := rawReaders.Get().(*bufio.Reader)
	raw.Reset(&countingReader{st.OpenBlob(*it), prog})
	defer rawReaders.Put(raw)
	var r io.Reader = raw
	var zr *gzip.Reader
	if it.Compression == "gzip" {
		var err error
		zr, err = gzip.NewReader(raw)
		if err != nil {
			it.ParseState = evidence.ParseFailed
			it.AddFlag(evidence.FlagUnparseable)
			it.AddWarning(evidence.Warning{Message: fmt.Sprintf("gzip: %v", err)})
			return 0, nil
		}
		// Firehose writes one gzip member per CloudWatch Logs payload:
		// there every member is data.
		zr.Multistream(it.Kind == evidence.KindCloudWatchSubscription)
		r = zr
	}
	sink := &eventSink{it: it, add: add}
	warn := func(wn timeline.Warning) {
		it.AddWarning(evidence.Warning{Record: wn.Record, Message: wn.Message})
	}
	popts := parseOptions(it)
	var perr error
	br := parseReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer parseReaders.Put(br)
	if magic, _ := br.Peek(4); string(magic) == "PAR1" {
		perr = parseParquetBlob(ctx, br, popts, sink.emit, warn)
	} else {
		perr = timeline.Parse(ctx, it.Kind, br, popts, sink.emit, warn)
	}
	if sink.err != nil {
		return sink.events, sink.err
	}
	if err := ctx.Err(); err != nil {
		return sink.events, err
	}
	if err := finish(); err != nil {
		return sink.events, err
	}
	if zr != nil {
		checkGzipEnd(it, zr, raw)
	}
	it.Events = sink.events
	setParseState(it, perr)
	return sink.events, nil
}

// parseOptions are the options items are parsed with: eventSink copies
// what it keeps, during emit.
func parseOptions(it *evidence.Item) timeline.ParseOptions {
	return timeline.ParseOptions{Evidence: it.ID, Name: it.Path, NoFieldMap: true, BorrowRaw: true, ReuseEvent: true, FlowFormat: it.FlowFormat}
}

// eventSink turns an item's parsed events into the records the store
// keeps, passed to add.
type eventSink struct {
	it         *evidence.Item
	add        func(*store.EventRecord) error
	rec        store.EventRecord
	data       []byte // reused: add copies what it keeps
	terms      timeline.TermSet
	termList   []string // reused: add keeps the strings, not the slice
	lastRecord int64
	events     int64
	err        error // add failed
}

func (s *eventSink) emit(ev *timeline.Event) error {
	it := s.it
	ev.Evidence = it.ID
	// Record numbers are the provenance key: strictly increasing within
	// an item.
	if ev.Record <= s.lastRecord {
		ev.Record = s.lastRecord + 1
	}
	s.lastRecord = ev.Record
	if ev.Kind == "" {
		ev.Kind = it.Kind
	}
	s.data = timeline.EncodeEvent(s.data[:0], ev)
	s.terms.Reset()
	addTerms(&s.terms, ev)
	s.termList = s.terms.AppendTo(s.termList[:0])
	s.rec = store.EventRecord{Item: it.ID, Record: uint64(ev.Record), Time: ev.Time, Terms: s.termList, Data: s.data}
	if k := ev.DedupKey(); k != "" {
		s.rec.DedupKey, s.rec.ContentHash = k, ev.ContentHash()
	}
	if ev.Source == timeline.SourceCloudTrail {
		s.rec.Group = ev.Action // event name: a query for it reads few frames
	}
	s.events++
	if err := s.add(&s.rec); err != nil {
		s.err = err
		return err
	}
	return nil
}

// checkGzipEnd reads the rest of the first gzip member, then looks for
// anything after it, and flags what it finds.
func checkGzipEnd(it *evidence.Item, zr *gzip.Reader, raw *bufio.Reader) {
	if _, err := io.Copy(io.Discard, zr); err != nil {
		it.AddFlag(evidence.FlagTruncated)
		it.AddWarning(evidence.Warning{Message: fmt.Sprintf("gzip: %v (compressed stream damaged or cut short)", err)})
	} else if _, err := raw.Peek(1); err == nil {
		it.AddFlag(evidence.FlagTrailingData)
		it.AddWarning(evidence.Warning{Message: "bytes after the first gzip member: AWS never hashes them, so they are not read"})
	}
}

// setParseState sets the item's parse state from the parser's error and
// the events it gave.
func setParseState(it *evidence.Item, perr error) {
	switch {
	case perr != nil && it.Events == 0:
		it.ParseState = evidence.ParseFailed
		it.AddFlag(evidence.FlagUnparseable)
		it.AddWarning(evidence.Warning{Message: perr.Error()})
	case perr != nil:
		it.ParseState = evidence.ParseDone
		it.AddFlag(evidence.FlagParseWarnings)
		it.AddWarning(evidence.Warning{Message: perr.Error()})
	default:
		it.ParseState = evidence.ParseDone
		if it.WarningCount > 0 {
			it.AddFlag(evidence.FlagParseWarnings)
		}
	}
}

// parseParquetBlob spools the (decompressed) Parquet bytes to a temporary
// file, since Parquet needs random access.
func parseParquetBlob(ctx context.Context, r io.Reader, opts timeline.ParseOptions, emit func(*timeline.Event) error, warn func(timeline.Warning)) error {
	f, err := os.CreateTemp("", "trailcase-parquet-*")
	if err != nil {
		return fmt.Errorf("spool parquet: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, r)
	if err != nil {
		return fmt.Errorf("spool parquet: %w", err)
	}
	return timeline.ParseParquet(ctx, f, n, opts, emit, warn)
}
