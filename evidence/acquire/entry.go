package acquire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// itemWriter is what acquisition writes to the case through (a
// *store.Writer); tests put a failing one in its place.
type itemWriter interface {
	NewBlob() (*store.BlobWriter, error)
	PutItem(it evidence.Item, sidecar []byte) (uint64, error)
	Flush() error
	Flushes() int
}

// newWriter returns the writer of an acquisition.
var newWriter = func(st *store.Store) itemWriter { return st.NewWriter(0) }

// writeError is a failed write to the case: it ends the run.
type writeError struct {
	item string // the item being stored, or the items being committed
	err  error
}

func (e *writeError) Error() string { return fmt.Sprintf("store %s: %v", e.item, e.err) }
func (e *writeError) Unwrap() error { return e.err }

func isWriteError(err error) bool {
	var we *writeError
	return errors.As(err, &we)
}

// readError is a failed read of a source file: the file is reported and
// skipped.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// fileCopy is a source file read into the case.
type fileCopy struct {
	n     int64
	sum   evidence.SHA256
	head  []byte            // the first headSize bytes, for kind detection
	after fs.FileInfo       // the local file as it was once read, or nil
	bw    *store.BlobWriter // nil when the bytes equal the stored copy
	prev  evidence.Item     // the stored copy compared with
}

// entry stores one file. It returns an error only when the run must end
// (ctx ended, or the case could not be written); a file that cannot be
// read is reported in the report's Failed.
func (a *acquirer) entry(ctx context.Context, src evidence.Source, e evidence.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !evidence.Selected(e.Path, a.opts.Include, a.opts.Exclude) {
		return nil
	}
	if e.Present != 0 {
		it, err := a.st.Item(e.Present)
		if err != nil {
			a.skipped(e)
			return a.fail(src, e, fmt.Errorf("item %d named as holding %q: %w", e.Present, e.URI, err))
		}
		a.rep.Present = append(a.rep.Present, StoredItem{ID: it.ID, Path: e.Path, Source: e.URI, Kind: it.Kind, Size: it.Size, SHA256: it.SHA256})
		a.skipped(e)
		return nil
	}
	start := time.Now().UTC()
	rc, err := e.Open(ctx)
	if err != nil {
		a.skipped(e)
		return a.fail(src, e, err)
	}
	defer rc.Close()
	a.opts.Progress.Begin(evidence.PhaseStore, e.Path, e.Size)
	defer a.opts.Progress.End(evidence.PhaseStore)

	fc, err := a.copyFile(ctx, e, rc)
	var re readError
	if errors.As(err, &re) {
		return a.fail(src, e, fmt.Errorf("read %q: %w", e.URI, re.err))
	}
	if err != nil {
		return err
	}
	if fc.bw == nil {
		a.rep.Present = append(a.rep.Present, StoredItem{ID: fc.prev.ID, Path: e.Path, Source: e.URI, Kind: fc.prev.Kind, Size: fc.n, SHA256: fc.sum})
		return nil
	}
	return a.put(src, e, fc, start)
}

// skipped counts a file not read (already present, failed) as done.
func (a *acquirer) skipped(e evidence.Entry) {
	a.opts.Progress.Advance(evidence.PhaseStore, max(e.Size, 0))
	a.opts.Progress.End(evidence.PhaseStore)
}

func (a *acquirer) fail(src evidence.Source, e evidence.Entry, err error) error {
	a.rep.Failed = append(a.rep.Failed, FileError{Source: src.Root(), Path: e.Path, Error: err.Error()})
	return nil
}

// copyFile reads rc to its end, hashing it into a new blob. When the case
// already holds this source with the same size, the bytes are compared
// with the stored copy as they are hashed, and nothing is written unless
// they differ: running the same acquisition again (after an interruption)
// only reads. A read error comes back as a readError; on any error the
// blob is dropped.
func (a *acquirer) copyFile(ctx context.Context, e evidence.Entry, rc io.Reader) (fileCopy, error) {
	bc := &blobCopy{a: a}
	if prev, ok := a.previous(e); ok {
		bc.prev, bc.comparing, bc.cmp = prev, true, a.st.OpenBlob(prev)
	} else if err := bc.start(); err != nil {
		return fileCopy{}, err
	}
	h := sha256.New()
	if a.head == nil {
		a.head = make([]byte, 0, headSize)
	}
	fc := fileCopy{head: a.head[:0], prev: bc.prev}
	for reads := 0; ; reads++ {
		if reads%64 == 0 && ctx.Err() != nil {
			bc.abandon()
			return fc, ctx.Err()
		}
		m, rerr := rc.Read(a.buf)
		if m > 0 {
			chunk := a.buf[:m]
			h.Write(chunk)
			if len(fc.head) < headSize {
				fc.head = append(fc.head, chunk[:min(m, headSize-len(fc.head))]...)
			}
			if err := bc.write(chunk); err != nil {
				bc.abandon()
				return fc, err // the store failed: stop
			}
			fc.n += int64(m)
			a.opts.Progress.Advance(evidence.PhaseStore, int64(m))
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			bc.abandon()
			return fc, readError{rerr}
		}
	}
	h.Sum(fc.sum[:0])
	if f, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		fc.after, _ = f.Stat()
	}
	if bc.comparing {
		if fc.n == bc.prev.Size && fc.sum == bc.prev.SHA256 {
			return fc, nil
		}
		// Shorter than the stored copy: every byte matched its prefix.
		if err := bc.start(); err != nil {
			return fc, err
		}
	}
	fc.bw = bc.bw
	return fc, bc.bw.Close()
}

