package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// Writer batches writes into few large transactions: evidence chunks,
// items, sidecars and events are buffered and committed together when the
// buffer passes a size threshold or on Flush. Only one Writer may be used
// at a time per Store, from one goroutine.
//
// Consistency: an item record and its source index entry are committed
// only after every chunk of its blob is committed. Chunks committed before
// their item are marked pending; if the process dies, the next writable
// Open deletes them, so the case is as it was before that file.
type Writer struct {
	s         *Store
	ops       []op
	size      int
	limit     int
	nextBlob  uint64
	nextItem  uint64
	counterOK bool
	stats     map[uint64]*EventStats
	postIdx   map[string]int // term -> index in postLists, for the batch being flushed
	postLists [][]codec.Posting
	pend      *BlockBuilder // the block PutEvent is building
	flushes   int           // number of Flush calls that committed
	same      func(stored, incoming []byte) bool
	chunk     []byte // reusable chunk buffer
	// filter answers "certainly new" for duplicate keys while this writer
	// is the only one that put any (dedupfilter.go).
	filter      *codec.KeyFilter
	filterTried bool
}

type op struct {
	kind   byte // 'p' put, 'd' delete, 'k' event block, 'x' delete events of item, 'b' delete blob, 'f' write postings
	bucket []byte
	key    []byte
	val    []byte
	blk    *EventBlock
}

var (
	kNextBlob = []byte("next_blob")
	kNextItem = []byte("next_item")
)

// DefaultBatchBytes is how much a Writer buffers before it commits.
const DefaultBatchBytes = 32 << 20

// NewWriter returns a Writer committing about every limit bytes (0 means
// DefaultBatchBytes).
func (s *Store) NewWriter(limit int) *Writer {
	if limit <= 0 {
		limit = DefaultBatchBytes
	}
	return &Writer{s: s, limit: limit, stats: map[uint64]*EventStats{}}
}

