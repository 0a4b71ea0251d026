package codec

import (
	"encoding/binary"
	"testing"
)

func FuzzDecodeBlock(f *testing.F) {
	raw := AppendEventValue(nil, uint64(1714557600e9)|1<<63, []string{"ip:10.0.0.1"}, "k", []byte("data"))
	f.Add(raw, []byte{BlockMagic, 0x01})
	f.Add([]byte{}, []byte("B\x00"))
	chunk := binary.AppendUvarint(nil, 5)
	chunk = append(chunk, "ip:10"...)
	chunk = binary.AppendUvarint(chunk, 1)
	chunk = Posting{1, 2, 3}.Append(chunk)
	f.Add(chunk, CompressBlock(ZBlockMagic, []byte{1, 1, 3, 'a', 'b', 'c'}))
	tv := AppendTermlessValue(nil, uint64(1714557600e9)|1<<63, "k", []byte("data"))
	f.Add(tv, CompressBlock(TermlessBlockMagic, append([]byte{1, 1, byte(len(tv))}, tv...)))
	f.Add(raw, CompressBlock(TermlessBlockMagic, append([]byte{1, 1, byte(len(raw))}, raw...)))
	f.Add(chunk, compressS2([]byte{1, 1, 3, 'a', 'b', 'c'}))
	f.Add(tv, CompressBlock(TermlessBlockMagic, testBlockPayload(2*FrameEvents+3, 7)))
	gp, groups := testGroupedPayload(12, 3000, 9, []string{"B", "A", "C"})
	_, gv := CompressGroupedInto(nil, gp, groups)
	f.Add(tv, gv)
	zchunk, _ := AppendChunkEntry(nil, nil, "ip:10", []Posting{{1, 2, 3}, {4, 5, 6}}, true)
	f.Add(chunk, CompressPost(nil, zchunk))
	f.Add(chunk, CompressPost(nil, AppendDelta(nil, []Posting{{1, 2, 3}, {4, 5, 6}})))
	f.Fuzz(func(t *testing.T, val, block []byte) {
		// Headers, blocks and posting chunks from a damaged case file
		// never panic.
		_, _ = DecodeHeader(val)
		if h, ok := DecodeTermlessHeader(val); ok && (h.Terms != nil || len(h.Rest) > len(val)-9) {
			t.Fatalf("termless header %+v from %d bytes", h, len(val))
		}
		if es, err := DecodeBlock(block); err == nil {
			for _, e := range es {
				_, _ = DecodeHeader(e.Val)
				if e.Termless != (block[0] == TermlessBlockMagic || block[0] == FramedBlockMagic || block[0] == GroupedBlockMagic) {
					t.Fatalf("block %x gives an entry with Termless=%v", block[0], e.Termless)
				}
				_, _ = e.Header()
			}
		}
		buf := make([]byte, 0, 8)
		_, _, _ = DecodeBlockInto(buf, nil, block)
		// A point read of a framed block finds only entries its full
		// read has too.
		all, errAll := DecodeBlock(block)
		_, part, err := DecodeBlockForInto(nil, nil, block, uint64(len(val)))
		if err == nil && errAll != nil && len(block) > 0 && block[0] != FramedBlockMagic && block[0] != GroupedBlockMagic {
			t.Fatalf("point read of a %x block passes where the full read fails: %v", block[0], errAll)
		}
		if err == nil && errAll == nil {
			for _, e := range part {
				if f, ok := FindEntry(all, e.Rec); !ok || string(f.Val) != string(e.Val) {
					t.Fatalf("point read gives record %d, not in the full read", e.Rec)
				}
			}
		}
		ReadChunk(val, false, func(term, ps []byte) bool {
			if len(ps)%PostingSize != 0 {
				t.Fatalf("chunk entry %q: %d posting bytes", term, len(ps))
			}
			return true
		})
		ReadChunk(val, true, func(term, list []byte) bool {
			readList(t, list)
			return true
		})
		readList(t, val)
		// A posting value of a compressed batch (schema 6), decompressed
		// as a list and as a chunk.
		if p, err := DecompressPost(nil, block); err == nil {
			readList(t, p)
			ReadChunk(p, true, func(term, list []byte) bool {
				readList(t, list)
				return true
			})
		}
	})
}

// readList reads a posting list from damaged bytes in every way a query
// does: none of it may panic or read past the list.
func readList(t *testing.T, v []byte) {
	for _, delta := range []bool{false, true} {
		l, ok := ParseList(v, delta)
		if !ok {
			continue
		}
		if l.Len() > len(v) {
			t.Fatalf("list of %d bytes claims %d postings", len(v), l.Len())
		}
		ps, _ := l.All()
		if len(ps) > l.Len() {
			t.Fatalf("%d postings decoded from a list of %d", len(ps), l.Len())
		}
		for _, at := range []uint64{0, 1 << 62, ^uint64(0)} {
			c := l.Seek(at)
			if c.i < 0 || c.i > l.Len() {
				t.Fatalf("seek(%d) = %d of %d", at, c.i, l.Len())
			}
			for range 3 {
				if _, ok := l.Next(&c); !ok {
					break
				}
			}
		}
	}
}

// FuzzPostingList round-trips sorted postings derived from the input
// through the delta encoding (and its compressed form) and checks seeking against a linear search.
func FuzzPostingList(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint64(3))
	f.Add(make([]byte, 900), uint64(0))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x00\x01"), ^uint64(0))
	f.Fuzz(func(t *testing.T, seed []byte, at uint64) {
		var ps []Posting
		var p Posting
		for i := 0; i+3 <= len(seed); i += 3 {
			// Steps of every size: whole milliseconds, odd nanoseconds,
			// huge jumps; items and records up and down.
			switch seed[i] % 4 {
			case 0:
				p.T += uint64(seed[i+1]) * 1e6
			case 1:
				p.T += uint64(seed[i+1])*7919 + 1
			case 2:
				p.T += uint64(seed[i+1]) << 56
			}
			p.Item += uint64(int64(int8(seed[i+2])))
			p.Rec = p.Rec*31 + uint64(seed[i+2])
			if p.T < ps0t(ps) {
				break // the time wrapped: keep the sorted prefix
			}
			ps = append(ps, p)
		}
		b := AppendDelta(nil, ps)
		if z, err := DecompressPost(nil, CompressPost(nil, b)); err != nil || string(z) != string(b) {
			t.Fatalf("compressed list does not read back: %v", err)
		}
		l, ok := ParseList(b, true)
		if !ok || l.Len() != len(ps) {
			t.Fatalf("parse: ok=%v len=%d, want %d", ok, l.Len(), len(ps))
		}
		got, ok := l.All()
		if !ok || len(got) != len(ps) {
			t.Fatalf("decoded %d of %d (ok=%v)", len(got), len(ps), ok)
		}
		for i := range ps {
			if got[i] != ps[i] {
				t.Fatalf("posting %d: %+v, want %+v", i, got[i], ps[i])
			}
		}
		want := len(ps)
		for i, q := range ps {
			if q.T >= at {
				want = i
				break
			}
		}
		if c := l.Seek(at); c.i != want {
			t.Fatalf("seek(%d) = %d, want %d", at, c.i, want)
		} else if want < len(ps) {
			if q, ok := l.Next(&c); !ok || q != ps[want] {
				t.Fatalf("posting after seek: %+v, want %+v", q, ps[want])
			}
		}
	})
}

// ps0t is the time of the last posting of ps (0 for none).
func ps0t(ps []Posting) uint64 {
	if len(ps) == 0 {
		return 0
	}
	return ps[len(ps)-1].T
}
