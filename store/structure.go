package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// bbolt's file layout, as far as the size check needs it: two meta pages
// (page 0 and page 1), each a 16-byte page header followed by the meta
// record. The record ends with an FNV-64a checksum of what precedes it.
// bbolt writes these fields in the machine's byte order.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	metaSize         = 64 // magic .. checksum
	metaChecksumAt   = 56
	metaPageSizeAt   = 8
	metaHighWaterAt  = 40 // pgid: the first page past the end of the data
	metaTxidAt       = 48
	metaFreelistAt   = 32 // pgid of the freelist page
	metaRootAt       = 16 // pgid of the root bucket
	freelistFlag     = 0x10
	branchFlag       = 0x01
	leafFlag         = 0x02
	minPageSize      = 512
	maxPageSize      = 1 << 16
	errTruncatedHint = "the file is shorter than its own header says: it was cut short (an incomplete copy or a full disk); restore it from a complete copy"
)

// fileMeta is what a valid bbolt meta page says about the file.
type fileMeta struct {
	pageSize  int64
	highWater int64 // pages
	txid      uint64
	freelist  uint64 // page id, or all ones when the file keeps none
	root      uint64 // page id of the root bucket
}

// readMeta reads and validates the meta page at off, or returns ok=false.
func readMeta(f io.ReaderAt, off int64) (m fileMeta, ok bool) {
	buf := make([]byte, pageHeaderSize+metaSize)
	if _, err := f.ReadAt(buf, off); err != nil {
		return m, false
	}
	rec := buf[pageHeaderSize:]
	ne := binary.NativeEndian
	h := fnv.New64a()
	h.Write(rec[:metaChecksumAt])
	if ne.Uint32(rec) != boltMagic || ne.Uint32(rec[4:]) != boltVersion || ne.Uint64(rec[metaChecksumAt:]) != h.Sum64() {
		return m, false
	}
	m = fileMeta{pageSize: int64(ne.Uint32(rec[metaPageSizeAt:])), highWater: int64(ne.Uint64(rec[metaHighWaterAt:])),
		txid: ne.Uint64(rec[metaTxidAt:]), freelist: ne.Uint64(rec[metaFreelistAt:]), root: ne.Uint64(rec[metaRootAt:])}
	return m, m.pageSize >= minPageSize && m.pageSize <= maxPageSize && m.pageSize&(m.pageSize-1) == 0
}

// checkFileSize refuses a file bbolt would map past its end: shorter than
// its newest valid meta page says, or not a whole number of pages. Reading
// such a mapping faults. It runs before bbolt opens the file.
func checkFileSize(path string, writable bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	m, err := newestMeta(f)
	if err != nil {
		return err
	}
	if want := m.highWater * m.pageSize; size < want {
		return fmt.Errorf("%w: truncated: %d bytes, its header needs %d; %s", ErrDamaged, size, want, errTruncatedHint)
	}
	if size%m.pageSize != 0 {
		return fmt.Errorf("%w: truncated: %d bytes is not a whole number of %d-byte pages; %s", ErrDamaged, size, m.pageSize, errTruncatedHint)
	}
	if writable {
		return checkFreelist(f, m)
	}
	return nil
}

// newestMeta returns the newer of the file's valid meta pages, as bbolt
// chooses it.
func newestMeta(f io.ReaderAt) (fileMeta, error) {
	m0, ok0 := readMeta(f, 0)
	var m1 fileMeta
	ok1 := false
	if ok0 {
		m1, ok1 = readMeta(f, m0.pageSize)
	} else {
		// The first meta page is unreadable: look for the second one at
		// every possible page size, as bbolt does.
		for ps := int64(minPageSize); ps <= maxPageSize && !ok1; ps *= 2 {
			if m1, ok1 = readMeta(f, ps); ok1 && m1.pageSize != ps {
				ok1 = false
			}
		}
	}
	switch {
	case !ok0 && !ok1:
		return fileMeta{}, ErrNotCase
	case !ok0 || (ok1 && m1.txid > m0.txid):
		return m1, nil
	}
	return m0, nil
}