func (w *Writer) loadCounters() error {
	if w.counterOK {
		return nil
	}
	err := w.s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		w.nextBlob, w.nextItem = 1, 1
		if v := m.Get(kNextBlob); len(v) == 8 {
			w.nextBlob = binary.BigEndian.Uint64(v)
		}
		if v := m.Get(kNextItem); len(v) == 8 {
			w.nextItem = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	w.counterOK = err == nil
	return err
}

func (w *Writer) add(o op) error {
	w.ops = append(w.ops, o)
	w.size += len(o.key) + len(o.val) + 64
	if o.blk != nil {
		w.size += o.blk.opSize()
	}
	if w.size >= w.limit {
		return w.Flush()
	}
	return nil
}

// Flushes is the number of Flush calls so far: items put before a call
// that returned without error are committed once it has grown.
func (w *Writer) Flushes() int { return w.flushes }

// SetSameContent sets the test for two events that share a dedup key but
// not a content hash: when it reports them the same, the second is a
// duplicate. Without it, they are a conflict and both are kept.
func (w *Writer) SetSameContent(f func(stored, incoming []byte) bool) { w.same = f }

// Flush commits everything buffered.
func (w *Writer) Flush() error {
	if w.pend != nil { // the block PutEvent is building goes too
		if b := w.pend.Finish(); b != nil {
			w.ops = append(w.ops, op{kind: 'k', blk: b})
		}
		w.pend = nil
	}
	if len(w.ops) == 0 {
		return nil
	}
	w.ops = append(w.ops, op{kind: 'f'}) // postings of this batch go last
	err := w.s.db.Update(func(tx *bolt.Tx) error {
		w.postIdx, w.postLists = map[string]int{}, nil
		for _, o := range w.ops {
			var err error
			switch o.kind {
			case 'p':
				b := tx.Bucket(o.bucket)
				if bytes.Equal(o.bucket, bBlobs) || bytes.Equal(o.bucket, bEvents) {
					b.FillPercent = 0.95
				}
				err = b.Put(o.key, o.val)
			case 'd':
				err = tx.Bucket(o.bucket).Delete(o.key)
			case 'k':
				err = w.putBlock(tx, o.blk)
			case 'f':
				err = w.writePostings(tx)
			case 'x':
				err = w.s.deleteItemEvents(tx, binary.BigEndian.Uint64(o.key))
			case 'b':
				if err = deleteChunks(tx, binary.BigEndian.Uint64(o.key)); err == nil {
					err = tx.Bucket(bPending).Delete(o.key)
				}
			}
			if err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		if w.counterOK {
			if err := m.Put(kNextBlob, u64(w.nextBlob)); err != nil {
				return err
			}
			if err := m.Put(kNextItem, u64(w.nextItem)); err != nil {
				return err
			}
		}
		return nil
	})
	clear(w.ops) // drop references to flushed events
	w.ops = w.ops[:0]
	w.size = 0
	w.flushes++
	if err != nil {
		return fmt.Errorf("write case %q: %w", w.s.path, err)
	}
	return nil
}

// BlobWriter streams the bytes of one evidence file into the case.
type BlobWriter struct {
	w  *Writer
	id uint64
	// ops, size and flushes as they were when the blob started: a blob
	// abandoned before any flush is dropped by truncating the buffer.
	startOps, startSize, flushes int
	chunk                        uint32
	buf                          []byte
	n                            int64
}

// NewBlob starts a new blob.
func (w *Writer) NewBlob() (*BlobWriter, error) {
	if err := w.loadCounters(); err != nil {
		return nil, err
	}
	id := w.nextBlob
	w.nextBlob++
	b := &BlobWriter{w: w, id: id, startOps: len(w.ops), startSize: w.size, flushes: w.flushes}
	if err := w.add(op{kind: 'p', bucket: bPending, key: u64(id), val: []byte{}}); err != nil {
		return nil, err
	}
	if w.flushes != b.flushes { // the marker itself filled the batch
		b.startOps, b.startSize, b.flushes = 0, 0, w.flushes
	}
	b.buf = w.chunkBuf()
	return b, nil
}

// chunkBuf returns a buffer for one chunk.
func (w *Writer) chunkBuf() []byte {
	if w.chunk == nil {
		w.chunk = make([]byte, 0, ChunkSize)
	}
	return w.chunk[:0]
}

// ID returns the blob's id, to be set as Item.Blob.
func (b *BlobWriter) ID() uint64 { return b.id }

// Size returns the number of bytes written so far.
func (b *BlobWriter) Size() int64 { return b.n }

// Write buffers p, emitting full chunks.
func (b *BlobWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		n := copy(b.buf[len(b.buf):cap(b.buf)], p)
		b.buf = b.buf[:len(b.buf)+n]
		p = p[n:]
		b.n += int64(n)
		if len(b.buf) == cap(b.buf) {
			if err := b.emit(); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

func (b *BlobWriter) emit() error {
	if len(b.buf) == 0 {
		return nil
	}
	v := bytes.Clone(b.buf)
	b.buf = b.buf[:0]
	k := chunkKey(b.id, b.chunk)
	b.chunk++
	return b.w.add(op{kind: 'p', bucket: bBlobs, key: k, val: v})
}

// Close emits the last chunk. The blob is kept only if an item naming it
// is added with PutItem.
func (b *BlobWriter) Close() error { return b.emit() }

// Abandon drops the blob: its buffered chunks are discarded and any
// committed ones deleted at the next flush.
func (b *BlobWriter) Abandon() error {
	b.buf = b.buf[:0]
	if b.w.flushes == b.flushes && len(b.w.ops) >= b.startOps {
		// Nothing of this blob is committed: forget its buffered writes.
		b.w.ops = b.w.ops[:b.startOps]
		b.w.size = b.startSize
		return nil
	}
	// Chunks may already be committed under the pending marker.
	return b.w.add(op{kind: 'b', key: u64(b.id)})
}

// PutItem buffers a new item whose blob has been written and closed. It
// assigns and returns the item id.
func (w *Writer) PutItem(it evidence.Item, sidecar []byte) (uint64, error) {
	if err := w.loadCounters(); err != nil {
		return 0, err
	}
	it.ID = w.nextItem
	w.nextItem++
	raw, err := json.Marshal(it)
	if err != nil {
		return 0, err
	}
	k := u64(it.ID)
	if err := w.add(op{kind: 'p', bucket: bItems, key: k, val: codec.SealRecord(k, raw)}); err != nil {
		return 0, err
	}
	sk := srcKey(it.Source, it.SHA256)
	if err := w.add(op{kind: 'p', bucket: bItemSrc, key: sk, val: codec.SealRecord(sk, k)}); err != nil {
		return 0, err
	}
	if sidecar != nil {
		if err := w.add(op{kind: 'p', bucket: bSidecars, key: u64(it.ID), val: bytes.Clone(sidecar)}); err != nil {
			return 0, err
		}
	}
	if err := w.add(op{kind: 'd', bucket: bPending, key: u64(it.Blob)}); err != nil {
		return 0, err
	}
	return it.ID, nil
}

// UpdateItem buffers a rewrite of an item's record (after parsing).
func (w *Writer) UpdateItem(it evidence.Item) error {
	raw, err := json.Marshal(it)
	if err != nil {
		return err
	}
	k := u64(it.ID)
	return w.add(op{kind: 'p', bucket: bItems, key: k, val: codec.SealRecord(k, raw)})
}
