package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// Events are stored once, under their provenance key (item, record), and
// found through posting lists. Every Writer flush is one batch; for each
// index term seen in the batch, one value keyed (batch, term) holds the
// time-sorted postings of the batch's events under that term. Keys of a
// flush all sort after every earlier key, so a flush only appends at the
// right edge of the tree, whatever the terms; a query for one term does
// one lookup per batch, never a scan of the case. Terms with few postings
// share chunk values instead (codec.ChunkKey). How lists, chunks and
// blocks are encoded is package codec's; this file writes a flush's
// postings and removes an item's, merge.go reads ranges back, fetch.go
// their events, termvalues.go counts terms.

// allTerm is the term every event is posted under, for time-ordered
// reading of the whole case.
const allTerm = "\x01all"

var (
	kNextBatch   = []byte("next_batch")
	kEventsTotal = []byte("events_total")
)

// batchInfo is a batch's entry: its id, time range, count and encoding.
type batchInfo struct {
	id       uint64
	min, max uint64
	count    uint64 // events posted under allTerm
	delta    bool   // posting lists delta-encoded (else fixed)
	sealed   bool   // posting values carry a checksum (codec.AppendSum)
	z        bool   // posting values zstd-compressed (codec.CompressPost)
}

// After a batch's time range and count, batchDelta marks its posting
// lists delta-encoded (batches written by schema 2 lack it), batchSealed
// delta-encoded and sealed: schema 4 writes the entry itself as a sealed
// record and every posting list and chunk of the batch with a checksum.
// batchZ (schema 6) marks them delta-encoded, compressed and sealed.
const (
	batchDelta  = 1
	batchSealed = 2
	batchZ      = 3
)

// writeDelta is false only in tests, to write batches as schema 2 did;
// writeZ false writes them as schema 4 and 5 did, writeChunkFrames false
// their chunks as schema 6 to 8 did.
var (
	writeDelta       = true
	writeZ           = true
	writeChunkFrames = true
)

// isChunkKey reports whether k is the key of a chunk (codec.ChunkKey).
func isChunkKey(k []byte) bool { return len(k) > 8 && k[8] == 0 }

// openChunkPart returns the entries of the chunk of batch b stored under
// k that may hold term, or, with prefix set, every term starting with it:
// in a framed chunk (codec.CompressChunk) the frames that may hold them,
// else the whole chunk, through openPost. The value's checksum is checked
// first either way; decompressed frames are kept in pc, each under the
// chunk's key and its place, for the same stored frame.
func openChunkPart(pc *postCache, b batchInfo, k, v []byte, term []byte, prefix bool) ([]byte, error) {
	if !b.z || !b.sealed || len(v) == 0 || v[0] != codec.ChunkFramesMagic {
		return openPost(pc, b, k, v)
	}
	p, err := codec.CheckSum(k, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", postName(k), ErrCorrupted, err)
	}
	c, err := codec.ReadChunkFrames(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", postName(k), ErrCorrupted, err)
	}
	from, to := c.For(term)
	if prefix {
		from, to = c.From(term)
	}
	var out []byte
	fk := append(bytes.Clone(k), 0, 0, 0, 0)
	for i := from; i < to; i++ {
		binary.BigEndian.PutUint32(fk[len(k):], uint32(i))
		plain, ok := pc.get(fk, c.Stored(i))
		if !ok {
			if plain, err = c.Decompress(nil, i, i+1); err != nil {
				return nil, fmt.Errorf("%s: %w: does not decompress: %w", postName(k), ErrCorrupted, err)
			}
			pc.put(fk, c.Stored(i), plain)
		}
		if to-from == 1 {
			return plain, nil
		}
		out = append(out, plain...)
	}
	return out, nil
}