// blobCopy writes a file's bytes to a new blob or, while they equal the
// stored copy prev, only compares them with it.
type blobCopy struct {
	a         *acquirer
	prev      evidence.Item
	comparing bool
	cmp       io.Reader
	matched   int64 // bytes equal to the stored copy's first bytes
	bw        *store.BlobWriter
}

// start starts the blob, with the bytes matched so far.
func (c *blobCopy) start() error {
	var err error
	if c.bw, err = c.a.w.NewBlob(); err != nil {
		return err
	}
	if c.comparing {
		if _, err := io.CopyN(c.bw, c.a.st.OpenBlob(c.prev), c.matched); err != nil {
			return fmt.Errorf("copy stored bytes of item %d: %w", c.prev.ID, err)
		}
		c.comparing = false
	}
	return nil
}

func (c *blobCopy) write(chunk []byte) error {
	if c.comparing {
		m := len(chunk)
		k, _ := io.ReadFull(c.cmp, c.a.cmpBuf[:m])
		if k == m && bytes.Equal(c.a.cmpBuf[:m], chunk) {
			c.matched += int64(m)
			return nil
		}
		if err := c.start(); err != nil {
			return err
		}
	}
	_, err := c.bw.Write(chunk)
	return err
}

func (c *blobCopy) abandon() {
	if c.bw != nil {
		c.bw.Abandon()
	}
}

// put adds the item read as fc, unless this source already gave the same
// bytes. The item counts as stored once the commit holding it is done
// (handOver).
func (a *acquirer) put(src evidence.Source, e evidence.Entry, fc fileCopy, start time.Time) error {
	seenKey := e.URI + "\x00" + string(fc.sum[:])
	existing, err := a.st.FindItem(e.URI, fc.sum)
	if err != nil {
		return err
	}
	if existing != 0 || a.seen[seenKey] {
		if err := fc.bw.Abandon(); err != nil {
			return err
		}
		a.rep.Present = append(a.rep.Present, StoredItem{ID: existing, Path: e.Path, Source: e.URI, Size: fc.n, SHA256: fc.sum})
		return nil
	}
	a.seen[seenKey] = true

	it := a.newItem(src, e, fc, start)
	before := a.w.Flushes()
	id, err := a.w.PutItem(it, e.Sidecar)
	if err != nil {
		return err
	}
	// Committed by the next flush, or already if PutItem flushed.
	at := a.w.Flushes()
	if at == before {
		at++
	}
	a.fresh = append(a.fresh, freshItem{
		stored:      StoredItem{ID: id, Path: e.Path, Source: e.URI, Kind: it.Kind, Size: fc.n, SHA256: fc.sum},
		parse:       it.ParseState == evidence.ParsePending,
		committedAt: at,
	})
	return nil
}

// newItem returns the item record of e, read as fc, with its kind, flags
// and warnings.
func (a *acquirer) newItem(src evidence.Source, e evidence.Entry, fc fileCopy, start time.Time) evidence.Item {
	it := evidence.Item{
		Source:        e.URI,
		Root:          src.Root(),
		Path:          e.Path,
		Size:          fc.n,
		SHA256:        fc.sum,
		AcquiredStart: start,
		AcquiredEnd:   time.Now().UTC(),
		Examiner:      a.opts.Actor.Examiner,
		Host:          a.opts.Actor.Host,
		ToolVersion:   a.opts.Actor.ToolVersion,
		Custody:       a.rep.Run,
		Note:          a.opts.Note,
		ModTime:       e.ModTime,
		Blob:          fc.bw.ID(),
		S3:            e.S3,
	}
	if changedDuringRead(e, fc) {
		it.AddFlag(evidence.FlagChangedDuringRead)
		it.AddWarning(evidence.Warning{Message: fmt.Sprintf("the file changed while it was read (%d bytes, modified %s before; %d bytes, modified %s after): the stored %d bytes are a snapshot",
			e.Size, e.ModTime.Format(time.RFC3339Nano), fc.after.Size(), fc.after.ModTime().UTC().Format(time.RFC3339Nano), fc.n)})
	} else if e.Size >= 0 && e.Size != fc.n {
		it.AddWarning(evidence.Warning{Message: fmt.Sprintf("expected %d bytes, read %d (the file changed while it was read?)", e.Size, fc.n)})
	}
	it.Kind, it.Compression = DetectKind(e.Path, fc.head)
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
			bucket, key := Address(e.URI, e.Path, s3o.Bucket)
			if s3o.Key == e.Path { // the sidecar named no key
				s3o.Key = key
			}
			s3o.Bucket = bucket
			s3o.CapturedAt = start
			it.S3 = s3o
		}
	}
	if evidence.HasEvents(it.Kind) {
		it.ParseState = evidence.ParsePending
	} else {
		it.ParseState = evidence.ParseSkipped
	}
	switch it.Kind {
	case evidence.KindVPCFlow, evidence.KindCloudWatchExport, evidence.KindCloudWatchSubscription:
		it.FlowFormat = a.opts.FlowFormat
	}
	return it
}

// changedDuringRead reports whether a local file's size or modification
// time after it was read differ from those it was listed with, or its
// size from the bytes read.
func changedDuringRead(e evidence.Entry, fc fileCopy) bool {
	if fc.after == nil || e.Size < 0 {
		return false
	}
	return fc.after.Size() != e.Size || !fc.after.ModTime().Equal(e.ModTime) || fc.n != e.Size
}