// checkFreelist refuses a freelist page whose header does not fit it: bbolt
// loads the freelist when it opens a file for writing, trusting the page's
// element count, and a damaged count makes it allocate and sort billions
// of page ids. Read-only opens never load it.
func checkFreelist(f io.ReaderAt, m fileMeta) error {
	if m.freelist == ^uint64(0) {
		return nil
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: the free-page list (page %d) %s; 'trailcase verify' names what still reads", ErrDamaged, m.freelist, why)
	}
	if int64(m.freelist) < 2 || int64(m.freelist) >= m.highWater {
		return bad("lies outside the file")
	}
	buf := make([]byte, pageHeaderSize+8)
	if _, err := f.ReadAt(buf, int64(m.freelist)*m.pageSize); err != nil {
		return bad("cannot be read")
	}
	ne := binary.NativeEndian
	id, flags, count, overflow := ne.Uint64(buf), ne.Uint16(buf[8:]), uint64(ne.Uint16(buf[10:])), int64(ne.Uint32(buf[12:]))
	if count == 0xFFFF { // the real count is the first element
		count = ne.Uint64(buf[pageHeaderSize:]) + 1
	}
	switch {
	case id != m.freelist || flags != freelistFlag:
		return bad("is not a free-page list")
	case int64(m.freelist)+overflow >= m.highWater:
		return bad("runs past the end of the data")
	case count > uint64((overflow+1)*m.pageSize-pageHeaderSize)/8:
		return bad(fmt.Sprintf("claims %d entries, more than its %d page(s) hold", count, overflow+1))
	}
	return nil
}

// CheckStructure checks the case file's page structure and returns one
// finding per problem; err is only for failing to run at all (or ctx).
// It first reads every page of every bucket itself, guarded, so a damaged
// page becomes a finding naming the bucket; only when that walk is clean
// does it run bbolt's own consistency check (bolt.Tx.Check: reachability,
// double-freed pages, key order), which runs on a goroutine of its own
// that no guard covers: the walk has by then touched every page it reads.
//
// verify calls it in place of running tx.Check itself. It reads every
// branch and leaf page of the file (not the evidence bytes): about 3 s for
// a 2.3 GB case in the page cache, which is why a writable open runs only
// checkBeforeWrite.
func (s *Store) CheckStructure(ctx context.Context) ([]string, error) {
	// bbolt's own check reads pages on a goroutine of its own; releasing the
	// mapped pages as it goes keeps memory from growing with the case.
	defer s.releaseWhile()()
	w := structureWalk{s: s, ctx: ctx}
	err := s.db.View(func(tx *bolt.Tx) error {
		w.tx = tx
		w.where = "(pages)"
		if err := w.pages(); err != nil || len(w.findings) > 0 {
			return err
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			nest := 0
			if bytes.Equal(name, bTrash) {
				nest = 2
			}
			return w.bucket(string(name), b, nest)
		})
	})
	var d *DamageError
	switch {
	case errors.As(err, &d):
		return append(w.findings, fmt.Sprintf("bucket %q: %s", w.where, d.Detail)), nil
	case err != nil:
		return w.findings, err
	case len(w.findings) > 0:
		return w.findings, nil
	}
	// bbolt's check reads a page-cached case at several GB/s on a goroutine
	// of its own: release often enough to keep up.
	stop := s.releaseEvery(2 * time.Millisecond)
	err = s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			w.findings = append(w.findings, err.Error())
		}
		return ctx.Err()
	})
	stop()
	if errors.As(err, &d) {
		return append(w.findings, d.Detail), nil
	}
	return w.findings, err
}

