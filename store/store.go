package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sync/atomic"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the version of the case layout this code writes.
// Version 2 adds posting chunks (store/codec chunk.go); version 3 delta-encodes
// the posting lists of the batches it writes (store/codec list.go), marking each
// batch. Version 4 seals event blocks, posting lists and chunks, batch
// entries and the records that reach output with a checksum (codec
// seal.go, records.go). It reads older cases as they are (their values
// without a checksum, their batches' fixed postings) and marks them
// version 4 when opened for writing, noting that they hold values without
// a checksum. Version 5 compresses event blocks with zstd (codec
// block.go); the blocks of older versions are read as they are.
//
// Version 6 compresses the posting lists and chunks of the batches it
// writes with zstd, each value on its own, and marks each such batch
// (batchZ; codec postz.go); every reader opens posting values through
// openPost. Batches of older versions (fixed, delta, sealed) are read as
// they are; a case of an older version acquired into gets its new
// batches in the new form. Version 6 also stores events without their
// index terms (codec TermlessBlockMagic): the terms are computed again
// from the event when they are needed (SetEventTerms,
// StoredEvent.IndexTerms), and the derived-data check compares them with
// the postings. Blocks of older versions keep their terms and are read
// as they are: a case acquired into after the upgrade holds both. And it
// writes duplicate keys in a shorter form (dedupkey.go).
//
// Version 7 stores a VPC flow or ELB record whose line gives it back as
// the line and the little it does not say (event version 4, timeline
// codec_line.go), not with every normalised value beside it; an older
// trailcase could not read such an event. Nothing else changes: events
// of older versions are read as they are.
//
// Version 8 stores a block of many small events (VPC flow and ELB
// records) in frames of a few dozen events each, compressed on their own
// (codec FramedBlockMagic, frames.go), so that a query reading one event
// decompresses its frame and not the whole block, and a block of
// CloudTrail records grouped by event name in frames of about 32 KiB
// (codec GroupedBlockMagic, grouped.go; EventRecord.Group), so that a
// query for an event name reads the frames its records share. Blocks of
// older versions are read as they are.
//
// Version 9 stores posting chunks in frames of about 4 KiB of entries
// each, with the first term of each frame in front (codec
// ChunkFramesMagic, chunkframes.go), so that looking a term up in a
// chunk decompresses one frame and not the whole chunk, in every batch
// of the case. Chunks of older versions are read as they are.
const SchemaVersion = 9

// Errors a caller may branch on.
var (
	ErrLocked    = errors.New("case is in use by another process")
	ErrNotCase   = errors.New("not a trailcase case file")
	ErrNewer     = errors.New("case was written by a newer trailcase")
	ErrExists    = errors.New("case file already exists")
	ErrNoCase    = errors.New("case file does not exist")
	ErrNotFound  = errors.New("not found")
	ErrCorrupted = errors.New("case store is corrupted")
	// ErrReadOnlyFile: the case file's mode lets nobody write it. A
	// writer refuses it even when the system would let it write (as
	// root): the mode is how an examiner protects a case.
	ErrReadOnlyFile = errors.New("case file is read-only")
)

// Bucket names. Everything lives in top-level buckets created at open.
var (
	bMeta         = []byte("meta")       // schema, case info, run state
	bItems        = []byte("items")      // item id -> Item JSON
	bItemSrc      = []byte("item_src")   // source URI 0 sha256 -> item id
	bBlobs        = []byte("blobs")      // blob id, chunk no -> bytes
	bPending      = []byte("pending")    // blob id -> nil while a blob is being written
	bSidecars     = []byte("sidecars")   // item id -> sidecar bytes (custody data)
	bCustody      = []byte("custody")    // seq -> CustodyEntry JSON
	bEvents       = []byte("events")     // item id, first record no -> block of events (with their terms before schema 6)
	bEvPost       = []byte("ev_post")    // batch, term -> sorted postings (time, item, record)
	bEvBatches    = []byte("ev_batches") // batch -> min time, max time, count
	bEvDedup      = []byte("ev_dedup")   // time, dedup key -> event key + content hash
	bChecks       = []byte("checks")     // name 0 time -> Check JSON
	bKeys         = []byte("keys")       // fingerprint -> PublicKey JSON
	bS3Buckets    = []byte("s3_buckets") // bucket name -> Bucket JSON
	allBuckets    = [][]byte{bMeta, bItems, bItemSrc, bBlobs, bPending, bSidecars, bCustody, bEvents, bEvPost, bEvBatches, bEvDedup, bChecks, bKeys, bS3Buckets}
	kSchema       = []byte("schema")
	kCase         = []byte("case")
	kOpenRun      = []byte("open_run")
	kMagic        = []byte("magic")
	kCustodyCount = []byte("custody_count") // entries in the custody log
	kCustodyHead  = []byte("custody_head")  // hash of the newest entry
	magic         = []byte("trailcase case file")
	// defaultWait bounds the wait for the file lock. A command starts in
	// about 0.2 s, so a second writer hears that the case is in use well
	// within a second.
	defaultWait = 500 * time.Millisecond
)

