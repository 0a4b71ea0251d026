package codec

import "errors"

// Schema 6 compresses the posting values of the batches it writes: a
// batch's own lists and its chunks are each stored as the zstd frame of
// their delta encoding (see List and ReadChunk), then sealed with the
// checksum of key and frame (AppendSum). The batch's entry says so
// (package store); lists of older batches are read as they are. The
// shared encoder at its fastest level (block.go) does it: on the
// benchmark corpus lists and chunks take about two thirds of their
// delta encoding, a batch's time-order list (regular steps) a twentieth.
//
// A value is checked against its checksum before it is decompressed; the
// frame's own checksum, which the shared encoder writes, is not checked
// again (zDecoderOptions).

// errNotFrame: a stored value of a compressed batch is empty.
var errNotFrame = errors.New("not a zstd frame")

// CompressPost appends the stored form of an encoded posting list or
// chunk in a compressed batch, without its checksum, to dst.
func CompressPost(dst, plain []byte) []byte {
	return zEncoder().EncodeAll(plain, dst)
}

// DecompressPost returns the encoded list or chunk of a stored value of a
// compressed batch (checked, without its checksum), appended to buf[:0];
// a chunk in either form (see CompressChunk).
// It fails for a value that is not a zstd frame, or one that would
// decompress to more than a block may (maxBlockPlain, the shared
// decoder's bound: a batch's largest list, the time order of a Writer's
// flush of events, takes a few bytes a posting).
func DecompressPost(buf, v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, errNotFrame
	}
	if v[0] == ChunkFramesMagic {
		fs, err := readChunkFrames(v, nil)
		if err != nil {
			return nil, err
		}
		return decompressChunkFrames(buf, fs, 0, len(fs))
	}
	return zDecoder().DecodeAll(v, buf[:0])
}