type structureWalk struct {
	s        *Store
	ctx      context.Context
	tx       *bolt.Tx
	where    string // the bucket being read
	keys     int
	touched  int // bytes of keys and values read since the last release
	findings []string
}

// pages reads the header of every page in use, in file order, and checks
// that it is a page bbolt could have written: a known type, elements and
// overflow pages that stay within the file. bbolt's own check trusts
// these (an overflow count of four billion is a loop of four billion).
func (w *structureWalk) pages() error {
	info := w.s.db.Info()
	released := 0
	for id := 2; ; id++ {
		p, err := w.tx.Page(id)
		if err != nil || p == nil {
			return err
		}
		if p.Type == "free" {
			continue
		}
		end := int64(id) + int64(p.OverflowCount)
		switch {
		case p.Type != "branch" && p.Type != "leaf" && p.Type != "freelist":
			w.findings = append(w.findings, fmt.Sprintf("page %d: not a page in use (type %s) and not free", id, p.Type))
		case end*int64(info.PageSize) >= w.tx.Size():
			w.findings = append(w.findings, fmt.Sprintf("page %d: its %d overflow pages run past the end of the file", id, p.OverflowCount))
		case p.Type != "freelist" && pageHeaderSize+16*int64(p.Count) > (1+int64(p.OverflowCount))*int64(info.PageSize):
			w.findings = append(w.findings, fmt.Sprintf("page %d: %d elements do not fit in it", id, p.Count))
		default:
			if p.Type == "freelist" {
				id = int(end)
				break
			}
			if bad := w.elements(id, p.Type == "branch", p.Count, p.OverflowCount); bad >= 0 {
				w.findings = append(w.findings, fmt.Sprintf("page %d: element %d points outside the page", id, bad))
			}
			id = int(end)
		}
		if id%(64<<10) == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		// Each header read maps the pages around it: release them every
		// 64 MiB of the file.
		if int64(id-released)*int64(info.PageSize) >= 64<<20 {
			w.s.releaseMappedTx(w.tx)
			released = id
		}
	}
}

// elements returns the first element of a branch or leaf page whose key
// (or value) lies outside the page, or -1. It reads the page in place, in
// bbolt's layout: 16-byte element headers after the page header, each
// giving its key's position relative to itself; bbolt's check would
// follow them unguarded.
func (w *structureWalk) elements(id int, branch bool, count, overflow int) int {
	info := w.s.db.Info()
	size := (1 + overflow) * info.PageSize
	page := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), info.Data+uintptr(id*info.PageSize))), size)
	ne := binary.NativeEndian
	for i := range count {
		at := pageHeaderSize + 16*i
		e := page[at : at+16]
		var end uint64
		if branch { // pos, ksize, pgid
			end = uint64(at) + uint64(ne.Uint32(e)) + uint64(ne.Uint32(e[4:]))
		} else { // flags, pos, ksize, vsize
			end = uint64(at) + uint64(ne.Uint32(e[4:])) + uint64(ne.Uint32(e[8:])) + uint64(ne.Uint32(e[12:]))
		}
		if end > uint64(size) {
			return i
		}
	}
	return -1
}

// bucket reads every key of b and its nested buckets in order, touching
// each key, and releases mapped pages as it goes. nest is how many levels
// of buckets b may hold below it: a case keeps nested buckets only in
// bTrash (set aside by a rebuild: bTrash / set / bucket). An element
// marked as a bucket anywhere else is damage, reported and not opened: a
// value read as a bucket that starts with eight zero bytes is an inline
// bucket to bbolt, whose page its cursor would follow unchecked.
func (w *structureWalk) bucket(name string, b *bolt.Bucket, nest int) error {
	var prev []byte
	c := b.Cursor()
	w.where = name
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			w.findings = append(w.findings, fmt.Sprintf("bucket %q: keys out of order at %x", name, k))
		}
		prev = k
		if v == nil && nest == 0 {
			w.findings = append(w.findings, fmt.Sprintf("bucket %q: key %x is marked as a bucket, which this bucket never holds (a damaged element)", name, k))
		} else if v == nil {
			if nb := b.Bucket(k); nb != nil {
				if err := w.bucket(fmt.Sprintf("%s/%x", name, k), nb, nest-1); err != nil {
					return err
				}
				w.where = name
			}
		}
		// Walking a bucket of evidence chunks maps their pages: release
		// them every 64 MiB as well as every 64 Ki keys.
		w.touched += len(k) + len(v)
		if w.keys++; w.keys%(64<<10) == 0 || w.touched >= 64<<20 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
			w.s.releaseMappedTx(w.tx)
			w.touched = 0
		}
	}
	return nil
}

