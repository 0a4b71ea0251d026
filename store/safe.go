package store

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged means the case file's structure is damaged: bbolt found a page
// that is not what its parent says, or reading the file faulted. The
// evidence it holds may still be partly readable; verify says what is left.
var ErrDamaged = errors.New("case file is damaged")

// DamageError describes where a damaged case failed. It wraps ErrDamaged.
type DamageError struct {
	// Page is the database page that failed, or -1 when not known.
	Page int64
	// Detail is what bbolt (or the memory fault) said.
	Detail string
}

func (e *DamageError) Error() string { return fmt.Sprintf("%v: %s", ErrDamaged, e.Detail) }

// Unwrap makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Unwrap() error { return ErrDamaged }

// boltDB is the store's handle on bbolt. Its View and Update replace
// bbolt's with ones that turn the panics bbolt raises on malformed pages,
// and memory faults on the mapped file, into a *DamageError: every
// transaction in the package goes through them, so a damaged case gives
// errors, never a crash. After a damaged write transaction, the handle
// refuses further writes.
type boltDB struct {
	*bolt.DB
	broken *atomic.Pointer[DamageError]
}

func newBoltDB(db *bolt.DB) boltDB {
	return boltDB{DB: db, broken: new(atomic.Pointer[DamageError])}
}

// View runs fn in a read transaction, guarded.
func (db boltDB) View(fn func(*bolt.Tx) error) error {
	return db.guard(func() error { return db.DB.View(fn) })
}

// Update runs fn in a write transaction, guarded. It refuses to write to
// a case already found damaged in an earlier write.
func (db boltDB) Update(fn func(*bolt.Tx) error) error {
	if d := db.broken.Load(); d != nil {
		return fmt.Errorf("refusing to write: %w", d)
	}
	err := db.guard(func() error { return db.DB.Update(fn) })
	var d *DamageError
	if errors.As(err, &d) {
		db.broken.CompareAndSwap(nil, d)
	}
	return err
}

func (db boltDB) guard(fn func() error) error {
	return guarded(db.DB, fn)
}

// guarded runs fn with memory faults turned into panics for this
// goroutine, and any panic turned into a *DamageError. A panic raised by a
// caller's own callback inside a transaction is reported the same way:
// the store cannot tell it from a bbolt one.
func guarded(db *bolt.DB, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damage(db, r)
		}
	}()
	return fn()
}

// pageInPanic finds the page bbolt names in its panic messages, e.g.
// "page 12 already freed", "Page expected to be: 7, but self identifies as 9".
var pageInPanic = regexp.MustCompile(`[Pp]age (?:expected to be: )?(\d+)`)

func damage(db *bolt.DB, r any) *DamageError {
	d := &DamageError{Page: -1, Detail: strings.TrimPrefix(fmt.Sprint(r), "assertion failed: ")}
	var fault interface{ Addr() uintptr }
	if re, ok := r.(runtime.Error); ok && errors.As(re, &fault) {
		d.Detail = fmt.Sprintf("memory fault at %#x, outside the case file", fault.Addr())
		if db != nil {
			d.Page = faultPage(db, fault.Addr())
		}
		if d.Page >= 0 {
			d.Detail = fmt.Sprintf("memory fault reading page %d of the case file", d.Page)
		}
		return d
	}
	if m := pageInPanic.FindStringSubmatch(d.Detail); m != nil {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			d.Page = n
		}
	}
	return d
}

// faultPage returns the page of the mapped file holding addr, or -1.
func faultPage(db *bolt.DB, addr uintptr) int64 {
	info := db.Info()
	if info == nil || info.PageSize <= 0 {
		return -1
	}
	base := info.Data
	if base == 0 || addr < base {
		return -1
	}
	page := int64((addr - base) / uintptr(info.PageSize))
	if st, err := os.Stat(db.Path()); err != nil || page*int64(info.PageSize) >= st.Size()+1<<30 {
		return -1 // far beyond the file: a wild pointer, not a page
	}
	return page
}
