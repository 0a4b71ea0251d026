package codec

import (
	"hash/maphash"
	"math/bits"
)

// KeyFilter is a Bloom filter that grows by adding layers, each twice the
// size of the one before, so it keeps about 1 % false positives at any
// number of keys, up to maxFilterBytes in all.
type KeyFilter struct {
	seed   maphash.Seed
	layers []filterLayer
}

type filterLayer struct {
	bits  []uint64
	mask  uint64 // len(bits)*64 - 1
	n     int    // keys added
	limit int    // keys it takes before the next layer starts
}

const (
	filterFirstBits = 1 << 22 // 512 KiB: 400,000 keys at 10 bits each
	filterHashes    = 7
)

// maxFilterBytes bounds a filter's memory (about 50 million keys).
var maxFilterBytes = 64 << 20

// NewKeyFilter returns an empty filter of one layer.
func NewKeyFilter() *KeyFilter {
	f := &KeyFilter{seed: maphash.MakeSeed()}
	f.grow(filterFirstBits)
	return f
}

func (f *KeyFilter) grow(nbits int) {
	f.layers = append(f.layers, filterLayer{bits: make([]uint64, nbits/64), mask: uint64(nbits - 1), limit: nbits / 10})
}

// size is the filter's memory in bytes.
func (f *KeyFilter) size() int {
	n := 0
	for _, l := range f.layers {
		n += len(l.bits) * 8
	}
	return n
}

func (f *KeyFilter) hashes(key []byte) (uint64, uint64) {
	h := maphash.Bytes(f.seed, key)
	return h, bits.RotateLeft64(h, 32) | 1
}

// Has reports whether key may have been added.
func (f *KeyFilter) Has(key []byte) bool {
	h1, h2 := f.hashes(key)
	for i := range f.layers {
		l := &f.layers[i]
		found := true
		for j := range uint64(filterHashes) {
			b := (h1 + j*h2) & l.mask
			if l.bits[b>>6]&(1<<(b&63)) == 0 {
				found = false
				break
			}
		}
		if found {
			return true
		}
	}
	return false
}

// Add adds key. It reports false when the filter is full; it must then
// not be used again.
func (f *KeyFilter) Add(key []byte) bool {
	l := &f.layers[len(f.layers)-1]
	if l.n >= l.limit {
		next := 2 * (int(l.mask) + 1)
		if f.size()+next/8 > maxFilterBytes {
			return false
		}
		f.grow(next)
		l = &f.layers[len(f.layers)-1]
	}
	h1, h2 := f.hashes(key)
	for j := range uint64(filterHashes) {
		b := (h1 + j*h2) & l.mask
		l.bits[b>>6] |= 1 << (b & 63)
	}
	l.n++
	return true
}
