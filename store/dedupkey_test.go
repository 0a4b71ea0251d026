package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

func TestDedupKeyForms(t *testing.T) {
	const tk = uint64(1714557600000000005) | 1<<63
	for _, c := range []struct {
		key     string
		compact bool
	}{
		{"cloudtrail:5bc8fbbc-bde5-c099-4164-d8399f767c45", true},
		{"cloudtrail:5BC8FBBC-bde5-c099-4164-d8399f767c45", false}, // not the usual form: kept as written
		{"cloudtrail:5bc8fbbc-bde5-c099-4164-d8399f767c4g", false},
		{"cloudtrail:5bc8fbbcbde5-c099-4164-d8399f767c45-", false},
		{"cloudtrail:e-1", false},
		{"guardduty:5bc8fbbc-bde5-c099-4164-d8399f767c45", false},
	} {
		k := dedupKey(tk, c.key)
		older := olderDedupKey(k, tk, c.key)
		if binary.BigEndian.Uint64(k) != tk {
			t.Fatalf("%q: key %x does not start with the time", c.key, k)
		}
		if c.compact != (older != nil) || c.compact != (len(k) == 25 && k[8] == dedupUUID) {
			t.Fatalf("%q: key %x, older %x", c.key, k, older)
		}
		want := append(binary.BigEndian.AppendUint64(nil, tk), c.key...)
		if c.compact && !bytes.Equal(older, want) || !c.compact && !bytes.Equal(k, want) {
			t.Fatalf("%q: key %x, older %x, want as written %x", c.key, k, older, want)
		}
	}
	// Two UUIDs differing in one digit have different keys.
	a := dedupKey(tk, "cloudtrail:5bc8fbbc-bde5-c099-4164-d8399f767c45")
	b := dedupKey(tk, "cloudtrail:5bc8fbbc-bde5-c099-4164-d8399f767c46")
	if bytes.Equal(a, b) {
		t.Fatal("different eventIDs share a key")
	}
}

func TestDedupValueForms(t *testing.T) {
	hash := evidence.SHA256(sha256.Sum256([]byte("record")))
	other := evidence.SHA256(sha256.Sum256([]byte("other")))
	v := dedupValue(1<<40, 300, hash)
	if len(v) >= oldDedupValue {
		t.Fatalf("value of %d bytes", len(v))
	}
	// Never eight zero bytes first (see dedupValue), even with a zero hash.
	if z := dedupValue(1, 0, evidence.SHA256{}); len(z) < 8 || binary.LittleEndian.Uint64(z) == 0 {
		t.Fatalf("value %x starts with eight zero bytes", z)
	}
	item, rec, kept, ok := parseDedupValue(v)
	if !ok || item != 1<<40 || rec != 300 || !sameContent(kept, hash) || sameContent(kept, other) {
		t.Fatalf("new form: %d %d %x %v", item, rec, kept, ok)
	}
	old := append(eventKey(7, 9), hash[:]...)
	item, rec, kept, ok = parseDedupValue(old)
	if !ok || item != 7 || rec != 9 || len(kept) != 32 || !sameContent(kept, hash) || sameContent(kept, other) {
		t.Fatalf("older form: %d %d %x %v", item, rec, kept, ok)
	}
	for _, bad := range [][]byte{nil, v[:dedupHashPrefix], append(v[:len(v):len(v)], 0), v[:len(v)-1], append([]byte{0x80}, hash[:16]...)} {
		if _, _, _, ok := parseDedupValue(bad); ok {
			t.Fatalf("malformed value %x read", bad)
		}
	}
}

func FuzzDedupValue(f *testing.F) {
	f.Add(dedupValue(3, 4, evidence.SHA256{1}))
	f.Add(append(eventKey(7, 9), make([]byte, 32)...))
	f.Fuzz(func(t *testing.T, v []byte) {
		item, rec, kept, ok := parseDedupValue(v)
		if !ok {
			return
		}
		if len(v) == oldDedupValue {
			return
		}
		var h evidence.SHA256
		copy(h[:], kept)
		if w := dedupValue(item, rec, h); !bytes.Equal(w, v) && len(kept) == dedupHashPrefix {
			// uvarints have one canonical form only when minimal; a
			// non-minimal encoding still reads, to the same numbers.
			if i2, r2, _, ok2 := parseDedupValue(w); !ok2 || i2 != item || r2 != rec {
				t.Fatalf("%x reads as %d/%d, written back %x", v, item, rec, w)
			}
		}
	})
}