// Options control Open.
type Options struct {
	ReadOnly bool
	// Timeout bounds the wait for the file lock; zero means half a second.
	Timeout time.Duration
}

// Store is an open case file.
type Store struct {
	db       boltDB // guarded: see safe.go
	path     string
	readOnly bool
	// strict: every value that carries a checksum in this schema must
	// have one (a case created at schema 4 or later).
	strict bool
	// unreleased counts bytes read through the memory map since mapped
	// pages were last released, across all blob readers: many small
	// files add up as one large one does.
	unreleased atomic.Int64
	// lookups counts the event blocks queries looked up since mapped
	// pages were last released (fetch.go).
	lookups atomic.Int64
	dedup   dedupClaim // the writer whose duplicate-key filter is valid
	// longDedup: the duplicate-key bucket may hold keys of the form
	// written before schema 6 (dedupkey.go).
	longDedup atomic.Bool
	signer    CustodySigner // signs appended custody entries; nil: unsigned
	posts     *postCache    // decompressed posting values queries read
	kept      keptEvents    // events reads keep for the next (Remember)
}

// Path returns the case file's path.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the case was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Create makes a new case file at path. It refuses to touch an existing file.
func Create(path string, info evidence.CaseInfo) (*Store, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create case %q: %w", path, ErrExists)
		}
		return nil, fmt.Errorf("create case %q: %w", path, err)
	}
	f.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: defaultWait})
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("create case %q: %w", path, err)
	}
	info.Schema = SchemaVersion
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		if err := m.Put(kMagic, magic); err != nil {
			return err
		}
		if err := m.Put(kSchema, u64(SchemaVersion)); err != nil {
			return err
		}
		if err := putCustodyHead(tx, 0, evidence.SHA256{}); err != nil {
			return err
		}
		return putJSON(m, kCase, info)
	})
	if err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create case %q: %w", path, err)
	}
	return &Store{db: newBoltDB(db), path: path, strict: true, posts: newPostCache(postCacheBytes)}, nil
}

// Open opens an existing case file. A writer that finds the file locked by
// another process gets ErrLocked after opts.Timeout. A writable open
// removes the remains of an interrupted blob write.
func Open(path string, opts Options) (*Store, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open case %q: %w", path, ErrNoCase)
		}
		return nil, fmt.Errorf("open case %q: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("open case %q: is a directory: %w", path, ErrNotCase)
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("open case %q: empty file: %w", path, ErrNotCase)
	}
	if !opts.ReadOnly && st.Mode().Perm()&0o222 == 0 {
		return nil, fmt.Errorf("open case %q: %w (mode %s): make it writable (chmod u+w) to write to it", path, ErrReadOnlyFile, st.Mode().Perm())
	}
	if err := checkFileSize(path, !opts.ReadOnly); err != nil {
		return nil, fmt.Errorf("open case %q: %w", path, err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = defaultWait
	}
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, readOnly: opts.ReadOnly, posts: newPostCache(postCacheBytes)}
	if err := s.prepare(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open case %q: %w", path, err)
	}
	return s, nil
}

