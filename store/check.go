package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// Problem is one integrity problem found in the case.
type Problem struct {
	Kind   string `json:"kind"`
	Item   uint64 `json:"item,omitempty"`
	Object string `json:"object,omitempty"`
	Detail string `json:"detail"`
}

// Problem kinds reported by Check.
const (
	ProblemHashMismatch  = "ITEM_HASH_MISMATCH"
	ProblemSizeMismatch  = "ITEM_SIZE_MISMATCH"
	ProblemBlobMissing   = "ITEM_BYTES_MISSING"
	ProblemSidecar       = "SIDECAR_MISMATCH"
	ProblemCustody       = "CUSTODY_CHAIN_BROKEN"
	ProblemOrphan        = "ORPHAN_DATA"
	ProblemItemUnreadble = "ITEM_RECORD_INVALID"
	ProblemStore         = "STORE_INCONSISTENT"
)

// CheckResult is what Check found.
type CheckResult struct {
	Items          int       `json:"items"`
	Bytes          int64     `json:"bytes"`
	CustodyEntries int       `json:"custody_entries"`
	Problems       []Problem `json:"problems"`
	Notices        []string  `json:"notices,omitempty"`
}

// Check re-hashes every evidence item from the case file, checks sidecars,
// the custody chain and the store's internal consistency. It collects every
// problem; err is only for failures to run at all. progress, if not nil,
// is called with the bytes hashed so far.
func (s *Store) Check(ctx context.Context, progress func(done int64)) (CheckResult, error) {
	var res CheckResult
	add := func(p Problem) { res.Problems = append(res.Problems, p) }

	// Check reads every page of the file (bbolt's own consistency check,
	// every evidence byte, every index key); a helper releases the mapped
	// pages as it goes, so memory does not grow with the case.
	stop := make(chan struct{})
	released := make(chan struct{})
	go func() {
		defer close(released)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.releaseMapped()
			}
		}
	}()
	defer func() {
		close(stop)
		<-released
	}()

	// bbolt's own page-level consistency check.
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			add(Problem{Kind: ProblemStore, Detail: err.Error()})
		}
		return nil
	})
	if err != nil {
		return res, err
	}

	blobs := map[uint64]bool{}
	var ids []uint64
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bItems).ForEach(func(k, _ []byte) error {
			ids = append(ids, binary.BigEndian.Uint64(k))
			return nil
		})
	})
	if err != nil {
		return res, err
	}
	buf := make([]byte, 256<<10)
	var unreleased int64
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		it, err := s.Item(id)
		if err != nil {
			add(Problem{Kind: ProblemItemUnreadble, Item: id, Detail: err.Error()})
			continue
		}
		res.Items++
		blobs[it.Blob] = true
		h := sha256.New()
		n, err := io.CopyBuffer(h, s.OpenBlob(it), buf)
		res.Bytes += n
		if unreleased += n; unreleased > releaseEvery*ChunkSize {
			s.releaseMapped()
			unreleased = 0
		}
		if progress != nil {
			progress(res.Bytes)
		}
		switch {
		case err != nil:
			add(Problem{Kind: ProblemBlobMissing, Item: id, Object: it.Path, Detail: err.Error()})
		case n != it.Size:
			add(Problem{Kind: ProblemSizeMismatch, Item: id, Object: it.Path, Detail: fmt.Sprintf("stored %d bytes, recorded size %d", n, it.Size)})
		default:
			var got evidence.SHA256
			h.Sum(got[:0])
			if got != it.SHA256 {
				add(Problem{Kind: ProblemHashMismatch, Item: id, Object: it.Path, Detail: fmt.Sprintf("stored bytes hash to %s, recorded %s", got, it.SHA256)})
			}
		}
		if it.Sidecar != nil {
			sc, err := s.Sidecar(id)
			switch {
			case err != nil:
				add(Problem{Kind: ProblemSidecar, Item: id, Object: it.Sidecar.Path, Detail: err.Error()})
			case sc == nil:
				add(Problem{Kind: ProblemSidecar, Item: id, Object: it.Sidecar.Path, Detail: "sidecar bytes missing from the case"})
			case evidence.Sum256(sc) != it.Sidecar.SHA256:
				add(Problem{Kind: ProblemSidecar, Item: id, Object: it.Sidecar.Path, Detail: fmt.Sprintf("sidecar hashes to %s, recorded %s", evidence.Sum256(sc), it.Sidecar.SHA256)})
			}
		}
		// a chunk beyond the recorded size
		err = s.db.View(func(tx *bolt.Tx) error {
			last := uint32(0)
			if it.Size > 0 {
				last = uint32((it.Size - 1) / ChunkSize)
			}
			if v := tx.Bucket(bBlobs).Get(chunkKey(it.Blob, last+1)); v != nil {
				add(Problem{Kind: ProblemSizeMismatch, Item: id, Object: it.Path, Detail: "the case holds more bytes than the item's recorded size"})
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}

	// Orphan chunks and pending markers: bytes no item owns.
	err = s.db.View(func(tx *bolt.Tx) error {
		orphans := map[uint64]int{}
		c := tx.Bucket(bBlobs).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) != 12 {
				add(Problem{Kind: ProblemStore, Detail: fmt.Sprintf("malformed chunk key %x", k)})
				continue
			}
			if b := binary.BigEndian.Uint64(k); !blobs[b] {
				orphans[b]++
			}
		}
		for b, n := range orphans {
			if tx.Bucket(bPending).Get(u64(b)) != nil {
				// Marked pending: the file being written when an
				// acquisition stopped. No item names these bytes; the next
				// writable open removes them.
				res.Notices = append(res.Notices, fmt.Sprintf("blob %d: %d chunk(s) left by an interrupted acquisition; no item uses them, the next writable open removes them", b, n))
				continue
			}
			add(Problem{Kind: ProblemOrphan, Detail: fmt.Sprintf("blob %d: %d chunk(s) that no evidence item owns", b, n)})
		}
		// Events of items that do not exist.
		ec := tx.Bucket(bEvents).Cursor()
		items := tx.Bucket(bItems)
		var lastItem []byte
		for k, _ := ec.First(); k != nil; k, _ = ec.Next() {
			if len(k) != 16 {
				add(Problem{Kind: ProblemStore, Detail: fmt.Sprintf("malformed event key %x", k)})
				continue
			}
			if lastItem != nil && bytes.Equal(lastItem, k[:8]) {
				continue
			}
			lastItem = bytes.Clone(k[:8])
			if items.Get(k[:8]) == nil {
				add(Problem{Kind: ProblemOrphan, Item: binary.BigEndian.Uint64(k[:8]), Detail: "events of an item that is not in the case"})
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}

	n, cps, err := s.CheckCustody()
	if err != nil {
		return res, err
	}
	res.CustodyEntries = n
	for _, p := range cps {
		add(Problem{Kind: ProblemCustody, Detail: fmt.Sprintf("custody entry %d: %s", p.Seq, p.Detail)})
	}
	// Items must be named by the custody log.
	named := map[uint64]bool{}
	_ = s.Custody(func(e evidence.CustodyEntry) error {
		named[e.Seq] = true
		return nil
	})
	_ = s.Items(func(it evidence.Item) error {
		if !named[it.Custody] {
			add(Problem{Kind: ProblemCustody, Item: it.ID, Object: it.Path, Detail: fmt.Sprintf("item claims custody entry %d, which is not in the log", it.Custody)})
		}
		return nil
	})
	return res, nil
}

// MarshalJSON keeps Problems an array, never null.
func (r CheckResult) MarshalJSON() ([]byte, error) {
	type plain CheckResult
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	return json.Marshal(plain(r))
}
