package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// testBlockPayload returns the payload of a termless block of n events
// with records first, first+2, first+4, … (record numbers with gaps, as
// after duplicates are dropped).
func testBlockPayload(n int, first uint64) []byte {
	p := binary.AppendUvarint(nil, uint64(n))
	for i := 0; i < n; i++ {
		rec := first + 2*uint64(i)
		line := fmt.Sprintf("2 111122223333 eni-0a1b2c3d 10.0.%d.%d 198.51.100.%d 443 %d 6 %d %d 1714561200 1714561260 ACCEPT OK", i%7, i%250, i%200, 40000+i, i, 40*i)
		v := AppendTermlessValue(nil, uint64(1714561200e9)+uint64(i), "", []byte(line))
		p = binary.AppendUvarint(p, rec)
		p = binary.AppendUvarint(p, uint64(len(v)))
		p = append(p, v...)
	}
	return p
}

func TestFramedBlockRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2*FrameEvents - 1, 2 * FrameEvents, 2*FrameEvents + 1, 3*FrameEvents + 5, MaxBlockEvents} {
		payload := testBlockPayload(n, 11)
		v := CompressBlock(TermlessBlockMagic, payload)
		framed := n >= 2*FrameEvents
		if (v[0] == FramedBlockMagic) != framed {
			t.Fatalf("%d events: stored as %q", n, v[0])
		}
		// The checksum is appended and checked as for any block.
		key := []byte("0123456789abcdef")
		body, sealed, err := OpenBlock(key, SealBlock(key, v))
		if err != nil || !sealed || !bytes.Equal(body, v) {
			t.Fatalf("%d events: open: sealed=%v err=%v", n, sealed, err)
		}
		got, err := DecompressBlock(v)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("%d events: decompressed %d bytes, err %v; want the %d bytes written", n, len(got), err, len(payload))
		}
		all, err := DecodeBlock(v)
		if err != nil || len(all) != n {
			t.Fatalf("%d events: decoded %d, err %v", n, len(all), err)
		}
		for i, e := range all {
			if e.Rec != 11+2*uint64(i) || !e.Termless {
				t.Fatalf("%d events: entry %d is record %d (termless %v)", n, i, e.Rec, e.Termless)
			}
		}
		// A point read finds every event, reading one frame when framed,
		// and finds nothing for a record between two events.
		for i, want := range all {
			_, es, err := DecodeBlockForInto(nil, nil, v, want.Rec)
			if err != nil {
				t.Fatalf("%d events: point read of record %d: %v", n, want.Rec, err)
			}
			e, ok := FindEntry(es, want.Rec)
			if !ok || !bytes.Equal(e.Val, want.Val) || !e.Termless {
				t.Fatalf("%d events: point read of record %d: found %v", n, want.Rec, ok)
			}
			if framed {
				if lo := i / FrameEvents * FrameEvents; len(es) != min(FrameEvents, n-lo) || es[0].Rec != all[lo].Rec {
					t.Fatalf("%d events: point read of event %d decoded %d events from record %d", n, i, len(es), es[0].Rec)
				}
			} else if len(es) != n {
				t.Fatalf("%d events: point read of an unframed block decoded %d events", n, len(es))
			}
			if _, es, _ := DecodeBlockForInto(nil, nil, v, want.Rec+1); len(es) > 0 {
				if _, ok := FindEntry(es, want.Rec+1); ok {
					t.Fatalf("%d events: record %d found, never written", n, want.Rec+1)
				}
			}
		}
		// Before the first record: no event.
		if _, es, err := DecodeBlockForInto(nil, nil, v, 3); err != nil {
			t.Fatal(err)
		} else if _, ok := FindEntry(es, 3); ok {
			t.Fatal("record 3 found")
		}
	}
	// A schema 5 block (event values with terms) is never framed.
	if v := CompressBlock(ZBlockMagic, testBlockPayload(MaxBlockEvents, 1)); v[0] != ZBlockMagic {
		t.Fatalf("ZBlockMagic block stored as %q", v[0])
	}
}

