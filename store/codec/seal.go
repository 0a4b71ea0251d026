package codec

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Values written by schema 4 carry a checksum: CRC-32C (Castagnoli) of
// their key and value, appended as 4 big-endian bytes. It is computed in
// hardware on common CPUs, so it costs little next to the compression and
// bbolt writes around it. A value is checked before it is decoded; a
// damaged value gives an error, never a different answer. The key is
// covered too: a value found under another key (a flipped item id or
// term) fails its check.
//
// Records (JSON values, fixed-width entries) are sealed as RecordMagic,
// the value, then the checksum: RecordMagic is a byte no older value
// starts with (JSON starts with '{', and fixed-width entries are told
// apart by their length), so a reader tells a sealed value from an older
// one. Event blocks are sealed as SealedBlockMagic (ZBlockMagic from
// schema 5, TermlessBlockMagic from schema 6), the compressed entries,
// then the checksum. Posting lists and chunks carry only the checksum
// (after the zstd frame of the list from schema 6, postz.go): their
// batch's entry says whether its values are sealed and compressed.
const (
	SumSize          = 4
	RecordMagic      = 0xC7
	SealedBlockMagic = 'C'
)

// ErrChecksum means a value does not match its checksum: it was damaged.
var ErrChecksum = errors.New("checksum mismatch")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sum is the checksum of a value stored under key.
func Sum(key, v []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, key), castagnoli, v)
}

// AppendSum appends the checksum of v stored under key to v.
func AppendSum(key, v []byte) []byte {
	return binary.BigEndian.AppendUint32(v, Sum(key, v))
}

// CheckSum checks a value written by AppendSum and returns it without
// its checksum.
func CheckSum(key, v []byte) ([]byte, error) {
	if len(v) < SumSize {
		return nil, ErrChecksum
	}
	body := v[:len(v)-SumSize]
	if binary.BigEndian.Uint32(v[len(body):]) != Sum(key, body) {
		return nil, ErrChecksum
	}
	return body, nil
}

// SealRecord returns the sealed form of a record stored under key.
func SealRecord(key, payload []byte) []byte {
	v := make([]byte, 0, 1+len(payload)+SumSize)
	v = append(v, RecordMagic)
	v = append(v, payload...)
	return AppendSum(key, v)
}

// OpenRecord returns the payload of a record stored under key. sealed
// reports whether it carried a checksum (an older value is returned as
// it is); err is ErrChecksum for a sealed record that fails its check.
func OpenRecord(key, v []byte) (payload []byte, sealed bool, err error) {
	payload, sealed, err = openSealed(RecordMagic, key, v)
	if sealed && err == nil {
		payload = payload[1:]
	}
	return
}

// OpenBlock returns a stored event block ready for DecodeBlockInto:
// a sealed block checked and without its checksum, an older one as it
// is. sealed reports which it was. Of a block in frames (schema 8) the
// checksum covers the key and the directory, which holds each frame's
// own checksum: a frame is checked when it is decoded, so that a point
// read checks what it reads, not the whole block.
func OpenBlock(key, v []byte) (block []byte, sealed bool, err error) {
	if len(v) > 0 && (v[0] == FramedBlockMagic || v[0] == GroupedBlockMagic) {
		if len(v) < 1+SumSize {
			return nil, true, ErrChecksum
		}
		body := v[:len(v)-SumSize]
		n, ok := directoryLen(body)
		if !ok || binary.BigEndian.Uint32(v[len(body):]) != Sum(key, body[:n]) {
			return nil, true, ErrChecksum
		}
		return body, true, nil
	}
	if len(v) > 0 && (v[0] == ZBlockMagic || v[0] == TermlessBlockMagic) {
		return openSealed(v[0], key, v)
	}
	return openSealed(SealedBlockMagic, key, v)
}

// SealBlock returns a block value (as CompressBlock returned it, with
// room for the checksum) sealed for key: with the checksum of its key
// and its directory for a block in frames, of its key and whole value
// for any other.
func SealBlock(key, v []byte) []byte {
	if n, ok := directoryLen(v); ok {
		return binary.BigEndian.AppendUint32(v, Sum(key, v[:n]))
	}
	return AppendSum(key, v)
}

// directoryLen returns the length of a framed or grouped block value's
// magic and directory (the value without its checksum).
func directoryLen(v []byte) (int, bool) {
	if len(v) == 0 {
		return 0, false
	}
	switch v[0] {
	case FramedBlockMagic:
		var dir [maxFrames]frame
		fs, err := readFrames(dir[:0], v)
		if err != nil {
			return 0, false
		}
		return fs[0].off, true
	case GroupedBlockMagic:
		var bufs groupBufs
		d, err := readGroups(v, &bufs)
		if err != nil {
			return 0, false
		}
		return d.frames[0].off, true
	}
	return 0, false
}

// openSealed checks v when it starts with magic and returns it without
// its checksum; a value without magic is returned as it is.
func openSealed(magic byte, key, v []byte) (body []byte, sealed bool, err error) {
	if len(v) == 0 || v[0] != magic {
		return v, false, nil
	}
	body, err = CheckSum(key, v) // nil body on error
	return body, true, err
}