// batchesIn returns the batches whose time range meets [from, to); zero
// times mean unbounded. strict refuses an entry without a checksum.
func batchesIn(tx *bolt.Tx, from, to time.Time, strict bool) ([]batchInfo, error) {
	lo, hi := timeBounds(from, to)
	var out []batchInfo
	err := tx.Bucket(bEvBatches).ForEach(func(k, v []byte) error {
		b, err := parseBatch(k, v, strict)
		if err != nil {
			return err
		}
		if b.max >= lo && b.min < hi {
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// parseBatch reads a batch's entry.
func parseBatch(k, v []byte, strict bool) (batchInfo, error) {
	p, sealed, err := codec.OpenRecord(k, v)
	switch {
	case len(k) != 8:
		return batchInfo{}, fmt.Errorf("index batch key %x: %w: malformed", k, ErrCorrupted)
	case err != nil:
		return batchInfo{}, fmt.Errorf("%s: %w: %w", recordName(bEvBatches, k), ErrCorrupted, err)
	case !sealed && strict:
		return batchInfo{}, fmt.Errorf("%s: %w: no checksum", recordName(bEvBatches, k), ErrCorrupted)
	case len(p) < 24 || (sealed && (len(p) != 25 || (p[24] != batchSealed && p[24] != batchZ))):
		return batchInfo{}, fmt.Errorf("%s: %w: malformed", recordName(bEvBatches, k), ErrCorrupted)
	}
	b := batchInfo{id: binary.BigEndian.Uint64(k), min: binary.BigEndian.Uint64(p), max: binary.BigEndian.Uint64(p[8:]), count: binary.BigEndian.Uint64(p[16:])}
	b.sealed = sealed
	b.delta = len(p) > 24 && (p[24] == batchDelta || p[24] == batchSealed || p[24] == batchZ)
	b.z = sealed && p[24] == batchZ
	return b, nil
}

// openPost returns a posting list or chunk of batch b stored under k as
// encoded (see codec.List, codec.ReadChunk): checked against its
// checksum in a sealed batch, decompressed in a compressed one. Every
// reader of posting values goes through it. The value returned is only
// read, never changed: it may be the store's memory (valid in the
// transaction) or shared through pc (nil: none), which keeps values
// decompressed for reads that come back to them.
func openPost(pc *postCache, b batchInfo, k, v []byte) ([]byte, error) {
	if v == nil || !b.sealed {
		return v, nil
	}
	if b.z {
		if p, ok := pc.get(k, v); ok {
			return p, nil
		}
	}
	p, err := codec.CheckSum(k, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", postName(k), ErrCorrupted, err)
	}
	if !b.z {
		return p, nil
	}
	plain, err := codec.DecompressPost(nil, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: does not decompress: %w", postName(k), ErrCorrupted, err)
	}
	pc.put(k, v, plain)
	return plain, nil
}

// postName names a posting list or chunk: its batch and term.
func postName(k []byte) string {
	if len(k) < 8 {
		return fmt.Sprintf("index key %x", k)
	}
	batch := binary.BigEndian.Uint64(k)
	if isChunkKey(k) {
		return fmt.Sprintf("index chunk of batch %d from term %q", batch, k[9:])
	}
	return fmt.Sprintf("index list of batch %d for term %q", batch, k[8:])
}

// putPost stores an encoded posting list or chunk of batch b in b's
// form: compressed and sealed as b says.
func putPost(pb *bolt.Bucket, b batchInfo, k, v []byte) error {
	switch {
	case b.z && writeChunkFrames && isChunkKey(k):
		var err error
		if v, err = codec.CompressChunk(make([]byte, 0, len(v)/2+codec.SumSize), v); err != nil {
			return fmt.Errorf("%s: %w", postName(k), err)
		}
	case b.z:
		v = codec.CompressPost(make([]byte, 0, len(v)/2+codec.SumSize), v)
	}
	if b.sealed {
		v = codec.AppendSum(k, v)
	}
	return pb.Put(k, v)
}

// timeBounds returns the time keys of [from, to); zero times mean
// unbounded.
func timeBounds(from, to time.Time) (uint64, uint64) {
	var lo, hi uint64 = 0, ^uint64(0)
	if !from.IsZero() {
		lo = binary.BigEndian.Uint64(timeKey(from))
	}
	if !to.IsZero() {
		hi = binary.BigEndian.Uint64(timeKey(to))
	}
	return lo, hi
}

// writePostings writes the postings gathered in this flush as one batch.
func (w *Writer) writePostings(tx *bolt.Tx) error {
	if len(w.postLists) == 0 {
		return nil
	}
	all := w.postLists[w.postIdx[allTerm]]
	m := tx.Bucket(bMeta)
	batch := uint64(1)
	if v := m.Get(kNextBatch); len(v) == 8 {
		batch = binary.BigEndian.Uint64(v)
	}
	type termList struct {
		term string
		i    int
	}
	terms := make([]termList, 0, len(w.postIdx))
	for t, i := range w.postIdx {
		terms = append(terms, termList{t, i})
	}
	slices.SortFunc(terms, func(a, b termList) int { return strings.Compare(a.term, b.term) })
	pb := tx.Bucket(bEvPost)
	pb.FillPercent = 1.0
	bi := batchInfo{id: batch, delta: writeDelta, sealed: writeDelta, z: writeDelta && writeZ}
	// Terms with few postings share chunk values; the others (and the
	// time order of the whole batch) get a key of their own. Chunk keys
	// sort before the batch's term keys, so both are put in key order.
	var chunk []byte
	chunkFirst := ""
	putChunk := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := putPost(pb, bi, codec.ChunkKey(batch, chunkFirst), chunk)
		chunk = nil
		return err
	}
	var own []termList
	var scratch []byte
	for _, tl := range terms {
		t, ps := tl.term, w.postLists[tl.i]
		if !slices.IsSortedFunc(ps, codec.ComparePostings) {
			slices.SortFunc(ps, codec.ComparePostings)
		}
		if t == allTerm || len(ps) >= codec.ChunkMaxPostings {
			own = append(own, tl)
			continue
		}
		if len(chunk) == 0 {
			chunkFirst = t
			chunk = make([]byte, 0, codec.ChunkBytes+4096)
		}
		chunk, scratch = codec.AppendChunkEntry(chunk, scratch, t, ps, writeDelta)
		if len(chunk) >= codec.ChunkBytes {
			if err := putChunk(); err != nil {
				return err
			}
		}
	}
	if err := putChunk(); err != nil {
		return err
	}
	for _, tl := range own {
		ps := w.postLists[tl.i]
		if err := putPost(pb, bi, codec.PostKey(batch, tl.term), codec.AppendList(make([]byte, 0, 16+len(ps)*6+codec.SumSize), ps, writeDelta)); err != nil {
			return err
		}
	}
	info := make([]byte, 0, 25)
	info = binary.BigEndian.AppendUint64(info, all[0].T)
	info = binary.BigEndian.AppendUint64(info, all[len(all)-1].T)
	info = binary.BigEndian.AppendUint64(info, uint64(len(all)))
	var err error
	if writeDelta {
		form := byte(batchSealed)
		if bi.z {
			form = batchZ
		}
		info = append(info, form)
		err = putRecord(tx.Bucket(bEvBatches), u64(batch), info)
	} else {
		err = tx.Bucket(bEvBatches).Put(u64(batch), info)
	}
	if err != nil {
		return err
	}
	if err := m.Put(kNextBatch, u64(batch+1)); err != nil {
		return err
	}
	w.postIdx, w.postLists = nil, nil
	return addTotal(m, int64(len(all)))
}

func addTotal(m *bolt.Bucket, d int64) error {
	var n int64
	if v := m.Get(kEventsTotal); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	return m.Put(kEventsTotal, u64(uint64(max(0, n+d))))
}

func (s *Store) deleteItemEvents(tx *bolt.Tx, item uint64) error {
	strict := s.strict
	prefix := u64(item)
	c := tx.Bucket(bEvents).Cursor()
	db := tx.Bucket(bEvDedup)
	terms := map[string]bool{allTerm: true}
	var termBuf []string
	everyList := false // some event's terms are unknown: look in every list
	damaged := false   // some block or event does not decode: its events are unknown
	var n int64
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
		entries, err := decodeBlock(k, v, strict)
		damaged = damaged || err != nil
		if err == nil {
			for _, e := range entries {
				h, err := decodeHeader(item, e)
				if err != nil {
					damaged = true
					continue
				}
				if termBuf, err = h.indexTerms(termBuf[:0]); err != nil {
					everyList = true
				}
				for _, t := range termBuf {
					terms[t] = true
				}
				if h.dedupKey != "" {
					t := binary.BigEndian.Uint64(timeKey(h.time))
					dk, dv := s.getDedup(db, dedupKey(t, h.dedupKey), t, h.dedupKey)
					if owner, rec, _, ok := parseDedupValue(dv); ok && owner == item && rec == e.Rec {
						if err := db.Delete(dk); err != nil {
							return err
						}
					}
				}
				n++
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	if damaged {
		// The events of a block that does not decode are deleted with it,
		// their terms and duplicate keys unknown: every list is looked at,
		// every duplicate key naming the item dropped (else its events,
		// stored again, would be taken for duplicates of themselves), and
		// the total lowered by the item's time postings.
		everyList = true
		if err := dropItemDedup(db, item); err != nil {
			return err
		}
	} else if n == 0 {
		return nil
	}
	// Drop the item's postings from every batch.
	pb := tx.Bucket(bEvPost)
	batches, err := batchesIn(tx, time.Time{}, time.Time{}, strict)
	if err != nil {
		return err
	}
	var timePostings int64 // of the item, dropped
	for _, b := range batches {
		lists := terms
		if everyList {
			lists = batchLists(pb, b.id)
		}
		for t := range lists {
			k := codec.PostKey(b.id, t)
			v, err := openPost(nil, b, k, pb.Get(k))
			if err != nil {
				return err
			}
			l, ok := codec.ParseList(v, b.delta)
			if !ok || l.Len() == 0 {
				continue
			}
			ps, _ := l.All()
			kept := slices.DeleteFunc(ps, func(p codec.Posting) bool { return p.Item == item })
			if len(kept) == l.Len() {
				continue
			}
			if t == allTerm {
				timePostings += int64(l.Len() - len(kept))
			}
			if len(kept) == 0 {
				err = pb.Delete(k)
			} else {
				err = putPost(pb, b, k, codec.AppendList(nil, kept, b.delta))
			}
			if err != nil {
				return err
			}
		}
		if err := dropFromChunks(pb, b, item); err != nil {
			return err
		}
	}
	if damaged {
		n = max(n, timePostings)
	}
	return addTotal(tx.Bucket(bMeta), -n)
}

// dropItemDedup deletes every duplicate key that names an event of item.
func dropItemDedup(db *bolt.Bucket, item uint64) error {
	var keys [][]byte
	c := db.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if owner, _, _, ok := parseDedupValue(v); ok && owner == item {
			keys = append(keys, bytes.Clone(k))
		}
	}
	for _, k := range keys {
		if err := db.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// dropFromChunks removes an item's postings from a batch's chunks.
func dropFromChunks(pb *bolt.Bucket, b batchInfo, item uint64) error {
	delta := b.delta
	prefix := codec.ChunkKey(b.id, "")
	type rewrite struct{ k, v []byte }
	var rw []rewrite
	c := pb.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		v, err := openPost(nil, b, k, v)
		if err != nil {
			return err
		}
		out := make([]byte, 0, len(v))
		var scratch []byte
		changed := false
		codec.ReadChunk(v, delta, func(t, raw []byte) bool {
			l, ok := codec.ParseList(raw, delta)
			if !ok {
				out = codec.AppendChunkRaw(out, string(t), raw, delta) // kept as found
				return true
			}
			ps, _ := l.All()
			keep := slices.DeleteFunc(ps, func(p codec.Posting) bool { return p.Item == item })
			if len(keep) != l.Len() {
				changed = true
			}
			if len(keep) > 0 {
				out, scratch = codec.AppendChunkEntry(out, scratch, string(t), keep, delta)
			}
			return true
		})
		if changed {
			rw = append(rw, rewrite{bytes.Clone(k), out})
		}
	}
	for _, r := range rw {
		var err error
		if len(r.v) == 0 {
			err = pb.Delete(r.k)
		} else {
			err = putPost(pb, b, r.k, r.v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
