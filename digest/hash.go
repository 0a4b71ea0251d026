package digest

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
)

// content is what hashing a stored object found.
type content struct {
	Sum      [32]byte // SHA-256 of the decompressed first gzip member (or of the bytes, when not gzip)
	Gzip     bool     // the object starts with the gzip magic
	Size     int64    // bytes hashed
	Trailing int64    // bytes after the first gzip member
	// TrailingGzip is set when the trailing bytes start another gzip member.
	TrailingGzip bool
}

// errDecode marks a problem with an object's content (not gzip, corrupt,
// truncated) as opposed to an I/O error reading it.
type errDecode struct{ err error }

func (e errDecode) Error() string { return e.err.Error() }
func (e errDecode) Unwrap() error { return e.err }

// ioReader remembers the error of the underlying reader, so a decoder's
// error can be told apart from a failing read of the evidence.
type ioReader struct {
	r   io.Reader
	err error
}

func (r *ioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// hasher hashes objects, reusing its buffers; one per goroutine.
type hasher struct {
	br  *bufio.Reader
	zr  *gzip.Reader
	sha hash.Hash
	buf []byte
}

func newHasher() *hasher {
	return &hasher{br: bufio.NewReaderSize(nil, 64<<10), sha: sha256.New(), buf: make([]byte, 64<<10)}
}

// hash reads r to the end and hashes its decompressed first gzip member.
// When keep is not nil the hashed bytes are also written to it, up to
// limit bytes (more is a decode error). A decode problem is returned as
// errDecode; anything else is an I/O error.
func (h *hasher) hash(r io.Reader, keep io.Writer, limit int64) (content, error) {
	var c content
	src := &ioReader{r: r}
	h.br.Reset(src)
	h.sha.Reset()
	w := io.Writer(h.sha)
	if keep != nil {
		w = io.MultiWriter(h.sha, keep)
	}
	magic, _ := h.br.Peek(2)
	if src.err != nil {
		return c, src.err
	}
	var body io.Reader = h.br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		c.Gzip = true
		var err error
		if h.zr == nil {
			h.zr, err = gzip.NewReader(h.br)
		} else {
			err = h.zr.Reset(h.br)
		}
		if err != nil {
			if src.err != nil {
				return c, src.err
			}
			return c, errDecode{fmt.Errorf("gzip header: %w", err)}
		}
		h.zr.Multistream(false)
		body = h.zr
	}
	if limit > 0 {
		body = io.LimitReader(body, limit+1)
	}
	n, err := io.CopyBuffer(w, body, h.buf)
	c.Size = n
	if src.err != nil {
		return c, src.err
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return c, errDecode{errors.New("compressed data ends early (truncated)")}
		}
		return c, errDecode{fmt.Errorf("decompress: %w", err)}
	}
	if limit > 0 && n > limit {
		return c, errDecode{fmt.Errorf("larger than %d bytes decompressed", limit)}
	}
	copy(c.Sum[:], h.sha.Sum(nil))
	if c.Gzip {
		if next, _ := h.br.Peek(2); len(next) > 0 {
			c.TrailingGzip = len(next) == 2 && next[0] == 0x1f && next[1] == 0x8b
			m, _ := io.CopyBuffer(io.Discard, h.br, h.buf)
			c.Trailing = m
		}
		if src.err != nil {
			return c, src.err
		}
	}
	return c, nil
}