// TestFramedBlockDamaged: a frame directory or frame that does not agree
// with itself is an error, for the full read and the point read alike,
// never a panic or a wrong entry.
func TestFramedBlockDamaged(t *testing.T) {
	n := 3*FrameEvents + 5
	good := CompressBlock(TermlessBlockMagic, testBlockPayload(n, 11))
	var dir [maxFrames]frame
	fs, err := readFrames(dir[:0], good)
	if err != nil || len(fs) != 4 {
		t.Fatalf("directory: %v, %d frames", err, len(fs))
	}
	dirEnd := fs[0].off
	set := func(f func(d []byte) []byte) []byte {
		d := f(append([]byte{FramedBlockMagic}, good[1:dirEnd]...))
		return append(d, good[dirEnd:]...)
	}
	// entry writes a directory of the frames given, each with the
	// checksum of the frame at its place in the good block.
	entry := func(frames ...[3]uint64) func([]byte) []byte {
		return func([]byte) []byte {
			d := []byte{FramedBlockMagic}
			d = binary.AppendUvarint(d, uint64(len(frames)))
			for i, f := range frames {
				for _, x := range f {
					d = binary.AppendUvarint(d, x)
				}
				d = binary.BigEndian.AppendUint32(d, fs[min(i, len(fs)-1)].sum)
			}
			return d
		}
	}
	z := func(i int) uint64 { return uint64(fs[i].end - fs[i].off) }
	first := func(i int) uint64 { return fs[i].first }
	cases := map[string][]byte{
		"no frames":       set(entry()),
		"too many frames": append(binary.AppendUvarint([]byte{FramedBlockMagic}, maxFrames+1), good[2:]...),
		"lengths short":   set(entry([3]uint64{first(0), 32, z(0)}, [3]uint64{first(1) - first(0), 32, z(1)}, [3]uint64{first(2) - first(1), 32, z(2)}, [3]uint64{first(3) - first(2), 5, z(3) - 1})),
		"frames swapped":  set(entry([3]uint64{first(0), 32, z(1)}, [3]uint64{first(1) - first(0), 32, z(0)}, [3]uint64{first(2) - first(1), 32, z(2)}, [3]uint64{first(3) - first(2), 5, z(3)})),
		"first record":    set(entry([3]uint64{first(0), 32, z(0)}, [3]uint64{first(1) - first(0) + 2, 32, z(1)}, [3]uint64{first(2) - first(1) - 2, 32, z(2)}, [3]uint64{first(3) - first(2), 5, z(3)})),
		"same first":      set(entry([3]uint64{first(0), 32, z(0)}, [3]uint64{0, 32, z(1)}, [3]uint64{first(2) - first(0), 32, z(2)}, [3]uint64{first(3) - first(2), 5, z(3)})),
		"count":           set(entry([3]uint64{first(0), 31, z(0)}, [3]uint64{first(1) - first(0), 33, z(1)}, [3]uint64{first(2) - first(1), 32, z(2)}, [3]uint64{first(3) - first(2), 5, z(3)})),
		"no events":       set(entry([3]uint64{first(0), 0, z(0)}, [3]uint64{first(1) - first(0), 32, z(1)}, [3]uint64{first(2) - first(1), 32, z(2)}, [3]uint64{first(3) - first(2), 5, z(3)})),
		"cut":             good[:len(good)-3],
		"directory only":  good[:dirEnd],
		"frame damaged":   append(append([]byte(nil), good[:fs[2].off+5]...), append([]byte{good[fs[2].off+5] ^ 0x55}, good[fs[2].off+6:]...)...),
	}
	for name, v := range cases {
		if _, err := DecodeBlock(v); err == nil {
			t.Errorf("%s: full read passes", name)
		}
		bad := 0
		for _, rec := range []uint64{first(0), first(1), first(1) + 2, first(2), first(3), first(3) + 8} {
			if _, es, err := DecodeBlockForInto(nil, nil, v, rec); err != nil {
				bad++
			} else if e, ok := FindEntry(es, rec); ok && !bytes.HasSuffix(e.Val, []byte("ACCEPT OK")) {
				t.Errorf("%s: point read of record %d gives %q", name, rec, e.Val)
			}
		}
		if bad == 0 {
			t.Errorf("%s: every point read passes", name)
		}
	}
}

// TestFramedBlockSeal: the checksum of a block in frames covers its key
// and directory, each frame its own: a value under another key or with a
// damaged directory is refused when opened; a damaged frame fails the
// reads that decode it and no other.
func TestFramedBlockSeal(t *testing.T) {
	key := []byte("0123456789abcdef")
	payload, groups := testGroupedPayload(60, 1500, 5, []string{"A", "B", "C"})
	_, grouped := CompressGroupedInto(nil, payload, groups)
	for _, v := range [][]byte{CompressBlock(TermlessBlockMagic, testBlockPayload(3*FrameEvents+5, 11)), grouped} {
		n, ok := directoryLen(v)
		if !ok || n < 2 || n >= len(v) {
			t.Fatalf("%q: directory of %d bytes, %v", v[0], n, ok)
		}
		sealed := SealBlock(key, slices.Clone(v))
		if body, ok, err := OpenBlock(key, sealed); err != nil || !ok || !bytes.Equal(body, v) {
			t.Fatalf("%q: open: %v %v", v[0], ok, err)
		}
		other := slices.Clone(key)
		other[15] ^= 1
		if _, _, err := OpenBlock(other, sealed); err != ErrChecksum {
			t.Fatalf("%q under another key: %v", v[0], err)
		}
		dir := slices.Clone(sealed)
		dir[n-1] ^= 0x10
		if _, _, err := OpenBlock(key, dir); err != ErrChecksum {
			t.Fatalf("%q with its directory damaged: %v", v[0], err)
		}
		// The last frame damaged: the value opens (its directory is
		// intact), the full read fails, a point read of the first
		// record passes and one of the last record fails.
		dmg := slices.Clone(sealed)
		dmg[len(dmg)-SumSize-3] ^= 0x55
		body, _, err := OpenBlock(key, dmg)
		if err != nil {
			t.Fatalf("%q, last frame damaged: open: %v", v[0], err)
		}
		if _, err := DecodeBlock(body); err == nil {
			t.Fatalf("%q, last frame damaged: full read passes", v[0])
		}
		all := mustDecode(t, v)
		if _, es, err := DecodeBlockForInto(nil, nil, body, all[0].Rec); err != nil || len(es) == 0 {
			t.Fatalf("%q, last frame damaged: point read of the first record: %v", v[0], err)
		}
		if _, _, err := DecodeBlockForInto(nil, nil, body, all[len(all)-1].Rec); err != ErrChecksum {
			t.Fatalf("%q, last frame damaged: point read of the last record: %v", v[0], err)
		}
	}
}
