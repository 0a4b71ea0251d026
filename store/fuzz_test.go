package store

import (
	"encoding/binary"
	"testing"
	"time"
)

func FuzzDecodeBlock(f *testing.F) {
	ev := EventRecord{Item: 1, Record: 1, Time: time.Unix(1714557600, 0), Terms: []string{"ip:10.0.0.1"}, Data: []byte("data"), DedupKey: "k"}
	raw := append([]byte{}, appendEventValue(nil, &ev)...)
	f.Add(raw, []byte{blockMagic, 0x01})
	f.Add([]byte{}, []byte("B\x00"))
	chunk := binary.AppendUvarint(nil, 5)
	chunk = append(chunk, "ip:10"...)
	chunk = binary.AppendUvarint(chunk, 1)
	chunk = posting{1, 2, 3}.append(chunk)
	f.Add(chunk, compressBlock([]byte{1, 1, 3, 'a', 'b', 'c'}))
	f.Fuzz(func(t *testing.T, val, block []byte) {
		// Headers, blocks and posting chunks from a damaged case file
		// never panic.
		_, _ = decodeHeader(1, 1, val)
		if es, err := decodeBlock(make([]byte, 16), block); err == nil {
			for _, e := range es {
				_, _ = entryEvent(1, e)
			}
		}
		buf := make([]byte, 0, 8)
		_, _, _ = decodeBlockInto(buf, nil, make([]byte, 16), block)
		readChunk(val, func(term, ps []byte) bool {
			if len(ps)%postingSize != 0 {
				t.Fatalf("chunk entry %q: %d posting bytes", term, len(ps))
			}
			return true
		})
	})
}

func TestTimeKeyOrderAndZero(t *testing.T) {
	times := []time.Time{{}, time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0).UTC(), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := 1; i < len(times); i++ {
		if string(timeKey(times[i-1])) > string(timeKey(times[i])) {
			t.Fatalf("timeKey(%v) sorts after timeKey(%v)", times[i-1], times[i])
		}
	}
	if !keyTime(timeKey(time.Time{})).IsZero() {
		t.Fatal("the zero time does not come back as zero")
	}
	if got := keyTime(timeKey(time.Unix(0, 0))); !got.Equal(time.Unix(0, 0)) || got.IsZero() {
		t.Fatalf("the epoch came back as %v", got)
	}
}