// prepare checks what Open opened and, for a writer, brings it up to date:
// a writable open refuses a damaged case before writing anything, removes
// the remains of an interrupted blob write and of an interrupted rebuild's
// derived data, and records the custody head of a case written before it
// was kept.
func (s *Store) prepare() error {
	if err := s.checkSchema(); err != nil {
		return err
	}
	if s.readOnly {
		return nil
	}
	for _, step := range []func() error{s.checkBeforeWrite, s.upgradeSchema, s.dropPendingBlobs, s.dropTrash, s.recordCustodyHead} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func openBolt(path string, opts Options) (db boltDB, err error) {
	// bbolt panics (or faults) on some malformed files; a case file that
	// is not a case must get an error, never a crash. The freelist is read
	// here, guarded, also for a reader.
	var bdb *bolt.DB
	err = guarded(nil, func() error {
		bdb, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly, PreLoadFreelist: true})
		return err
	})
	var d *DamageError
	switch {
	case err == nil:
		return newBoltDB(bdb), nil
	case errors.As(err, &d):
		return db, fmt.Errorf("open case %q: %w", path, err)
	case errors.Is(err, berrors.ErrTimeout):
		return db, fmt.Errorf("open case %q: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return db, fmt.Errorf("open case %q: %w (%v)", path, ErrNotCase, err)
	default:
		return db, fmt.Errorf("open case %q: %w", path, err)
	}
}

func (s *Store) checkSchema() error {
	return s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil || !bytes.Equal(m.Get(kMagic), magic) {
			return ErrNotCase
		}
		v := m.Get(kSchema)
		if len(v) != 8 {
			return ErrNotCase
		}
		n := binary.BigEndian.Uint64(v)
		if n > SchemaVersion {
			return fmt.Errorf("%w: schema %d, this trailcase reads up to %d; upgrade trailcase", ErrNewer, n, SchemaVersion)
		}
		s.strict = n >= 4 && m.Get(kUnsealed) == nil
		s.longDedup.Store(n < 6 || m.Get(kLongDedup) != nil)
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: bucket %q missing", ErrCorrupted, name)
			}
		}
		return nil
	})
}

// upgradeSchema marks an older case as of this version before anything is
// written in this version's layout (which reads the older one as is). A
// case from before schema 4 keeps its values without a checksum, and is
// marked as holding some (kUnsealed): values written from now on are
// sealed, and verify counts those that are not.
func (s *Store) upgradeSchema() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		v := m.Get(kSchema)
		if len(v) != 8 || binary.BigEndian.Uint64(v) >= SchemaVersion {
			return nil
		}
		if old := binary.BigEndian.Uint64(v); old < 4 && m.Get(kUnsealed) == nil {
			if err := m.Put(kUnsealed, u64(old)); err != nil {
				return err
			}
		}
		if old := binary.BigEndian.Uint64(v); old < 6 && m.Get(kLongDedup) == nil {
			if err := m.Put(kLongDedup, u64(old)); err != nil {
				return err
			}
		}
		return m.Put(kSchema, u64(SchemaVersion))
	})
}

// Close closes the case file. A writer first gives back the room at the
// end of the file that bbolt allocated ahead (up to 16 MiB, its AllocSize)
// and did not use: nothing past the last page in use is read, and the
// next writer grows the file again as it needs.
func (s *Store) Close() error {
	if !s.readOnly && s.db.broken.Load() == nil {
		s.trimTail()
	}
	return s.db.Close()
}

// trimTail truncates the case file to its last page in use. It runs in
// a write transaction it then rolls back (writing nothing), so no writer
// of this process grows the file meanwhile, and while this process holds
// the case's lock, so no other process has it open. A failure leaves the
// file as it was: only room is lost.
func (s *Store) trimTail() {
	s.db.Update(func(tx *bolt.Tx) error {
		used := tx.Size()
		f, err := os.OpenFile(s.path, os.O_WRONLY, 0)
		if err != nil {
			return errTrimmed
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && used > 0 && fi.Size() > used {
			f.Truncate(used)
		}
		return errTrimmed
	})
}

// errTrimmed rolls back trimTail's transaction.
var errTrimmed = errors.New("trimmed")

// Info returns the case description.
func (s *Store) Info() (evidence.CaseInfo, error) {
	var info evidence.CaseInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.getJSON(bMeta, kCase, tx.Bucket(bMeta).Get(kCase), &info)
	})
	return info, err
}

