package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// checkItems re-hashes the stored bytes of every item and checks its
// sidecar. It returns the blobs the items own.
func (s *Store) checkItems(ctx context.Context, res *CheckResult, progress evidence.Progress) (map[uint64]bool, error) {
	blobs := map[uint64]bool{}
	var ids []uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bItems).ForEach(func(k, _ []byte) error {
			ids = append(ids, binary.BigEndian.Uint64(k))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	h := itemHasher{s: s, buf: make([]byte, 256<<10), progress: progress}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it, err := s.Item(id)
		if err != nil {
			res.add(ProblemItemUnreadble, id, "", err.Error())
			continue
		}
		res.Items++
		blobs[it.Blob] = true
		h.progress.Begin(evidence.PhaseVerify, it.Path, it.Size)
		res.Bytes += h.check(res, it)
		h.progress.End(evidence.PhaseVerify)
		s.checkSidecar(res, it)
		if err := s.checkNoExtraChunk(res, it); err != nil {
			return nil, err
		}
	}
	return blobs, nil
}

// itemHasher hashes items' stored bytes with one buffer, releasing the
// mapped pages every few chunks.
type itemHasher struct {
	s          *Store
	buf        []byte
	unreleased int64
	progress   evidence.Progress
}

// check hashes the stored bytes of it against its record and returns how many
// bytes it read.
func (h *itemHasher) check(res *CheckResult, it evidence.Item) int64 {
	sum := sha256.New()
	n, err := io.CopyBuffer(sum, h.s.OpenBlob(it), h.buf)
	if h.unreleased += n; h.unreleased > releaseEvery*ChunkSize {
		h.s.releaseMapped()
		h.unreleased = 0
	}
	h.progress.Advance(evidence.PhaseVerify, n)
	switch {
	case err != nil:
		res.add(ProblemBlobMissing, it.ID, it.Path, err.Error())
	case n != it.Size:
		res.add(ProblemSizeMismatch, it.ID, it.Path, fmt.Sprintf("stored %d bytes, recorded size %d", n, it.Size))
	default:
		var got evidence.SHA256
		sum.Sum(got[:0])
		if got != it.SHA256 {
			res.add(ProblemHashMismatch, it.ID, it.Path, fmt.Sprintf("stored bytes hash to %s, recorded %s", got, it.SHA256))
		}
	}
	return n
}

// checkSidecar checks the sidecar kept with it, if any.
func (s *Store) checkSidecar(res *CheckResult, it evidence.Item) {
	if it.Sidecar == nil {
		return
	}
	sc, err := s.Sidecar(it.ID)
	switch {
	case err != nil:
		res.add(ProblemSidecar, it.ID, it.Sidecar.Path, err.Error())
	case sc == nil:
		res.add(ProblemSidecar, it.ID, it.Sidecar.Path, "sidecar bytes missing from the case")
	case evidence.Sum256(sc) != it.Sidecar.SHA256:
		res.add(ProblemSidecar, it.ID, it.Sidecar.Path, fmt.Sprintf("sidecar hashes to %s, recorded %s", evidence.Sum256(sc), it.Sidecar.SHA256))
	}
}

// checkNoExtraChunk finds a chunk beyond the item's recorded size.
func (s *Store) checkNoExtraChunk(res *CheckResult, it evidence.Item) error {
	return s.db.View(func(tx *bolt.Tx) error {
		last := uint32(0)
		if it.Size > 0 {
			last = uint32((it.Size - 1) / ChunkSize)
		}
		if v := tx.Bucket(bBlobs).Get(chunkKey(it.Blob, last+1)); v != nil {
			res.add(ProblemSizeMismatch, it.ID, it.Path, "the case holds more bytes than the item's recorded size")
		}
		return nil
	})
}
