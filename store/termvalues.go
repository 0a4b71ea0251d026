package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// termPostings returns the postings of term in batch b: its own key's
// value, or its entry in the chunk that would hold it.
func termPostings(pc *postCache, pb *bolt.Bucket, b batchInfo, term string) ([]byte, error) {
	own := codec.PostKey(b.id, term)
	if v := pb.Get(own); v != nil {
		return openPost(pc, b, own, v)
	}
	want := codec.ChunkKey(b.id, term)
	c := pb.Cursor()
	k, v := c.Seek(want)
	if k == nil || !bytes.Equal(k, want) {
		k, v = c.Prev()
	}
	if !isChunkKey(k) || !bytes.Equal(k[:8], want[:8]) {
		return nil, nil
	}
	tb := []byte(term) // once: a chunk holds hundreds of terms
	v, err := openChunkPart(pc, b, k, v, tb, false)
	if err != nil {
		return nil, err
	}
	var found []byte
	ok := codec.ReadChunk(v, b.delta, func(t, ps []byte) bool {
		switch c := bytes.Compare(t, tb); {
		case c == 0:
			found = ps
			return false
		case c > 0:
			return false
		}
		return true
	})
	if !ok && b.sealed {
		return nil, fmt.Errorf("%s: %w: malformed", postName(k), ErrCorrupted)
	}
	return found, nil
}

// TermValues calls fn, in term order, for each distinct term starting
// with prefix (e.g. "ip:"), with the number of events under it. It reads
// the prefix's range in every batch.
func (s *Store) TermValues(prefix string, fn func(term string, count int) error) error {
	return s.termValues(prefix, 0, fn)
}

// TermValuesUpTo is TermValues reading no further once it has found
// limit distinct terms: fn then gets limit or more of them, in term
// order, with counts that may be partial, and which terms they are
// depends on where the batches' ranges fall. For hints that must not
// read a large index whole.
func (s *Store) TermValuesUpTo(prefix string, limit int, fn func(term string, count int) error) error {
	return s.termValues(prefix, max(limit, 1), fn)
}

// errEnough stops a term scan that has found as many terms as asked.
var errEnough = errors.New("enough terms")

// termValues is TermValues stopping after limit distinct terms (0: none).
func (s *Store) termValues(prefix string, limit int, fn func(term string, count int) error) error {
	counts := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvPost).Cursor()
		return tx.Bucket(bEvBatches).ForEach(func(bk, bv []byte) error {
			b, err := parseBatch(bk, bv, s.strict)
			if err != nil {
				return err
			}
			return scanPrefix(s.posts, c, b, prefix, func(t, list []byte) error {
				l, ok := codec.ParseList(list, b.delta)
				switch {
				case !ok && b.sealed:
					return fmt.Errorf("index list of batch %d for term %q: %w: malformed", b.id, t, ErrCorrupted)
				case ok && string(t) != allTerm:
					counts[string(t)] += l.Len()
				}
				if limit > 0 && len(counts) >= limit {
					return errEnough
				}
				return nil
			})
		})
	})
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	terms := make([]string, 0, len(counts))
	for t := range counts {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	for _, t := range terms {
		if err := fn(t, counts[t]); err != nil {
			return err
		}
	}
	return nil
}

// scanPrefix calls fn with each term of batch b starting with prefix and
// its posting list as stored (checked, not parsed): first the terms with
// a key of their own, then those in chunks, each group in term order. It
// reads the prefix's key range once, through c; list is valid only in
// c's transaction.
func scanPrefix(pc *postCache, c *bolt.Cursor, b batchInfo, prefix string, fn func(term, list []byte) error) error {
	bk := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(prefix)), b.id)
	seek := append(bk, prefix...)
	for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, v = c.Next() {
		if isChunkKey(k) {
			continue // a chunk: below
		}
		v, err := openPost(pc, b, k, v)
		if err != nil {
			return err
		}
		if err := fn(k[8:], v); err != nil {
			return err
		}
	}
	// Chunks: start at the last one whose first term sorts at or before
	// the prefix; stop at one that starts past the terms with the prefix.
	cseek := append(append(binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(prefix)), b.id), 0), prefix...)
	k, v := c.Seek(cseek)
	if k == nil || !bytes.Equal(k, cseek) {
		if pk, pv := c.Prev(); len(pk) > 8 && bytes.Equal(pk[:9], cseek[:9]) {
			k, v = pk, pv
		} else {
			k, v = c.Seek(cseek)
		}
	}
	for ; len(k) > 8 && bytes.Equal(k[:9], cseek[:9]); k, v = c.Next() {
		if first := string(k[9:]); first > prefix && !strings.HasPrefix(first, prefix) {
			break
		}
		v, err := openChunkPart(pc, b, k, v, []byte(prefix), true)
		if err != nil {
			return err
		}
		var ferr error
		ok := codec.ReadChunk(v, b.delta, func(t, list []byte) bool {
			if bytes.HasPrefix(t, []byte(prefix)) {
				ferr = fn(t, list)
			}
			return ferr == nil
		})
		if ferr != nil {
			return ferr
		}
		if !ok && b.sealed {
			return fmt.Errorf("%s: %w: malformed", postName(k), ErrCorrupted)
		}
	}
	return nil
}

// EventCount returns the number of stored events.
func (s *Store) EventCount() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kEventsTotal); len(v) == 8 {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}