// Stat returns the case file's size in bytes.
func (s *Store) Stat() (size int64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	return size, err
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// timeKey encodes t as 8 big-endian bytes that sort in time order, also
// before 1970. The zero time (an event without a time) sorts first; times
// outside what nanoseconds since 1970 can hold (before 1678, after 2261)
// are clamped to the ends of the range.
func timeKey(t time.Time) []byte {
	if t.IsZero() {
		return u64(0)
	}
	n := t.UnixNano()
	switch {
	case t.Before(minKeyTime):
		n = minKeyTime.UnixNano()
	case t.After(maxKeyTime):
		n = maxKeyTime.UnixNano()
	}
	return u64(uint64(n) ^ (1 << 63))
}

var (
	minKeyTime = time.Unix(0, math.MinInt64+1).UTC()
	maxKeyTime = time.Unix(0, math.MaxInt64).UTC()
)

func keyTime(b []byte) time.Time {
	v := binary.BigEndian.Uint64(b)
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(v^(1<<63))).UTC()
}

// ---- items ----

// Item returns the item with the given id.
func (s *Store) Item(id uint64) (evidence.Item, error) {
	var it evidence.Item
	err := s.db.View(func(tx *bolt.Tx) error {
		k := u64(id)
		v := tx.Bucket(bItems).Get(k)
		if v == nil {
			return fmt.Errorf("item %d: %w", id, ErrNotFound)
		}
		return s.getJSON(bItems, k, v, &it)
	})
	return it, err
}

// Items calls fn for every item in id order. fn must not write to the store.
func (s *Store) Items(fn func(evidence.Item) error) error {
	return eachJSON(s, bItems, fn)
}

// AllItems returns every item in id order.
func (s *Store) AllItems() ([]evidence.Item, error) {
	var out []evidence.Item
	err := s.Items(func(it evidence.Item) error { out = append(out, it); return nil })
	return out, err
}

// FindItem returns the id of the item holding exactly sum from source, or 0.
func (s *Store) FindItem(source string, sum evidence.SHA256) (uint64, error) {
	var id uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		k := srcKey(source, sum)
		if v := tx.Bucket(bItemSrc).Get(k); v != nil {
			p, err := s.itemSrc(k, v)
			id = p
			return err
		}
		return nil
	})
	return id, err
}

// ItemsFromSource returns the items acquired from source, any content.
func (s *Store) ItemsFromSource(source string) ([]evidence.Item, error) {
	var out []evidence.Item
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(source), 0)
		c := tx.Bucket(bItemSrc).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) != len(prefix)+32 {
				continue
			}
			id, err := s.itemSrc(k, v)
			if err != nil {
				return err
			}
			var it evidence.Item
			if raw := tx.Bucket(bItems).Get(u64(id)); raw != nil {
				if err := s.getJSON(bItems, u64(id), raw, &it); err != nil {
					return err
				}
				out = append(out, it)
			}
		}
		return nil
	})
	return out, err
}

// itemSrc returns the item id of a source index entry.
func (s *Store) itemSrc(k, v []byte) (uint64, error) {
	p, err := s.openRecord(bItemSrc, k, v)
	if err == nil && len(p) != 8 {
		err = fmt.Errorf("%s: %w: malformed", recordName(bItemSrc, k), ErrCorrupted)
	}
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(p), nil
}

func srcKey(source string, sum evidence.SHA256) []byte {
	k := make([]byte, 0, len(source)+1+32)
	k = append(k, source...)
	k = append(k, 0)
	return append(k, sum[:]...)
}

// UpdateItem rewrites an existing item's record (parse state, warnings,
// flags). Identity fields (source, size, hash, blob) must not change.
func (s *Store) UpdateItem(it evidence.Item) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bItems)
		old := b.Get(u64(it.ID))
		if old == nil {
			return fmt.Errorf("item %d: %w", it.ID, ErrNotFound)
		}
		var prev evidence.Item
		if err := s.getJSON(bItems, u64(it.ID), old, &prev); err != nil {
			return err
		}
		if prev.SHA256 != it.SHA256 || prev.Size != it.Size || prev.Blob != it.Blob || prev.Source != it.Source {
			return fmt.Errorf("item %d: identity fields may not change", it.ID)
		}
		return putJSON(b, u64(it.ID), it)
	})
}

