package codec

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/format.golden")

// TestFormatPinned encodes fixed inputs in every encoding of the index
// and compares the bytes with testdata/format.golden, written by the
// encoder that created the existing cases: the on-disk format must not
// change.
func TestFormatPinned(t *testing.T) {
	var ps []Posting
	p := Posting{T: 1 << 63, Item: 7, Rec: 1}
	for i := range 300 { // three groups; whole-millisecond and odd steps
		switch i % 3 {
		case 0:
			p.T += 1e9
		case 1:
			p.T += 1234567
		}
		p.Item = uint64(7 + i%5)
		p.Rec += uint64(i % 4)
		ps = append(ps, p)
	}
	var b strings.Builder
	fmt.Fprintln(&b, "DELTA", hex.EncodeToString(AppendDelta(nil, ps)))
	fmt.Fprintln(&b, "FIXED", hex.EncodeToString(AppendFixed(nil, ps[:5])))
	c, _ := AppendChunkEntry(nil, nil, "ip:10.0.0.1", ps[:3], true)
	c, _ = AppendChunkEntry(c, nil, "ip:10.0.0.2", ps[3:5], false)
	fmt.Fprintln(&b, "CHUNK", hex.EncodeToString(c))
	fmt.Fprintln(&b, "KEYS", hex.EncodeToString(PostKey(9, "ip:x")), hex.EncodeToString(ChunkKey(9, "ip:x")))
	terms, dedupKey, data := []string{"ip:10.0.0.1", "p:arn"}, "k", []byte("data")
	v := AppendEventValue(nil, uint64(1714557600000000005)|1<<63, terms, dedupKey, data)
	fmt.Fprintln(&b, "EVENT", hex.EncodeToString(v), EventValueLen(terms, dedupKey, data) == len(v))
	// Schema 3 and before: BlockMagic and the compressed entries, no
	// checksum. Schema 4: SealedBlockMagic, the same, and the checksum of
	// key and block; records are sealed the same way.
	entries := append([]byte{1, 1, byte(len(v))}, v...)
	blk := compressS2(entries)
	legacy := append([]byte{BlockMagic}, blk[1:]...)
	fmt.Fprintln(&b, "BLOCK", hex.EncodeToString(legacy))
	blockKey := []byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1}
	sealed := AppendSum(blockKey, blk)
	fmt.Fprintln(&b, "SEALED", hex.EncodeToString(sealed))
	fmt.Fprintln(&b, "RECORD", hex.EncodeToString(SealRecord([]byte("k"), []byte(`{"a":1}`))))
	fmt.Fprintln(&b, "SUMMED", hex.EncodeToString(AppendSum(PostKey(9, "ip:x"), AppendDelta(nil, ps[:3]))))
	// Schema 5: ZBlockMagic, the zstd frame of the entries, the checksum.
	zsealed := AppendSum(blockKey, CompressBlock(ZBlockMagic, entries))
	fmt.Fprintln(&b, "ZSEALED", hex.EncodeToString(zsealed))
	// Schema 6: a compressed batch's list and chunk, each the zstd frame
	// of its delta encoding and the checksum.
	listKey, chunkKey := PostKey(9, "ip:x"), ChunkKey(9, "ip:10.0.0.1")
	zlist := AppendSum(listKey, CompressPost(nil, AppendDelta(nil, ps)))
	fmt.Fprintln(&b, "ZLIST", hex.EncodeToString(zlist))
	zc, _ := AppendChunkEntry(nil, nil, "ip:10.0.0.1", ps[:3], true)
	zc, _ = AppendChunkEntry(zc, nil, "ip:10.0.0.2", ps[3:5], true)
	zchunk := AppendSum(chunkKey, CompressPost(nil, zc))
	fmt.Fprintln(&b, "ZCHUNK", hex.EncodeToString(zchunk))
	// Schema 6: TermlessBlockMagic, the zstd frame of entries whose
	// values hold no terms, the checksum.
	tv := AppendTermlessValue(nil, uint64(1714557600000000005)|1<<63, dedupKey, data)
	fmt.Fprintln(&b, "TERMLESS", hex.EncodeToString(tv), TermlessValueLen(dedupKey, data) == len(tv))
	tentries := append([]byte{1, 1, byte(len(tv))}, tv...)
	tsealed := AppendSum(blockKey, CompressBlock(TermlessBlockMagic, tentries))
	fmt.Fprintln(&b, "ESEALED", hex.EncodeToString(tsealed))

	if *update {
		// Only lines added for a new form: the lines before it pin what
		// existing cases hold.
		if err := os.WriteFile("testdata/format.golden", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/format.golden")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(b.String(), "\n")
	for i, w := range strings.Split(string(want), "\n") {
		if i >= len(got) || got[i] != w {
			t.Errorf("line %d:\n got %.120s\nwant %.120s", i+1, got[min(i, len(got)-1)], w)
		}
	}

	// And it all reads back.
	l, ok := ParseList(AppendDelta(nil, ps), true)
	if all, ok2 := l.All(); !ok || !ok2 || len(all) != len(ps) || all[299] != ps[299] {
		t.Fatalf("delta list does not read back (ok=%v, %v)", ok, ok2)
	}
	for _, v := range []struct{ key, stored, want []byte }{{listKey, zlist, AppendDelta(nil, ps)}, {chunkKey, zchunk, zc}} {
		body, err := CheckSum(v.key, v.stored)
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := DecompressPost(nil, body); err != nil || string(plain) != string(v.want) {
			t.Fatalf("compressed posting value %x does not read back: %v", v.key, err)
		}
	}
	for _, stored := range [][]byte{legacy, sealed, zsealed, tsealed} {
		opened, _, err := OpenBlock(blockKey, stored)
		es, err2 := DecodeBlock(opened)
		if err != nil || err2 != nil || len(es) != 1 || es[0].Rec != 1 {
			t.Fatalf("block %x does not read back: %v, %v", stored[0], err, err2)
		}
		h, ok := es[0].Header()
		if !ok || h.DedupKey != "k" || string(h.Rest) != "data" || h.Termless != (stored[0] == TermlessBlockMagic) {
			t.Fatalf("block %x: entry header %+v, %v", stored[0], h, ok)
		}
		if !h.Termless && strings.Join(h.Terms, ",") != "ip:10.0.0.1,p:arn" {
			t.Fatalf("block %x: terms %q", stored[0], h.Terms)
		}
	}
	for _, stored := range [][]byte{sealed, zsealed, tsealed} {
		if _, _, err := OpenBlock(blockKey[1:], stored); err != ErrChecksum {
			t.Fatalf("block %x under another key opens: %v", stored[0], err)
		}
	}
	h, ok := DecodeHeader(v)
	if !ok || strings.Join(h.Terms, ",") != "ip:10.0.0.1,p:arn" || h.DedupKey != "k" || string(h.Rest) != "data" {
		t.Fatalf("header: %+v, %v", h, ok)
	}
}

// TestChunkRoundTrip reads chunk entries of both encodings back.
func TestChunkRoundTrip(t *testing.T) {
	ps := []Posting{{1, 2, 3}, {4, 5, 6}}
	for _, delta := range []bool{false, true} {
		var c []byte
		c, _ = AppendChunkEntry(c, nil, "a", ps[:1], delta)
		c, _ = AppendChunkEntry(c, nil, "b", ps, delta)
		var terms []string
		ok := ReadChunk(c, delta, func(term, list []byte) bool {
			l, ok := ParseList(list, delta)
			got, ok2 := l.All()
			if !ok || !ok2 || got[len(got)-1] != ps[len(got)-1] {
				t.Fatalf("delta=%v: term %q reads back %v", delta, term, got)
			}
			terms = append(terms, fmt.Sprintf("%s:%d", term, l.Len()))
			return true
		})
		if !ok || strings.Join(terms, " ") != "a:1 b:2" {
			t.Fatalf("delta=%v: chunk reads %v (ok=%v)", delta, terms, ok)
		}
	}
}
