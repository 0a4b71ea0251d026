package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/trailcase/trailcase/evidence"
	bolt "go.etcd.io/bbolt"
)

// The duplicate-key bucket (ev_dedup) holds, for every event with a dedup
// key (a CloudTrail record's is "cloudtrail:" and its eventID), an entry
// under the event's time and that key naming the event that holds it and
// its content hash.
//
// Up to schema 5 an entry's key was the time key and the dedup key as
// written (55 bytes for an eventID), and its value the item and record (8
// bytes each) and the SHA-256 of the record (32 bytes). Schema 6 writes a
// key whose eventID is a UUID in its usual lowercase form as the time key,
// dedupUUID and the UUID's 16 bytes (25 bytes), and every value as
// uvarint item and record followed by the first 16 bytes of the SHA-256
// (20 bytes or so): a case's duplicate keys take about half the room. The
// item comes first, and is never 0, so that the value never starts with
// eight zero bytes: an element damaged into a nested bucket's would then
// read as an inline bucket whose page is what lies after it. A key
// of any other form is written as before. Entries of both forms are read:
// a value of 48 bytes is of the older form. A case of an older schema
// opened for writing is marked (kLongDedup) as holding keys of the older
// form, and a lookup there that misses the new key tries the older one.
const (
	dedupUUID       = 0xFF // no dedup key starts with it: keys are UTF-8 text
	dedupPrefix     = "cloudtrail:"
	oldDedupValue   = 48 // item, record, SHA-256
	dedupHashPrefix = 16 // bytes of the SHA-256 kept by schema 6
)

// kLongDedup, in meta, marks a case whose duplicate-key bucket may hold
// keys of the form written before schema 6.
var kLongDedup = []byte("dedup_long_keys")

// dedupKey returns the key of the entry for dedup key key at time key t
// as this version writes it.
func dedupKey(t uint64, key string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+max(1+16, len(key))), t)
	id, ok := compactEventID(key)
	if !ok {
		return append(k, key...)
	}
	k = append(k, dedupUUID)
	return append(k, id[:]...)
}

// olderDedupKey returns the key versions before schema 6 wrote for the
// entry this version keys k (dedup key key at time key t), or nil when
// the two are the same.
func olderDedupKey(k []byte, t uint64, key string) []byte {
	if len(k) != 8+1+16 || k[8] != dedupUUID {
		return nil
	}
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(key)), t), key...)
}

// compactEventID returns the 16 bytes of the UUID in a CloudTrail dedup
// key, when it is one in lowercase 8-4-4-4-12 form.
func compactEventID(key string) (id [16]byte, ok bool) {
	if len(key) != len(dedupPrefix)+36 || key[:len(dedupPrefix)] != dedupPrefix {
		return id, false
	}
	u := key[len(dedupPrefix):]
	if u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' {
		return id, false
	}
	var h [32]byte
	n := 0
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			continue
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
			h[n] = c
			n++
		default:
			return id, false // uppercase or not hex: kept as written
		}
	}
	if _, err := hex.Decode(id[:], h[:]); err != nil {
		return id, false
	}
	return id, true
}

// dedupValue returns the value of an entry naming event (item, rec) with
// content hash hash.
func dedupValue(item, rec uint64, hash evidence.SHA256) []byte {
	v := make([]byte, 0, 2*binary.MaxVarintLen64+dedupHashPrefix)
	v = binary.AppendUvarint(v, item)
	v = binary.AppendUvarint(v, rec)
	return append(v, hash[:dedupHashPrefix]...)
}

// parseDedupValue reads an entry's value of either form: the event it
// names and the (part of the) content hash it keeps.
func parseDedupValue(v []byte) (item, rec uint64, hash []byte, ok bool) {
	if len(v) == oldDedupValue {
		return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:16]), v[16:], true
	}
	item, n := binary.Uvarint(v)
	if n <= 0 {
		return 0, 0, nil, false
	}
	rec, m := binary.Uvarint(v[n:])
	if m <= 0 || len(v)-n-m != dedupHashPrefix {
		return 0, 0, nil, false
	}
	return item, rec, v[n+m:], true
}

// dedupName names a duplicate-key entry in a finding: its key and the
// event it names.
func dedupName(k, v []byte) string {
	key := fmt.Sprintf("%q", k)
	if len(k) > 8 {
		key = fmt.Sprintf("%q", k[8:])
		if len(k) == 8+1+16 && k[8] == dedupUUID {
			u := hex.EncodeToString(k[9:])
			key = dedupPrefix + u[:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:]
		}
	}
	if item, rec, _, ok := parseDedupValue(v); ok {
		return fmt.Sprintf("%s, naming item %d record %d", key, item, rec)
	}
	return key + ", malformed"
}

// sameContent reports whether the hash an entry keeps is that of hash.
func sameContent(kept []byte, hash evidence.SHA256) bool {
	return len(kept) > 0 && bytes.Equal(kept, hash[:len(kept)])
}

// getDedup looks up the entry for dedup key key at time key t, keyed k
// by this version (dedupKey): the key it is found under and its value,
// or k and nil. The key of the older form is tried only in a case marked
// as holding such keys, and made only then.
func (s *Store) getDedup(d *bolt.Bucket, k []byte, t uint64, key string) (found, v []byte) {
	if v = d.Get(k); v != nil || !s.longDedup.Load() {
		return k, v
	}
	if older := olderDedupKey(k, t, key); older != nil {
		if v = d.Get(older); v != nil {
			return older, v
		}
	}
	return k, nil
}
