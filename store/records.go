package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// Records whose content reaches output (items, their source index, checks,
// keys, S3 bucket states, the case description) are sealed with a
// checksum of key and value (codec.SealRecord) and checked on every read.
// Custody entries are not: they are hash-chained, and the chain is
// checked instead. Evidence bytes and sidecars are checked against the
// SHA-256 their item records.

// kUnsealed, in meta, marks a case written before schema 4 and opened for
// writing since: it holds values without a checksum, written by the
// schema it names, beside the sealed values written since.
var kUnsealed = []byte("unsealed_from_schema")

// putRecord stores payload sealed under k.
func putRecord(b *bolt.Bucket, k, payload []byte) error {
	return b.Put(k, codec.SealRecord(k, payload))
}

// putJSON stores v as a sealed JSON record.
func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return putRecord(b, k, raw)
}

// openRecord returns the payload of a record of bucket read under k: it
// fails for a record that does not match its checksum, and for one
// without a checksum in a case that only holds sealed values.
func (s *Store) openRecord(bucket, k, v []byte) ([]byte, error) {
	p, sealed, err := codec.OpenRecord(k, v)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w: %w", recordName(bucket, k), ErrCorrupted, err)
	case !sealed && s.strict:
		return nil, fmt.Errorf("%s: %w: no checksum", recordName(bucket, k), ErrCorrupted)
	}
	return p, nil
}

// getJSON decodes the JSON record of bucket read under k into out.
func (s *Store) getJSON(bucket, k, v []byte, out any) error {
	p, err := s.openRecord(bucket, k, v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, out); err != nil {
		return fmt.Errorf("%s: %w: %v", recordName(bucket, k), ErrCorrupted, err)
	}
	return nil
}

// eachJSON decodes every JSON record of bucket in key order and calls fn
// with it, inside one read transaction.
func eachJSON[T any](s *Store, bucket []byte, fn func(T) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var x T
			if err := s.getJSON(bucket, k, v, &x); err != nil {
				return err
			}
			return fn(x)
		})
	})
}

// recordName names a record in an error: its bucket and key.
func recordName(bucket, k []byte) string {
	switch string(bucket) {
	case string(bItems), string(bEvBatches):
		if len(k) == 8 {
			what := "item"
			if string(bucket) == string(bEvBatches) {
				what = "index batch"
			}
			return what + " " + strconv.FormatUint(binary.BigEndian.Uint64(k), 10)
		}
	case string(bMeta):
		return "case record " + strconv.Quote(string(k))
	}
	return fmt.Sprintf("%s record %q", bucket, k)
}
