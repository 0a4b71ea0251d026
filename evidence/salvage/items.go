package salvage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// copyItems copies every item of from whose bytes still hash right, with
// its sidecar, keeping its id. An item whose custody entry was lost is
// attributed to the salvage run.
func copyItems(ctx context.Context, from, to *store.Store, nextItem uint64, newSeq map[uint64]uint64, run uint64, rep *Report, progress evidence.Progress) error {
	w := to.NewWriter(0)
	misses := 0
	for id := uint64(1); id < nextItem || misses < maxMisses; id++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := from.Item(id)
		switch {
		case errors.Is(err, store.ErrNotFound) && id < nextItem:
			// Ids are given out in order and committed with their items.
			rep.ItemsLost = append(rep.ItemsLost, LostItem{ID: id, Reason: "no record under this id: it was removed or its key damaged"})
			continue
		case errors.Is(err, store.ErrNotFound):
			misses++
			continue
		case err != nil:
			rep.ItemsLost = append(rep.ItemsLost, LostItem{ID: id, Reason: "record unreadable: " + err.Error()})
			misses = 0
			continue
		}
		misses = 0
		copied, err := copyItem(from, w, it, newSeq, run, progress)
		if err != nil {
			return err
		}
		if copied != "" {
			rep.ItemsLost = append(rep.ItemsLost, LostItem{ID: id, Path: it.Path, Reason: copied})
			continue
		}
		rep.ItemsCopied = append(rep.ItemsCopied, id)
		rep.Bytes += it.Size
	}
	return w.Flush()
}

// copyItem copies one item and returns "" or why it is lost; err is for
// failures to write the new case.
func copyItem(from *store.Store, w *store.Writer, it evidence.Item, newSeq map[uint64]uint64, run uint64, progress evidence.Progress) (lost string, err error) {
	var sidecar []byte
	if it.Sidecar != nil {
		sidecar, err = from.Sidecar(it.ID)
		switch {
		case err != nil:
			return "sidecar unreadable: " + err.Error(), nil
		case sidecar == nil || evidence.Sum256(sidecar) != it.Sidecar.SHA256:
			return "sidecar missing or changed", nil
		}
	}
	bw, err := w.NewBlob()
	if err != nil {
		return "", err
	}
	progress.Begin(evidence.PhaseCopy, it.Path, it.Size)
	h := sha256.New()
	n, rerr := io.Copy(io.MultiWriter(caseWriter{bw}, h, progressWriter{progress}), from.OpenBlob(it))
	progress.End(evidence.PhaseCopy)
	var why string
	switch {
	case rerr != nil && isWriteErr(rerr):
		return "", rerr
	case rerr != nil:
		why = "bytes unreadable: " + rerr.Error()
	case n != it.Size:
		why = fmt.Sprintf("%d bytes left, recorded %d", n, it.Size)
	case !bytes.Equal(h.Sum(nil), it.SHA256[:]):
		why = fmt.Sprintf("bytes hash to %x, recorded %s", h.Sum(nil), it.SHA256)
	}
	if why != "" {
		return why, bw.Abandon()
	}
	if err := bw.Close(); err != nil {
		return "", err
	}
	it.Blob = bw.ID()
	if s, ok := newSeq[it.Custody]; ok {
		it.Custody = s
	} else {
		it.Custody = run
	}
	return "", w.PutItemAs(it, sidecar)
}

type progressWriter struct{ p evidence.Progress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.Advance(evidence.PhaseCopy, int64(len(b)))
	return len(b), nil
}

// caseWriter marks the errors of writing the new case, to tell them from
// those of reading the damaged one.
type caseWriter struct{ w io.Writer }

func (c caseWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

func isWriteErr(err error) bool {
	var we *writeError
	return errors.As(err, &we)
}

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }
