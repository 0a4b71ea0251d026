package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// AppendCustody appends e to the custody log, filling in Seq, Prev and
// Hash, and returns the stored entry.
func (s *Store) AppendCustody(e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		e, err = s.appendCustody(tx, e)
		return err
	})
	return e, err
}

func (s *Store) appendCustody(tx *bolt.Tx, e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
	b := tx.Bucket(bCustody)
	k, v := b.Cursor().Last()
	e.Prev = evidence.SHA256{}
	e.Seq = 1
	if k != nil {
		var last evidence.CustodyEntry
		if err := json.Unmarshal(v, &last); err != nil {
			return e, fmt.Errorf("custody entry %d: %w: %v", binary.BigEndian.Uint64(k), ErrCorrupted, err)
		}
		e.Prev = last.Hash
		e.Seq = binary.BigEndian.Uint64(k) + 1
	}
	e.Start, e.End = e.Start.UTC(), e.End.UTC()
	if s.signer != nil {
		var err error
		if e, err = s.signer(e); err != nil {
			return e, fmt.Errorf("sign custody entry %d: %w", e.Seq, err)
		}
	}
	e.Hash = e.ComputeHash()
	if err := putCustodyEntry(b, e); err != nil {
		return e, err
	}
	count, _, ok, err := custodyHead(tx)
	if err != nil || !ok {
		count, _, _, err = custodyTail(tx.Bucket(bCustody))
		count-- // the tail already holds e
	}
	if err != nil {
		return e, err
	}
	return e, putCustodyHead(tx, count+1, e.Hash)
}

// A CustodySigner signs a custody entry about to be appended: it gets the
// entry complete but for its hash, and returns it with its signature.
type CustodySigner func(evidence.CustodyEntry) (evidence.CustodyEntry, error)

// SignCustody makes every custody entry appended to s from now on signed
// by sign (nil: unsigned). The store never sees a key.
func (s *Store) SignCustody(sign CustodySigner) { s.signer = sign }

// putCustodyEntry stores e as plain JSON: custody entries are
// hash-chained, not sealed (records.go).
func putCustodyEntry(b *bolt.Bucket, e evidence.CustodyEntry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put(u64(e.Seq), raw)
}

// ErrNoCustodyHead means the case does not record its custody head: it was
// last written by a trailcase that did not keep one.
var ErrNoCustodyHead = errors.New("custody head not recorded")

// CustodyHead returns the number of entries in the custody log and the
// hash of the newest, as recorded with each appended entry: a log cut
// short afterwards disagrees with them. It returns ErrNoCustodyHead for a
// case last written before the head was kept.
func (s *Store) CustodyHead() (count uint64, head evidence.SHA256, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		var ok bool
		count, head, ok, err = custodyHead(tx)
		if err == nil && !ok {
			err = ErrNoCustodyHead
		}
		return err
	})
	return count, head, err
}

func custodyHead(tx *bolt.Tx) (count uint64, head evidence.SHA256, ok bool, err error) {
	m := tx.Bucket(bMeta)
	c, h := m.Get(kCustodyCount), m.Get(kCustodyHead)
	switch {
	case c == nil && h == nil:
		return 0, head, false, nil
	case len(c) != 8 || len(h) != len(head):
		return 0, head, false, fmt.Errorf("custody head: %w: malformed record", ErrCorrupted)
	}
	copy(head[:], h)
	return binary.BigEndian.Uint64(c), head, true, nil
}

func putCustodyHead(tx *bolt.Tx, count uint64, head evidence.SHA256) error {
	m := tx.Bucket(bMeta)
	if err := m.Put(kCustodyCount, u64(count)); err != nil {
		return err
	}
	return m.Put(kCustodyHead, head[:])
}

// custodyTail counts the entries of the log and returns the newest.
func custodyTail(b *bolt.Bucket) (count uint64, head evidence.SHA256, seq uint64, err error) {
	err = b.ForEach(func(_, _ []byte) error { count++; return nil })
	k, v := b.Cursor().Last()
	if err != nil || k == nil {
		return count, head, 0, err
	}
	var last evidence.CustodyEntry
	if err := json.Unmarshal(v, &last); err != nil {
		return count, head, 0, fmt.Errorf("custody entry %d: %w: %v", binary.BigEndian.Uint64(k), ErrCorrupted, err)
	}
	return count, last.Hash, binary.BigEndian.Uint64(k), nil
}

// recordCustodyHead records the head of a case written before it was
// kept. Writable opens call it.
func (s *Store) recordCustodyHead() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, _, ok, err := custodyHead(tx); ok || err != nil {
			return err
		}
		count, head, _, err := custodyTail(tx.Bucket(bCustody))
		if err != nil {
			return err
		}
		return putCustodyHead(tx, count, head)
	})
}

// Custody calls fn for each custody entry, oldest first.
func (s *Store) Custody(fn func(evidence.CustodyEntry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCustody).ForEach(func(k, v []byte) error {
			var e evidence.CustodyEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("custody entry %d: %w: %v", binary.BigEndian.Uint64(k), ErrCorrupted, err)
			}
			return fn(e)
		})
	})
}

// CustodyProblem is one break in the custody chain.
type CustodyProblem struct {
	Seq    uint64 `json:"seq"`
	Detail string `json:"detail"`
}

// CustodyReport is what CheckCustodyLog found.
type CustodyReport struct {
	Entries  int
	Problems []CustodyProblem
	// Notices are facts about the check that are not problems, e.g. an
	// older case that does not record its custody head.
	Notices []string
}

