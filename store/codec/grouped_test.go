package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// testGroupedPayload returns the payload of a termless block of n events
// of about size bytes each (records first, first+3, …) and their groups,
// one of names in turn, so that each group's events are spread over the
// block.
func testGroupedPayload(n, size int, first uint64, names []string) ([]byte, []string) {
	p := binary.AppendUvarint(nil, uint64(n))
	groups := make([]string, n)
	for i := 0; i < n; i++ {
		groups[i] = names[i%len(names)]
		raw := fmt.Sprintf(`{"eventName":%q,"n":%d,"pad":%q}`, groups[i], i, bytes.Repeat([]byte{byte('a' + i%26)}, size))
		v := AppendTermlessValue(nil, uint64(1714561200e9)+uint64(i), "", []byte(raw))
		p = binary.AppendUvarint(p, first+3*uint64(i))
		p = binary.AppendUvarint(p, uint64(len(v)))
		p = append(p, v...)
	}
	return p, groups
}

func TestGroupedBlockRoundTrip(t *testing.T) {
	names := []string{"PutObject", "GetObject", "AssumeRole", "ListBuckets", "GetObject"}
	for _, c := range []struct{ n, size int }{{2, 100}, {40, 500}, {40, 2000}, {200, 2300}, {MaxBlockEvents, 1000}, {5, 60000}} {
		payload, groups := testGroupedPayload(c.n, c.size, 5, names)
		_, v := CompressGroupedInto(nil, payload, groups)
		grouped := len(payload) > GroupFrameBytes+c.size+200
		if (v[0] == GroupedBlockMagic) != grouped {
			t.Fatalf("%d events of %d bytes: stored as %q", c.n, c.size, v[0])
		}
		got, err := DecompressBlock(v)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("%d×%d: decompressed %d bytes, err %v; want the %d bytes written", c.n, c.size, len(got), err, len(payload))
		}
		all, err := DecodeBlock(v)
		if err != nil || len(all) != c.n {
			t.Fatalf("%d×%d: decoded %d, err %v", c.n, c.size, len(all), err)
		}
		for i, e := range all {
			if e.Rec != 5+3*uint64(i) || !e.Termless {
				t.Fatalf("%d×%d: entry %d is record %d", c.n, c.size, i, e.Rec)
			}
		}
		if !grouped {
			continue
		}
		d, err := readGroups(v, new(groupBufs))
		if err != nil {
			t.Fatal(err)
		}
		// A frame holds events of neighbouring groups: the events of one
		// name lie in few frames.
		frames := map[string]map[uint8]bool{}
		for i, g := range groups {
			if frames[g] == nil {
				frames[g] = map[uint8]bool{}
			}
			frames[g][d.in[i]] = true
		}
		for g, fs := range frames {
			var raw int
			for i := range groups {
				if groups[i] == g {
					raw += c.size + 60
				}
			}
			if max := raw/GroupFrameBytes + 2; len(fs) > max {
				t.Errorf("%d×%d: group %s in %d frames, want at most %d", c.n, c.size, g, len(fs), max)
			}
		}
		// A point read finds every event in its frame, and nothing for a
		// record between two events.
		for _, want := range all {
			_, es, err := DecodeBlockForInto(nil, nil, v, want.Rec)
			if err != nil {
				t.Fatalf("%d×%d: point read of record %d: %v", c.n, c.size, want.Rec, err)
			}
			e, ok := FindEntry(es, want.Rec)
			if !ok || !bytes.Equal(e.Val, want.Val) || !e.Termless || len(es) >= c.n {
				t.Fatalf("%d×%d: point read of record %d: found %v in %d entries", c.n, c.size, want.Rec, ok, len(es))
			}
			if !slices.IsSortedFunc(es, func(a, b Entry) int { return int(a.Rec) - int(b.Rec) }) {
				t.Fatalf("%d×%d: a frame's entries out of record order", c.n, c.size)
			}
			if _, es, err := DecodeBlockForInto(nil, nil, v, want.Rec+1); err != nil || len(es) != 0 {
				t.Fatalf("%d×%d: record %d, never written: %d entries, %v", c.n, c.size, want.Rec+1, len(es), err)
			}
		}
	}
}

