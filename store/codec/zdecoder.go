package codec

import "github.com/klauspost/compress/zstd"

// zDecoderOptions are the options of the shared zstd decoder. A block's
// zstd frame carries a checksum of its content (xxhash) besides the
// block's own CRC-32C: OpenBlock checks the CRC-32C of every block
// written with ZBlockMagic, over the same bytes, before it is
// decompressed, so the frame's checksum is not computed again. One
// decoder for each of GOMAXPROCS concurrent decodes (a query reads blocks
// on several goroutines).
func zDecoderOptions() []zstd.DOption {
	return []zstd.DOption{
		zstd.WithDecoderMaxMemory(maxBlockPlain),
		zstd.WithDecoderConcurrency(0),
		zstd.IgnoreChecksum(true),
	}
}