// CheckCustody walks the whole custody log and returns every break in the
// chain: an entry whose hash does not match its content, a link to a
// previous entry that does not match, a gap, a record that cannot be read,
// or a log whose newest entries were removed (it disagrees with the
// recorded custody head). It never stops at the first problem.
func (s *Store) CheckCustody() (entries int, problems []CustodyProblem, err error) {
	r, err := s.CheckCustodyLog()
	return r.Entries, r.Problems, err
}

// CheckCustodyLog is CheckCustody with its notices.
func (s *Store) CheckCustodyLog() (CustodyReport, error) {
	var r CustodyReport
	err := s.db.View(func(tx *bolt.Tx) error {
		var prev evidence.SHA256
		var want uint64 = 1
		err := tx.Bucket(bCustody).ForEach(func(k, v []byte) error {
			r.Entries++
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				r.Problems = append(r.Problems, CustodyProblem{seq, fmt.Sprintf("entry %d follows entry %d: the log has a gap", seq, want-1)})
			}
			want = seq + 1
			prev = checkCustodyEntry(seq, v, prev, &r.Problems)
			return nil
		})
		if err != nil {
			return err
		}
		return checkCustodyHead(tx, want-1, prev, &r)
	})
	return r, err
}

// checkCustodyEntry checks one stored entry against its key, its own hash
// and the previous entry's hash, and returns its hash.
func checkCustodyEntry(seq uint64, v []byte, prev evidence.SHA256, problems *[]CustodyProblem) evidence.SHA256 {
	var e evidence.CustodyEntry
	if err := json.Unmarshal(v, &e); err != nil {
		*problems = append(*problems, CustodyProblem{seq, "entry cannot be decoded: " + err.Error()})
		return evidence.SHA256{}
	}
	if e.Seq != seq {
		*problems = append(*problems, CustodyProblem{seq, fmt.Sprintf("entry stored under %d says it is %d", seq, e.Seq)})
	}
	if got := e.ComputeHash(); got != e.Hash {
		*problems = append(*problems, CustodyProblem{seq, fmt.Sprintf("entry content does not match its hash (recorded %s, computed %s)", e.Hash, got)})
	}
	if e.Prev != prev {
		*problems = append(*problems, CustodyProblem{seq, fmt.Sprintf("link to previous entry broken (recorded %s, previous entry hash %s)", e.Prev, prev)})
	}
	return e.Hash
}

// checkCustodyHead compares the log's end (newest entry lastSeq, hash
// last) with the head recorded as entries were appended.
func checkCustodyHead(tx *bolt.Tx, lastSeq uint64, last evidence.SHA256, r *CustodyReport) error {
	count, head, ok, err := custodyHead(tx)
	switch {
	case err != nil:
		r.Problems = append(r.Problems, CustodyProblem{lastSeq, err.Error()})
		return nil
	case !ok:
		r.Notices = append(r.Notices, "custody head not recorded (the case was last written by an older trailcase): removal of the newest custody entries cannot be detected until it is next opened for writing")
		return nil
	}
	if count != uint64(r.Entries) {
		r.Problems = append(r.Problems, CustodyProblem{lastSeq, fmt.Sprintf("the log holds %d entries, the case recorded %d: entries were removed outside trailcase", r.Entries, count)})
	}
	if head != last {
		r.Problems = append(r.Problems, CustodyProblem{lastSeq, fmt.Sprintf("the newest entry is not the one the case recorded (newest %s, recorded %s): the log was cut short or its end replaced", last, head)})
	}
	return nil
}

// BeginRun appends a "started" custody entry for a command that stores
// evidence, and marks the run open until EndRun. Items stored during the
// run carry the returned sequence number. If the process dies before
// EndRun, the next writable open records the interruption.
func (s *Store) BeginRun(e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
	e.Result = evidence.ResultStarted
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		e, err = s.appendCustody(tx, e)
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kOpenRun, u64(e.Seq))
	})
	return e, err
}

// EndRun appends the final custody entry of the run begun as seq.
func (s *Store) EndRun(seq uint64, e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if e.Data == nil {
			e.Data, _ = json.Marshal(map[string]uint64{"run": seq})
		}
		e, err = s.appendCustody(tx, e)
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete(kOpenRun)
	})
	return e, err
}

// RecoverRun records, once, that a run begun earlier never finished: it
// appends an "interrupted" entry naming the items that run stored. It
// returns the entry, or ok=false when no run was open.
func (s *Store) RecoverRun(base evidence.CustodyEntry) (e evidence.CustodyEntry, ok bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(kOpenRun)
		if v == nil {
			return nil
		}
		seq := binary.BigEndian.Uint64(v)
		var started evidence.CustodyEntry
		if raw := tx.Bucket(bCustody).Get(u64(seq)); raw != nil {
			_ = json.Unmarshal(raw, &started)
		}
		var items []uint64
		err := tx.Bucket(bItems).ForEach(func(k, raw []byte) error {
			var it evidence.Item
			if s.getJSON(bItems, k, raw, &it) == nil && it.Custody == seq {
				items = append(items, it.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		e = base
		e.Action = started.Action
		e.Args = started.Args
		e.Sources = started.Sources
		e.Items = items
		e.Start = started.Start
		if e.End.IsZero() {
			e.End = time.Now()
		}
		e.Result = evidence.ResultInterrupted
		e.Detail = fmt.Sprintf("run %d did not finish (the process was stopped); %d item(s) it had stored are kept, complete and hashed", seq, len(items))
		e.Data, _ = json.Marshal(map[string]uint64{"run": seq})
		e, err = s.appendCustody(tx, e)
		if err != nil {
			return err
		}
		ok = true
		return tx.Bucket(bMeta).Delete(kOpenRun)
	})
	return e, ok, err
}
