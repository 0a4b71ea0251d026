package acquire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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
// what was stored stays stored. When ctx is cancelled, complete files are
// kept, the file in progress is dropped, the run is recorded as
// interrupted and ctx's error is returned with the report.
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
	rep := &AcquireReport{Refused: []evidence.Refusal{}, Failed: []FileError{}, Stored: []StoredItem{}, Present: []StoredItem{}}
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

	if len(opts.PublicKeys) > 0 {
		for i := range opts.PublicKeys {
			if opts.PublicKeys[i].Origin == "" {
				opts.PublicKeys[i].Origin = opts.KeysOrigin
			}
		}
		if err := st.PutKeys(opts.PublicKeys); err != nil {
			return rep, err
		}
		rep.Keys = len(opts.PublicKeys)
	}

	w := st.NewWriter(0)
	a := &acquirer{st: st, w: w, opts: opts, rep: rep, seen: map[string]bool{}, buf: make([]byte, 1<<20), cmpBuf: make([]byte, 1<<20)}
	// Items are indexed while acquisition goes on: as soon as they are
	// committed, they go to an indexer with its own writer (bbolt runs
	// one write transaction at a time, so the two never interleave).
	var idx *index.Background
	gate := &progressGate{p: opts.Progress}
	if !opts.NoIndex {
		pending, err := index.Pending(st) // from interrupted earlier runs
		if err != nil {
			return rep, err
		}
		idx = index.Start(ctx, st, gate, pending)
		a.idx = idx
		defer idx.Stop()
	}
	var runErr error
	for _, src := range opts.Sources {
		if runErr = ctx.Err(); runErr != nil {
			break
		}
		err := src.Walk(ctx, func(e evidence.Entry) error {
			if err := a.entry(ctx, src, e); err != nil {
				return err
			}
			return a.handOver(false)
		}, func(r evidence.Refusal) {
			r.Path = src.Root() + ": " + r.Path
			rep.Refused = append(rep.Refused, r)
		})
		if ch, ok := src.(evidence.ContainerHasher); ok {
			if sum, size, ok := ch.Container(); ok {
				rep.Containers = append(rep.Containers, Container{Source: src.Root(), Size: size, SHA256: sum})
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				runErr = ctx.Err()
				break
			}
			if errors.Is(err, errIndexStopped) {
				break
			}
			rep.Failed = append(rep.Failed, FileError{Source: src.Root(), Error: err.Error()})
		}
	}
	if err := a.handOver(true); err != nil && !errors.Is(err, errIndexStopped) {
		return rep, err
	}
	gate.open() // acquisition is done: indexing progress is shown
	if idx != nil {
		ir, err := idx.Wait()
		rep.Index = ir
		if err != nil && runErr == nil {
			runErr = err
		}
	}

	end := opts.Actor.Entry("acquire", opts.Args)
	end.Start = started.Start
	end.End = time.Now().UTC()
	end.Sources = sources
	for _, s := range rep.Stored {
		end.Items = append(end.Items, s.ID)
	}
	end.Result = evidence.ResultOK
	switch {
	case runErr != nil && errors.Is(runErr, context.Canceled):
		end.Result = evidence.ResultInterrupted
		rep.Interrupted = true
	case runErr != nil:
		end.Result = evidence.ResultFailed
	case len(rep.Failed) > 0:
		end.Result = evidence.ResultFailed
	}
	end.Detail = rep.summary(opts.Note)
	// Items found already present are named by id ranges: their paths,
	// sources and hashes are in the item records, and a re-run over a
	// large collection must not write a custody entry of its size.
	present := make([]uint64, 0, len(rep.Present))
	for _, p := range rep.Present {
		present = append(present, p.ID)
	}
	end.Data, _ = json.Marshal(map[string]any{
		"run": started.Seq, "already_present_items": idRanges(present), "already_present": len(rep.Present), "refused": rep.Refused,
		"failed": rep.Failed, "containers": rep.Containers, "public_keys": rep.Keys, "public_keys_from": opts.KeysOrigin,
	})
	if _, err := st.EndRun(started.Seq, end); err != nil {
		return rep, err
	}
	return rep, runErr
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

