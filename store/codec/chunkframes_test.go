package codec

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// chunkOf builds a chunk of n terms (sorted) with lists of a few postings.
func chunkOf(t testing.TB, n int, seed uint64) ([]byte, []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	var terms []string
	for i := range n {
		terms = append(terms, fmt.Sprintf("ip:10.%d.%d.%d", i/65536, i/256%256, i%256))
		if r.IntN(3) == 0 {
			terms = append(terms, fmt.Sprintf("p:arn:aws:iam::1:user/u%05d", i))
		}
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	var plain, scratch []byte
	for _, term := range terms {
		var ps []Posting
		p := Posting{T: r.Uint64N(1 << 50), Item: r.Uint64N(900), Rec: r.Uint64N(20000)}
		for range 1 + r.IntN(5) {
			ps = append(ps, p)
			p.T += r.Uint64N(1e12)
			p.Item = r.Uint64N(900)
		}
		plain, scratch = AppendChunkEntry(plain, scratch, term, ps, true)
	}
	return plain, terms
}

// chunkTerms lists the terms of a chunk's entries and their lists.
func chunkTerms(t testing.TB, plain []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	if !ReadChunk(plain, true, func(term, list []byte) bool { out[string(term)] = string(list); return true }) {
		t.Fatal("malformed entries")
	}
	return out
}

// TestChunkFramesRoundTrip: a framed chunk reads back whole as the entries
// it was made of; the frame for a term holds that term's list; the
// frames from a prefix hold every term with it; and a term in no frame,
// before, between or after the chunk's terms, is found in none.
func TestChunkFramesRoundTrip(t *testing.T) {
	for _, n := range []int{1, 7, 60, 500, 2000} {
		plain, terms := chunkOf(t, n, uint64(n))
		want := chunkTerms(t, plain)
		v, err := CompressChunk(nil, plain)
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != ChunkFramesMagic {
			t.Fatalf("%d terms: no frames magic", n)
		}
		fs, err := readChunkFrames(v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if wantFrames := len(plain)/ChunkFrameBytes + 1; len(fs) < wantFrames/2 || len(fs) > wantFrames+1 {
			t.Errorf("%d terms, %d bytes: %d frames", n, len(plain), len(fs))
		}
		all, err := DecompressPost(nil, v)
		if err != nil || !bytes.Equal(all, plain) {
			t.Fatalf("%d terms: whole read differs (%v)", n, err)
		}
		for _, term := range terms {
			part, err := chunkFrameFor(nil, v, []byte(term))
			if err != nil {
				t.Fatal(err)
			}
			if len(part) > ChunkFrameBytes+512 {
				t.Fatalf("the frame for %q is %d bytes", term, len(part))
			}
			if got := chunkTerms(t, part)[term]; got != want[term] {
				t.Fatalf("%d terms: %q not in its frame", n, term)
			}
		}
		for _, absent := range []string{"a", "ip:10.0.0.0x", "zz", terms[len(terms)-1] + "\x00"} {
			part, err := chunkFrameFor(nil, v, []byte(absent))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := chunkTerms(t, part)[absent]; ok {
				t.Fatalf("%q found", absent)
			}
		}
		for _, prefix := range []string{"ip:", "ip:10.0.1", "ip:10.0.1.1", "p:", "p:arn:aws:iam::1:user/u001", "q", ""} {
			part, err := chunkFramesFrom(nil, v, []byte(prefix))
			if err != nil {
				t.Fatal(err)
			}
			got := chunkTerms(t, part)
			for _, term := range terms {
				if strings.HasPrefix(term, prefix) && got[term] != want[term] {
					t.Fatalf("%d terms: prefix %q: %q missing", n, prefix, term)
				}
			}
		}
	}
}

// TestChunkFramesMalformed: a damaged directory is refused by every read,
// never read past.
func TestChunkFramesMalformed(t *testing.T) {
	plain, _ := chunkOf(t, 800, 3)
	v, _ := CompressChunk(nil, plain)
	fs, _ := readChunkFrames(v, nil)
	if len(fs) < 3 {
		t.Fatalf("%d frames", len(fs))
	}
	dirEnd := len(v)
	for _, f := range fs {
		dirEnd -= len(f.z)
	}
	cases := map[string][]byte{
		"empty":         {ChunkFramesMagic},
		"no frames":     {ChunkFramesMagic, 0},
		"cut directory": v[:dirEnd-1],
		"cut frame":     v[:len(v)-1],
		"extra byte":    append(bytes.Clone(v), 0),
		"huge count":    append([]byte{ChunkFramesMagic, 0xff, 0xff, 0xff, 0x0f}, v[2:]...),
	}
	// The second frame's first term made to sort before the first's.
	swapped := bytes.Clone(v)
	second := bytes.Index(swapped[2:], fs[1].first) + 2
	swapped[second] = ' '
	cases["unsorted firsts"] = swapped
	empty := append([]byte{ChunkFramesMagic, 1, 0, 0}, v[dirEnd:]...)
	cases["empty first term"] = empty
	// The writer refuses what it cannot frame, with an error.
	var scratch []byte
	emptyTerm, _ := AppendChunkEntry(nil, scratch, "", []Posting{{T: 1, Item: 1, Rec: 1}}, true)
	for name, p := range map[string][]byte{"no entries": nil, "cut entry": plain[:len(plain)-1], "empty first term": emptyTerm} {
		if _, err := CompressChunk(nil, p); err == nil {
			t.Errorf("CompressChunk of %s: no error", name)
		}
	}
	for name, d := range cases {
		if _, err := DecompressPost(nil, d); err == nil {
			t.Errorf("%s: whole read accepted", name)
		}
		if _, err := chunkFrameFor(nil, d, []byte("ip:10.0.1.1")); err == nil {
			t.Errorf("%s: frame read accepted", name)
		}
		if _, err := chunkFramesFrom(nil, d, []byte("ip:")); err == nil {
			t.Errorf("%s: prefix read accepted", name)
		}
	}
}

// FuzzChunkFrames: any value read as a framed chunk is refused or read
// without panic, and the frame and prefix reads of a value that reads
// whole give a part of what the whole read gives.
func FuzzChunkFrames(f *testing.F) {
	plain, _ := chunkOf(f, 300, 9)
	v, _ := CompressChunk(nil, plain)
	f.Add(v, []byte("ip:10.0.1.4"))
	small, _ := chunkOf(f, 3, 1)
	v, _ = CompressChunk(nil, small)
	f.Add(v, []byte("p:"))
	f.Add([]byte{ChunkFramesMagic, 1, 1, 'a', 0}, []byte("a"))
	f.Fuzz(func(t *testing.T, v, term []byte) {
		if len(v) == 0 || v[0] != ChunkFramesMagic {
			v = append([]byte{ChunkFramesMagic}, v...)
		}
		whole, err := DecompressPost(nil, v)
		part, perr := chunkFrameFor(nil, v, term)
		from, ferr := chunkFramesFrom(nil, v, term)
		if err != nil {
			return
		}
		if perr != nil || ferr != nil {
			t.Fatalf("whole read, but frame read %v, prefix read %v", perr, ferr)
		}
		if !bytes.Contains(whole, part) || !bytes.Contains(whole, from) {
			t.Fatal("a frame read gave what the whole read does not hold")
		}
	})
}

// The reads below are how the store reads a chunk's frames (openChunkPart
// and DecompressPost), put together for the tests.

// chunkFrameFor returns, appended to buf[:0], the entries of a stored
// chunk (checked, without its checksum) that may hold term: of a framed
// chunk, the frame whose first term is the last at or before term; of an
// unframed one, all of them.
func chunkFrameFor(buf, v []byte, term []byte) ([]byte, error) {
	return chunkFramesOf(buf, v, func(c ChunkFrames) (int, int) { return c.For(term) })
}

// chunkFramesFrom returns, appended to buf[:0], the entries of a stored
// chunk (as chunkFrameFor) from the frame that may hold the first term
// with prefix to the last frame that may hold such a term.
func chunkFramesFrom(buf, v []byte, prefix []byte) ([]byte, error) {
	return chunkFramesOf(buf, v, func(c ChunkFrames) (int, int) { return c.From(prefix) })
}

// chunkFramesOf returns the entries of the frames pick chooses of a
// framed chunk, or all the entries of an unframed one.
func chunkFramesOf(buf, v []byte, pick func(ChunkFrames) (int, int)) ([]byte, error) {
	if len(v) == 0 || v[0] != ChunkFramesMagic {
		return DecompressPost(buf, v)
	}
	c, err := ReadChunkFrames(v)
	if err != nil {
		return nil, err
	}
	from, to := pick(c)
	return c.Decompress(buf, from, to)
}
