package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// checkPages runs bbolt's own page-level consistency check.
func (s *Store) checkPages(ctx context.Context, res *CheckResult) (damaged bool, err error) {
	problems, err := s.CheckStructure(ctx)
	for _, p := range problems {
		res.add(ProblemStore, 0, "", p)
	}
	return len(problems) > 0, err
}

// checkOrphans finds chunks no item in blobs owns (pending ones become
// notices) and events of items that are not in the case.
func (s *Store) checkOrphans(res *CheckResult, blobs map[uint64]bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		s.orphanChunks(tx, res, blobs)
		orphanEvents(tx, res)
		return nil
	})
}

func (s *Store) orphanChunks(tx *bolt.Tx, res *CheckResult, blobs map[uint64]bool) {
	orphans := map[uint64]int{}
	c := tx.Bucket(bBlobs).Cursor()
	var spanned int // bytes of chunks stepped over since the last release
	for k, v := c.First(); k != nil; k, v = c.Next() {
		// Stepping from chunk to chunk maps pages around each one's key:
		// release them every 64 MiB of chunks, as reading them does.
		if spanned += len(v); spanned >= releaseEvery*ChunkSize {
			s.releaseMappedTx(tx)
			spanned = 0
		}
		if len(k) != 12 {
			res.add(ProblemStore, 0, "", fmt.Sprintf("malformed chunk key %x", k))
			continue
		}
		if b := binary.BigEndian.Uint64(k); !blobs[b] {
			orphans[b]++
		}
	}
	for b, n := range orphans {
		if tx.Bucket(bPending).Get(u64(b)) != nil {
			// Marked pending: the file being written when an acquisition
			// stopped. No item names these bytes; the next writable open
			// removes them.
			res.Notices = append(res.Notices, fmt.Sprintf("blob %d: %d chunk(s) left by an interrupted acquisition; no item uses them, the next writable open removes them", b, n))
			continue
		}
		res.add(ProblemOrphan, 0, "", fmt.Sprintf("blob %d: %d chunk(s) that no evidence item owns", b, n))
	}
}

func orphanEvents(tx *bolt.Tx, res *CheckResult) {
	ec := tx.Bucket(bEvents).Cursor()
	items := tx.Bucket(bItems)
	var lastItem []byte
	for k, _ := ec.First(); k != nil; k, _ = ec.Next() {
		if len(k) != 16 {
			res.add(ProblemStore, 0, "", fmt.Sprintf("malformed event key %x", k))
			continue
		}
		if lastItem != nil && bytes.Equal(lastItem, k[:8]) {
			continue
		}
		lastItem = bytes.Clone(k[:8])
		if items.Get(k[:8]) == nil {
			res.add(ProblemOrphan, binary.BigEndian.Uint64(k[:8]), "", "events of an item that is not in the case")
		}
	}
}