func (r *AcquireReport) summary(note string) string {
	s := fmt.Sprintf("stored %d item(s) (%d bytes), %d already present, %d refused, %d failed; %d event(s) indexed",
		len(r.Stored), r.Bytes, len(r.Present), len(r.Refused), len(r.Failed), r.Index.Events)
	if note != "" {
		s += "; note: " + note
	}
	return s
}

type acquirer struct {
	st        *store.Store
	w         *store.Writer
	idx       *index.Background // nil with NoIndex
	fresh     []freshItem       // items put but not yet handed to idx
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

func (a *acquirer) entry(ctx context.Context, src evidence.Source, e evidence.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !evidence.Selected(e.Path, a.opts.Include, a.opts.Exclude) {
		return nil
	}
	fail := func(err error) error {
		a.rep.Failed = append(a.rep.Failed, FileError{Source: src.Root(), Path: e.Path, Error: err.Error()})
		return nil
	}
	if e.Present != 0 {
		it, err := a.st.Item(e.Present)
		if err != nil {
			return fail(fmt.Errorf("item %d named as holding %q: %w", e.Present, e.URI, err))
		}
		a.rep.Present = append(a.rep.Present, StoredItem{ID: it.ID, Path: e.Path, Source: e.URI, Kind: it.Kind, Size: it.Size, SHA256: it.SHA256})
		return nil
	}
	start := time.Now().UTC()
	rc, err := e.Open(ctx)
	if err != nil {
		return fail(err)
	}
	defer rc.Close()
	a.opts.Progress.Begin(e.Path, e.Size)
	defer a.opts.Progress.End()

	// When the case already holds this source with the same size, the
	// bytes are compared with the stored copy as they are hashed, and
	// nothing is written unless they differ: running the same acquisition
	// again (after an interruption) only reads.
	prev, comparing := a.previous(e)
	var cmp io.Reader
	if comparing {
		cmp = a.st.OpenBlob(prev)
	}
	var matched int64
	var bw *store.BlobWriter
	startBlob := func() error {
		var err error
		if bw, err = a.w.NewBlob(); err != nil {
			return err
		}
		if comparing {
			// The bytes so far equal the stored copy's first bytes.
			if _, err := io.CopyN(bw, a.st.OpenBlob(prev), matched); err != nil {
				return fmt.Errorf("copy stored bytes of item %d: %w", prev.ID, err)
			}
			comparing = false
		}
		return nil
	}
	abandon := func() {
		if bw != nil {
			bw.Abandon()
		}
	}
	if !comparing {
		if err := startBlob(); err != nil {
			return err
		}
	}
	h := sha256.New()
	if a.head == nil {
		a.head = make([]byte, 0, headSize)
	}
	head := a.head[:0]
	var n int64
	for reads := 0; ; reads++ {
		if reads%64 == 0 && ctx.Err() != nil {
			abandon()
			return ctx.Err()
		}
		m, rerr := rc.Read(a.buf)
		if m > 0 {
			chunk := a.buf[:m]
			h.Write(chunk)
			if len(head) < headSize {
				head = append(head, chunk[:min(m, headSize-len(head))]...)
			}
			if comparing {
				k, _ := io.ReadFull(cmp, a.cmpBuf[:m])
				if k == m && bytes.Equal(a.cmpBuf[:m], chunk) {
					matched += int64(m)
				} else if err := startBlob(); err != nil {
					abandon()
					return err
				}
			}
			if !comparing {
				if _, err := bw.Write(chunk); err != nil {
					abandon()
					return err // the store failed: stop
				}
			}
			n += int64(m)
			a.opts.Progress.Advance(int64(m))
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			abandon()
			return fail(fmt.Errorf("read %q: %w", e.URI, rerr))
		}
	}
	var sum evidence.SHA256
	h.Sum(sum[:0])
	if comparing {
		if n == prev.Size && sum == prev.SHA256 {
			a.rep.Present = append(a.rep.Present, StoredItem{ID: prev.ID, Path: e.Path, Source: e.URI, Kind: prev.Kind, Size: n, SHA256: sum})
			return nil
		}
		// Shorter than the stored copy: every byte matched its prefix.
		if err := startBlob(); err != nil {
			return err
		}
	}
	if err := bw.Close(); err != nil {
		return err
	}

	seenKey := e.URI + "\x00" + string(sum[:])
	existing, err := a.st.FindItem(e.URI, sum)
	if err != nil {
		return err
	}
	if existing != 0 || a.seen[seenKey] {
		if err := bw.Abandon(); err != nil {
			return err
		}
		a.rep.Present = append(a.rep.Present, StoredItem{ID: existing, Path: e.Path, Source: e.URI, Size: n, SHA256: sum})
		return nil
	}
	a.seen[seenKey] = true

	it := evidence.Item{
		Source:        e.URI,
		Root:          src.Root(),
		Path:          e.Path,
		Size:          n,
		SHA256:        sum,
		AcquiredStart: start,
		AcquiredEnd:   time.Now().UTC(),
		Examiner:      a.opts.Actor.Examiner,
		Host:          a.opts.Actor.Host,
		ToolVersion:   a.opts.Actor.ToolVersion,
		Custody:       a.rep.Run,
		Note:          a.opts.Note,
		ModTime:       e.ModTime,
		Blob:          bw.ID(),
		S3:            e.S3,
	}
	if e.Size >= 0 && e.Size != n {
		it.AddWarning(evidence.Warning{Message: fmt.Sprintf("expected %d bytes, read %d (the file changed while it was read?)", e.Size, n)})
	}
	it.Kind, it.Compression = DetectKind(e.Path, head)
	if it.Compression == "" && strings.HasSuffix(strings.ToLower(e.Path), ".gz") {
		it.AddFlag(evidence.FlagNotGzip)
		it.AddWarning(evidence.Warning{Message: "named .gz but not gzip (inflated by a downloader?): read as is"})
	}
	if e.Sidecar != nil {
		it.Sidecar = &evidence.Sidecar{Path: e.SidecarPath, Size: int64(len(e.Sidecar)), SHA256: evidence.Sum256(e.Sidecar)}
		s3o, err := ParseSidecar(e.Sidecar, e.Path)
		if err != nil {
			it.AddFlag(evidence.FlagSidecarInvalid)
			it.AddWarning(evidence.Warning{Message: fmt.Sprintf("sidecar %q: %v", e.SidecarPath, err)})
		}
		if s3o != nil && it.S3 == nil {
			s3o.CapturedAt = start
			it.S3 = s3o
		}
	}
	switch it.Kind {
	case evidence.KindCloudTrail, evidence.KindCloudTrailInsight, evidence.KindVPCFlow,
		evidence.KindELBALB, evidence.KindELBNLB, evidence.KindELBCLB, evidence.KindELBALBConn:
		it.ParseState = evidence.ParsePending
	default:
		it.ParseState = evidence.ParseSkipped
	}
	before := a.w.Flushes()
	id, err := a.w.PutItem(it, e.Sidecar)
	if err != nil {
		return err
	}
	if it.ParseState == evidence.ParsePending {
		// Committed by the next flush, or already if PutItem flushed.
		at := a.w.Flushes()
		if at == before {
			at++
		}
		a.fresh = append(a.fresh, freshItem{id, at})
	}
	a.rep.Bytes += n
	a.rep.Stored = append(a.rep.Stored, StoredItem{ID: id, Path: e.Path, Source: e.URI, Kind: it.Kind, Size: n, SHA256: sum})
	return nil
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
