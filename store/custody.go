package store

import (
	"encoding/binary"
	"encoding/json"
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
		e, err = appendCustody(tx, e)
		return err
	})
	return e, err
}

func appendCustody(tx *bolt.Tx, e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
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
	e.Hash = e.ComputeHash()
	return e, putJSON(b, u64(e.Seq), e)
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

// CheckCustody walks the whole custody log and returns every break in the
// chain: an entry whose hash does not match its content, a link to a
// previous entry that does not match, a gap or a record that cannot be
// read. It never stops at the first problem.
func (s *Store) CheckCustody() (entries int, problems []CustodyProblem, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		var prev evidence.SHA256
		var want uint64 = 1
		return tx.Bucket(bCustody).ForEach(func(k, v []byte) error {
			entries++
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				problems = append(problems, CustodyProblem{seq, fmt.Sprintf("entry %d follows entry %d: the log has a gap", seq, want-1)})
			}
			want = seq + 1
			var e evidence.CustodyEntry
			if err := json.Unmarshal(v, &e); err != nil {
				problems = append(problems, CustodyProblem{seq, "entry cannot be decoded: " + err.Error()})
				prev = evidence.SHA256{}
				return nil
			}
			if e.Seq != seq {
				problems = append(problems, CustodyProblem{seq, fmt.Sprintf("entry stored under %d says it is %d", seq, e.Seq)})
			}
			if got := e.ComputeHash(); got != e.Hash {
				problems = append(problems, CustodyProblem{seq, fmt.Sprintf("entry content does not match its hash (recorded %s, computed %s)", e.Hash, got)})
			}
			if e.Prev != prev {
				problems = append(problems, CustodyProblem{seq, fmt.Sprintf("link to previous entry broken (recorded %s, previous entry hash %s)", e.Prev, prev)})
			}
			prev = e.Hash
			return nil
		})
	})
	return entries, problems, err
}

// BeginRun appends a "started" custody entry for a command that stores
// evidence, and marks the run open until EndRun. Items stored during the
// run carry the returned sequence number. If the process dies before
// EndRun, the next writable open records the interruption.
func (s *Store) BeginRun(e evidence.CustodyEntry) (evidence.CustodyEntry, error) {
	e.Result = evidence.ResultStarted
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		e, err = appendCustody(tx, e)
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
		e, err = appendCustody(tx, e)
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
		err := tx.Bucket(bItems).ForEach(func(_, raw []byte) error {
			var it evidence.Item
			if json.Unmarshal(raw, &it) == nil && it.Custody == seq {
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
		e, err = appendCustody(tx, e)
		if err != nil {
			return err
		}
		ok = true
		return tx.Bucket(bMeta).Delete(kOpenRun)
	})
	return e, ok, err
}