// Sidecar returns the stored bytes of item id's sidecar, or nil.
func (s *Store) Sidecar(id uint64) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bSidecars).Get(u64(id)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// ---- blobs ----

// ChunkSize is the size of one stored piece of evidence bytes.
const ChunkSize = 1 << 20

func chunkKey(blob uint64, n uint32) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, blob)
	binary.BigEndian.PutUint32(k[8:], n)
	return k
}

// releaseEvery is how many chunks' worth of blob bytes are read between
// releases of mapped pages.
const releaseEvery = 64

// OpenBlob returns a reader over the stored bytes of an item. Each chunk
// is copied out in its own read transaction, so the reader may be held
// while the store is written.
func (s *Store) OpenBlob(it evidence.Item) io.Reader {
	return &blobReader{s: s, blob: it.Blob, size: it.Size}
}

type blobReader struct {
	s     *Store
	blob  uint64
	size  int64
	read  int64
	chunk uint32
	buf   []byte
	err   error
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.read >= r.size {
			return 0, io.EOF
		}
		r.err = r.s.db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(bBlobs).Get(chunkKey(r.blob, r.chunk))
			if v == nil {
				return fmt.Errorf("blob %d chunk %d: %w: missing", r.blob, r.chunk, ErrCorrupted)
			}
			r.buf = append(r.buf[:0], v...)
			return nil
		})
		if r.err == nil && len(r.buf) == 0 {
			r.err = fmt.Errorf("blob %d chunk %d: %w: empty", r.blob, r.chunk, ErrCorrupted)
		}
		r.chunk++
		// A read maps at least the 64 KiB the kernel faults in around it.
		if r.s.unreleased.Add(int64(max(len(r.buf), 64<<10))) >= releaseEvery*ChunkSize {
			r.s.unreleased.Store(0)
			r.s.releaseMapped()
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.read += int64(n)
	if r.read > r.size {
		return n, fmt.Errorf("blob %d: %w: longer than its item's size %d", r.blob, ErrCorrupted, r.size)
	}
	return n, nil
}

func (s *Store) dropPendingBlobs() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		p := tx.Bucket(bPending)
		var ids [][]byte
		_ = p.ForEach(func(k, _ []byte) error { ids = append(ids, bytes.Clone(k)); return nil })
		for _, id := range ids {
			if err := deleteChunks(tx, binary.BigEndian.Uint64(id)); err != nil {
				return err
			}
			if err := p.Delete(id); err != nil {
				return err
			}
		}
		return nil
	})
}

func deleteChunks(tx *bolt.Tx, blob uint64) error {
	c := tx.Bucket(bBlobs).Cursor()
	prefix := u64(blob)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// ---- checks, keys, buckets ----

// PutCheck stores the result of a check run.
func (s *Store) PutCheck(c CheckRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := append([]byte(c.Name), 0)
		k = append(k, timeKey(c.Time)...)
		return putJSON(tx.Bucket(bChecks), k, c)
	})
}

// LatestCheck returns the newest stored result of the named check.
func (s *Store) LatestCheck(name string) (CheckRecord, bool, error) {
	var c CheckRecord
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(name), 0)
		cur := tx.Bucket(bChecks).Cursor()
		var lastK, last []byte
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			lastK, last = k, v
		}
		if last == nil {
			return nil
		}
		found = true
		return s.getJSON(bChecks, lastK, last, &c)
	})
	return c, found, err
}

// PutKeys stores public keys, replacing any with the same fingerprint.
func (s *Store) PutKeys(keys []evidence.PublicKey) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, k := range keys {
			if err := putJSON(tx.Bucket(bKeys), []byte(k.Fingerprint), k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Keys returns the stored public keys.
func (s *Store) Keys() ([]evidence.PublicKey, error) {
	var out []evidence.PublicKey
	err := eachJSON(s, bKeys, func(k evidence.PublicKey) error { out = append(out, k); return nil })
	return out, err
}

// PutBucket stores the captured state of an S3 bucket.
func (s *Store) PutBucket(b evidence.Bucket) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bS3Buckets), []byte(b.Name), b)
	})
}

// Buckets returns the captured S3 bucket states.
func (s *Store) Buckets() ([]evidence.Bucket, error) {
	var out []evidence.Bucket
	err := eachJSON(s, bS3Buckets, func(b evidence.Bucket) error { out = append(out, b); return nil })
	return out, err
}