// checkBeforeWrite is the structural check a writable open runs: cheap,
// so that opening a large case stays quick. The meta pages and the
// freelist were validated by checkFileSize; here every top-level bucket's
// first and last leaf are reached from its root by reading the pages
// themselves, with a bound on the depth: bbolt's own cursor loops forever
// on branch pages that point back up the tree. The full walk is
// CheckStructure's, in verify.
func (s *Store) checkBeforeWrite() error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := newestMeta(f)
	if err != nil {
		return err
	}
	if err := descendEdges(f, m.pageSize, m.root, m.highWater); err != nil {
		return err
	}
	var roots []uint64
	return s.db.View(func(tx *bolt.Tx) error {
		names := append(slices.Clip(allBuckets), bTrash) // bTrash only while a rebuild drops it
		for _, name := range names {
			if b := tx.Bucket(name); b != nil && b.Root() != 0 {
				roots = append(roots, uint64(b.Root()))
			}
		}
		for _, r := range roots {
			if err := descendEdges(f, m.pageSize, r, m.highWater); err != nil {
				return err
			}
		}
		return nil
	})
}

// maxTreeDepth bounds a B+tree descent: a case's trees are a handful of
// levels deep; more means a loop.
const maxTreeDepth = 64

// descendEdges follows the first and the last child from root down to the
// leaves, reading each page from the file, and fails on a page that is not
// a sound branch or leaf, a child outside the file, or a path longer than
// any real tree.
func descendEdges(f io.ReaderAt, pageSize int64, root uint64, highWater int64) error {
	for _, last := range []bool{false, true} {
		id := root
		for depth := 0; ; depth++ {
			bad := func(why string) error {
				return fmt.Errorf("%w: page %d %s", ErrDamaged, id, why)
			}
			if depth >= maxTreeDepth {
				return bad("leads into a loop of pages")
			}
			if int64(id) < 2 || int64(id) >= highWater {
				return bad("lies outside the file")
			}
			hdr := make([]byte, pageHeaderSize)
			if _, err := f.ReadAt(hdr, int64(id)*pageSize); err != nil {
				return bad("cannot be read")
			}
			ne := binary.NativeEndian
			flags, count, overflow := ne.Uint16(hdr[8:]), int64(ne.Uint16(hdr[10:])), int64(ne.Uint32(hdr[12:]))
			switch {
			case ne.Uint64(hdr) != id:
				return bad("says it is another page")
			case flags != branchFlag && flags != leafFlag:
				return bad(fmt.Sprintf("has unexpected type %#x", flags))
			case int64(id)+overflow >= highWater:
				return bad("runs past the end of the data")
			case pageHeaderSize+16*count > (overflow+1)*pageSize:
				return bad(fmt.Sprintf("claims %d elements, more than it holds", count))
			}
			if flags == leafFlag || count == 0 {
				break
			}
			i := int64(0)
			if last {
				i = count - 1
			}
			el := make([]byte, 16)
			if _, err := f.ReadAt(el, int64(id)*pageSize+pageHeaderSize+16*i); err != nil {
				return bad("cannot be read")
			}
			id = ne.Uint64(el[8:])
		}
	}
	return nil
}
