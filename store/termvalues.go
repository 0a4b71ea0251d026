package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// termPostings returns the postings of term in batch b: its own key's
// value, or its entry in the chunk that would hold it.
func termPostings(pb *bolt.Bucket, b batchInfo, term string) ([]byte, error) {
	if k := codec.PostKey(b.id, term); pb.Get(k) != nil {
		return postValue(b, k, pb.Get(k))
	}
	want := codec.ChunkKey(b.id, term)
	c := pb.Cursor()
	k, v := c.Seek(want)
	if k == nil || !bytes.Equal(k, want) {
		k, v = c.Prev()
	}
	if len(k) < 9 || !bytes.Equal(k[:8], want[:8]) || k[8] != 0 {
		return nil, nil
	}
	v, err := postValue(b, k, v)
	if err != nil {
		return nil, err
	}
	var found []byte
	ok := codec.ReadChunk(v, b.delta, func(t, ps []byte) bool {
		switch c := strings.Compare(string(t), term); {
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
	counts := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvPost).Cursor()
		return tx.Bucket(bEvBatches).ForEach(func(bk, bv []byte) error {
			b, err := parseBatch(bk, bv, s.strict)
			if err != nil {
				return err
			}
			delta := b.delta
			seek := append(bytes.Clone(bk), prefix...)
			for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, v = c.Next() {
				if len(k) > 8 && k[8] == 0 {
					continue // a chunk: below
				}
				t := string(k[8:])
				if v, err = postValue(b, k, v); err != nil {
					return err
				}
				if l, ok := codec.ParseList(v, delta); ok && t != allTerm {
					counts[t] += l.Len()
				}
			}
			// Chunks: start at the last one whose first term sorts at or
			// before the prefix; stop at one that starts past the terms
			// with the prefix.
			cseek := append(append(bytes.Clone(bk), 0), prefix...)
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
				if v, err = postValue(b, k, v); err != nil {
					return err
				}
				codec.ReadChunk(v, delta, func(t, list []byte) bool {
					if l, ok := codec.ParseList(list, delta); ok && bytes.HasPrefix(t, []byte(prefix)) {
						counts[string(t)] += l.Len()
					}
					return true
				})
			}
			return nil
		})
	})
	if err != nil {
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