// TestGroupedBlockDamaged: a group directory or frame that does not agree
// with itself is an error, for the full read and the point read alike.
func TestGroupedBlockDamaged(t *testing.T) {
	payload, groups := testGroupedPayload(60, 1500, 5, []string{"A", "B", "C"})
	_, good := CompressGroupedInto(nil, payload, groups)
	if good[0] != GroupedBlockMagic {
		t.Fatal("not grouped")
	}
	d, err := readGroups(good, new(groupBufs))
	if err != nil || len(d.frames) < 3 {
		t.Fatalf("directory: %v, %d frames", err, len(d.frames))
	}
	dirEnd := d.frames[0].off
	// rebuild writes a directory from d (changed by the caller) before
	// the good frames.
	rebuild := func(d groupDir, lens []int, total int) []byte {
		b := []byte{GroupedBlockMagic}
		b = binary.AppendUvarint(b, uint64(len(d.frames)))
		for i, f := range d.frames {
			b = binary.AppendUvarint(b, uint64(f.n))
			b = binary.AppendUvarint(b, uint64(lens[i]))
			b = binary.BigEndian.AppendUint32(b, f.sum)
		}
		b = binary.AppendUvarint(b, uint64(total))
		prev := uint64(0)
		for i, r := range d.recs {
			b = binary.AppendUvarint(b, r-prev)
			b = binary.AppendUvarint(b, uint64(d.in[i]))
			prev = r
		}
		return append(b, good[dirEnd:]...)
	}
	lens := make([]int, len(d.frames))
	for i, f := range d.frames {
		lens[i] = f.end - f.off
	}
	clone := func() groupDir {
		c := groupDir{frames: slices.Clone(d.frames), recs: slices.Clone(d.recs), in: slices.Clone(d.in)}
		return c
	}
	if v := rebuild(clone(), lens, len(d.recs)); !bytes.Equal(v, good) {
		t.Fatal("rebuild does not give the block back")
	}
	cases := map[string][]byte{}
	c := clone()
	c.in[0], c.in[len(c.in)-1] = c.in[len(c.in)-1], c.in[0] // two events' frames swapped
	if c.in[0] != d.in[0] {
		cases["frames swapped"] = rebuild(c, lens, len(d.recs))
	}
	c = clone()
	c.recs[3]++ // a record moved
	cases["record"] = rebuild(c, lens, len(d.recs))
	c = clone()
	c.frames[0].n--
	c.frames[1].n++
	cases["counts"] = rebuild(c, lens, len(d.recs))
	c = clone()
	l2 := slices.Clone(lens)
	l2[0]--
	l2[1]++
	cases["lengths"] = rebuild(c, l2, len(d.recs))
	c = clone()
	cases["total"] = rebuild(c, lens, len(d.recs)+1)
	c = clone()
	c.in[5] = uint8(len(d.frames))
	cases["no such frame"] = rebuild(c, lens, len(d.recs))
	cases["cut"] = good[:len(good)-2]
	cases["directory only"] = good[:dirEnd]
	f1 := d.frames[1]
	dmg := slices.Clone(good)
	dmg[f1.off+7] ^= 0x55
	cases["frame damaged"] = dmg
	for name, v := range cases {
		if _, err := DecodeBlock(v); err == nil {
			t.Errorf("%s: full read passes", name)
		}
		bad := 0
		for _, rec := range d.recs {
			if _, es, err := DecodeBlockForInto(nil, nil, v, rec); err != nil {
				bad++
			} else if e, ok := FindEntry(es, rec); ok {
				if w, _ := FindEntry(mustDecode(t, good), rec); !bytes.Equal(e.Val, w.Val) {
					t.Errorf("%s: point read of record %d gives another value", name, rec)
				}
			}
		}
		if bad == 0 {
			t.Errorf("%s: every point read passes", name)
		}
	}
}

func mustDecode(t *testing.T, v []byte) []Entry {
	t.Helper()
	es, err := DecodeBlock(v)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
