package codec

import "encoding/binary"

// Every batch of postings keeps, for each term, one value keyed (batch,
// term) (see PostKey). Terms with fewer than ChunkMaxPostings postings in
// a batch are stored together in chunks of about ChunkBytes, keyed
// (batch, 0, first term) (see ChunkKey): most terms (one session's access
// key, a rarely seen address) have a posting or two, and a key per term
// cost more than the postings. A chunk is a sequence of (uvarint len,
// term, list), in term order.
const (
	ChunkMaxPostings = 64
	ChunkBytes       = 32 << 10
)

// PostKey is the key of a term's own posting list in a batch.
func PostKey(batch uint64, term string) []byte {
	k := make([]byte, 8, 8+len(term))
	binary.BigEndian.PutUint64(k, batch)
	return append(k, term...)
}

// ChunkKey is the key of a batch's chunk whose first term is first.
func ChunkKey(batch uint64, first string) []byte {
	k := make([]byte, 9, 9+len(first))
	binary.BigEndian.PutUint64(k, batch)
	return append(k, first...)
}

// ReadChunk calls fn for each entry of a chunk, in order, until fn
// returns false. It reports false for a malformed chunk. An entry is
// (uvarint len, term, list): in a batch of fixed postings the list is
// uvarint n and n postings, in a delta-encoded batch uvarint len and the
// list (see List).
func ReadChunk(v []byte, delta bool, fn func(term []byte, list []byte) bool) bool {
	for off := 0; off < len(v); {
		end, term, list, ok := chunkEntryAt(v, off, delta)
		if !ok {
			return false
		}
		if !fn(term, list) {
			return true
		}
		off = end
	}
	return true
}

// chunkEntryAt reads the chunk entry at v[off:]: where it ends, its term
// and its list (after the list's count); false if it is malformed.
func chunkEntryAt(v []byte, off int, delta bool) (end int, term, list []byte, ok bool) {
	p := v[off:]
	n, l := binary.Uvarint(p)
	if l <= 0 || n > uint64(len(p)-l) {
		return 0, nil, nil, false
	}
	term = p[l : l+int(n)]
	p = p[l+int(n):]
	m, l := binary.Uvarint(p)
	size := uint64(PostingSize)
	if delta {
		size = 1
	}
	if l <= 0 || m > uint64(len(p)-l)/size {
		return 0, nil, nil, false
	}
	list = p[l : l+int(m*size)]
	return len(v) - len(p) + l + int(m*size), term, list, true
}

// AppendChunkEntry appends one chunk entry, encoding its list in scratch
// (returned for reuse) first.
func AppendChunkEntry(b, scratch []byte, term string, ps []Posting, delta bool) ([]byte, []byte) {
	scratch = AppendList(scratch[:0], ps, delta)
	return AppendChunkRaw(b, term, scratch, delta), scratch
}

// AppendChunkRaw appends a chunk entry whose list is already encoded.
func AppendChunkRaw(b []byte, term string, list []byte, delta bool) []byte {
	b = binary.AppendUvarint(b, uint64(len(term)))
	b = append(b, term...)
	if delta {
		b = binary.AppendUvarint(b, uint64(len(list)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(list)/PostingSize))
	}
	return append(b, list...)
}
