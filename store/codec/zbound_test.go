package codec

import (
	"bytes"
	"testing"
)

// TestDecompressBounded: a stored value whose zstd frame would
// decompress to more than a block may (maxBlockPlain) is refused, not
// decompressed, whether it is an event block (schema 5 or 6) or a
// posting value of a compressed batch (schema 6). A frame of zeros a few
// kilobytes long would otherwise take any amount of memory.
func TestDecompressBounded(t *testing.T) {
	plain := make([]byte, maxBlockPlain+1)
	post := CompressPost(nil, plain)
	if len(post) > maxBlockPlain/1000 {
		t.Fatalf("the frame takes %d bytes", len(post))
	}
	if p, err := DecompressPost(nil, post); err == nil || len(p) != 0 {
		t.Fatalf("posting value of %d bytes: %d bytes, %v", len(plain), len(p), err)
	}
	for _, magic := range []byte{ZBlockMagic, TermlessBlockMagic} {
		if _, es, err := DecodeBlockInto(nil, nil, CompressBlock(magic, plain)); err == nil || es != nil {
			t.Fatalf("block %q of %d bytes: %d entries, %v", magic, len(plain), len(es), err)
		}
	}
	// A large value within the bound decompresses.
	small := bytes.Repeat([]byte{7}, 1<<20)
	if p, err := DecompressPost(nil, CompressPost(nil, small)); err != nil || !bytes.Equal(p, small) {
		t.Fatalf("posting value of %d bytes: %d bytes, %v", len(small), len(p), err)
	}
}
