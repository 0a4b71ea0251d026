package store

import (
	"syscall"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped tells the kernel this process no longer needs the pages
// of the case file it has read through bbolt's memory map. They stay in
// the page cache; only this process's resident set shrinks. Long scans
// (verify, blob reads) call it so memory stays bounded by the work in
// hand, not by the size of the case.
func (s *Store) releaseMapped() {
	_ = s.db.View(func(tx *bolt.Tx) error {
		s.releaseMappedTx(tx)
		return nil
	})
}

// releaseMappedTx is releaseMapped within a read transaction, which holds
// bbolt's mmap lock: the mapping cannot move while we advise on it. Slices
// read through tx stay valid: their pages come back from the page cache
// on the next access.
func (s *Store) releaseMappedTx(tx *bolt.Tx) {
	size := tx.Size()
	if size <= 0 {
		return
	}
	info := s.db.Info()
	// info.Data is the address of the mapping, which is not Go memory:
	// reading it as a pointer is safe.
	base := *(*unsafe.Pointer)(unsafe.Pointer(&info.Data))
	b := unsafe.Slice((*byte)(base), size)
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
}
