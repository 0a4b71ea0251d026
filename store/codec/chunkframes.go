package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Schema 9 stores a posting chunk in frames (ChunkFramesMagic): looking
// a term up in a chunk of schema 6 decompressed all of its 32 KiB to read
// a posting or two, once in every batch of the case, and that was most
// of a small query's work in a large case. A framed chunk is
//
//	ChunkFramesMagic
//	uvarint n                   number of frames
//	n × (uvarint len, term,     the frame's first term,
//	     uvarint stored length) and the length of its zstd frame
//	n zstd frames               each of whole chunk entries, about
//	                            ChunkFrameBytes of them
//
// and decompresses, whole, to the same entries as an unframed chunk:
// DecompressPost reads either form. ReadChunkFrames, ChunkFrames.For and
// From and Decompress read only the frames a term or a prefix may be in. A value's
// first byte tells the forms apart (a zstd frame starts with 0x28). The
// checksum of the stored value (AppendSum) covers the directory and
// every frame, and is checked before any of it is read.
const (
	ChunkFramesMagic = 'C'
	ChunkFrameBytes  = 4 << 10
)

var errChunkFrames = errors.New("malformed chunk or chunk directory")

// CompressChunk appends the framed stored form of plain, a chunk's
// entries (see ReadChunk; delta-encoded lists), without its checksum, to
// dst. It refuses entries that are not well formed, none at all, or a
// frame's first term that is empty (the directory could not hold it).
func CompressChunk(dst, plain []byte) ([]byte, error) {
	type frame struct {
		first    []byte
		from, to int
	}
	var frames []frame
	if len(plain) == 0 {
		return dst, errChunkFrames
	}
	for off := 0; off < len(plain); {
		end, term, _, ok := chunkEntryAt(plain, off, true)
		if !ok || off == 0 && len(term) == 0 {
			return dst, errChunkFrames
		}
		if n := len(frames); n == 0 || frames[n-1].to-frames[n-1].from >= ChunkFrameBytes && len(term) > 0 {
			frames = append(frames, frame{first: term, from: off})
		}
		frames[len(frames)-1].to = end
		off = end
	}
	zs := make([][]byte, len(frames))
	var z []byte
	for i, f := range frames {
		n := len(z)
		z = zEncoder().EncodeAll(plain[f.from:f.to], z)
		zs[i] = z[n:]
	}
	dst = append(dst, ChunkFramesMagic)
	dst = binary.AppendUvarint(dst, uint64(len(frames)))
	for i, f := range frames {
		dst = binary.AppendUvarint(dst, uint64(len(f.first)))
		dst = append(dst, f.first...)
		dst = binary.AppendUvarint(dst, uint64(len(zs[i])))
	}
	return append(dst, z...), nil
}

// chunkFrame is one frame of a framed chunk's directory.
type chunkFrame struct {
	first []byte
	z     []byte
}

// readChunkFrames parses a framed chunk (v without its checksum) into its
// frames; it fails for a malformed one.
func readChunkFrames(v []byte, out []chunkFrame) ([]chunkFrame, error) {
	if len(v) == 0 || v[0] != ChunkFramesMagic {
		return nil, errChunkFrames
	}
	p := v[1:]
	n, l := binary.Uvarint(p)
	if l <= 0 || n == 0 || n > uint64(len(p)) {
		return nil, errChunkFrames
	}
	p = p[l:]
	out = out[:0]
	lens := make([]uint64, 0, n)
	for range n {
		tl, l := binary.Uvarint(p)
		if l <= 0 || tl == 0 || tl > uint64(len(p)-l) {
			return nil, errChunkFrames
		}
		first := p[l : l+int(tl)]
		p = p[l+int(tl):]
		zl, l := binary.Uvarint(p)
		if l <= 0 {
			return nil, errChunkFrames
		}
		p = p[l:]
		if k := len(out); k > 0 && bytes.Compare(out[k-1].first, first) >= 0 {
			return nil, errChunkFrames
		}
		out = append(out, chunkFrame{first: first})
		lens = append(lens, zl)
	}
	for i, zl := range lens {
		if zl > uint64(len(p)) {
			return nil, errChunkFrames
		}
		out[i].z = p[:zl]
		p = p[zl:]
	}
	if len(p) != 0 {
		return nil, errChunkFrames
	}
	return out, nil
}

// decompressChunkFrames appends the entries of frames [from, to) of a
// framed chunk to buf[:0].
func decompressChunkFrames(buf []byte, fs []chunkFrame, from, to int) ([]byte, error) {
	out := buf[:0]
	for _, f := range fs[from:to] {
		var err error
		if out, err = zDecoder().DecodeAll(f.z, out); err != nil {
			return nil, err
		}
		if len(out) > maxBlockPlain {
			return nil, errChunkFrames
		}
	}
	return out, nil
}

// ChunkFrames is the directory of a framed chunk.
type ChunkFrames struct{ fs []chunkFrame }

// ReadChunkFrames parses the directory of a stored framed chunk (checked,
// without its checksum); it fails for a malformed one.
func ReadChunkFrames(v []byte) (ChunkFrames, error) {
	fs, err := readChunkFrames(v, nil)
	return ChunkFrames{fs}, err
}

// For returns the range [from, to) of frames that may hold term: the
// frame whose first term is the last at or before it.
func (c ChunkFrames) For(term []byte) (from, to int) {
	i := lastFrameAtOrBefore(c.fs, term)
	return i, i + 1
}

// From returns the range [from, to) of frames that may hold terms with
// prefix: from the frame that may hold the first such term to the last
// whose first term has the prefix.
func (c ChunkFrames) From(prefix []byte) (from, to int) {
	from = lastFrameAtOrBefore(c.fs, prefix)
	to = from + 1
	for to < len(c.fs) && bytes.HasPrefix(c.fs[to].first, prefix) {
		to++
	}
	return from, to
}

// Stored returns frame i as stored (its zstd bytes).
func (c ChunkFrames) Stored(i int) []byte { return c.fs[i].z }

// Decompress appends the entries of frames [from, to) to buf[:0].
func (c ChunkFrames) Decompress(buf []byte, from, to int) ([]byte, error) {
	return decompressChunkFrames(buf, c.fs, from, to)
}

// lastFrameAtOrBefore returns the index of the last frame whose first
// term sorts at or before term; 0 if none does.
func lastFrameAtOrBefore(fs []chunkFrame, term []byte) int {
	i := 0
	for j := 1; j < len(fs) && bytes.Compare(fs[j].first, term) <= 0; j++ {
		i = j
	}
	return i
}
