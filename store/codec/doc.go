// Package codec holds the search index's encodings: posting lists (fixed
// and delta-encoded groups with the seek table), posting chunks and their
// keys, the compressed form of both (postz.go), event block encoding and compression, the event header, and the
// duplicate-key Bloom filter.
//
// It is pure encode and decode: no bbolt, no I/O. Package store puts what
// it encodes into buckets and reads it back through it. Decoders take
// bytes from a case file that may be damaged: they report malformed input
// and never panic or read past it.
package codec
