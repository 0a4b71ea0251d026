package timeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// jsonScanner splits a stream of JSON text into values without decoding
// them. It understands just enough JSON (strings, nesting) to find where a
// value ends, so one malformed record (a raw newline inside a string, as in
// a published AWS example) does not lose the records after it.
type jsonScanner struct {
	pooled *[256 << 10]byte
	r      io.Reader
	buf    []byte
	pos    int
	end    int
	base   int64 // stream offset of buf[0]
	line   int64 // newlines before buf[pos]
	err    error // sticky read error

	capture bool   // append consumed bytes to cap
	cap     []byte // captured bytes
	limit   int    // capture limit; beyond it capture stops and over is set
	over    bool
}

var errTruncated = errors.New("unexpected end of input")

// scanBufs are reused: a case holds many small CloudTrail files.
var scanBufs = sync.Pool{New: func() any { return new([256 << 10]byte) }}

func newJSONScanner(r io.Reader) *jsonScanner {
	b := scanBufs.Get().(*[256 << 10]byte)
	return &jsonScanner{r: r, buf: b[:], pooled: b, limit: maxRecordBytes}
}

// release returns the scanner's buffer; the scanner is unusable after.
func (s *jsonScanner) release() {
	if s.pooled != nil {
		scanBufs.Put(s.pooled)
		s.pooled, s.buf = nil, nil
	}
}

// syntaxError is a structural problem at a stream position.
type syntaxError struct {
	msg    string
	offset int64
	line   int64
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d, byte %d: %s", e.line, e.offset, e.msg)
}

func (s *jsonScanner) offset() int64 { return s.base + int64(s.pos) }

func (s *jsonScanner) fail(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: s.offset(), line: s.line + 1}
}

// fill makes at least one unread byte available, or returns the read error.
func (s *jsonScanner) fill() error {
	if s.pos < s.end {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	s.base += int64(s.end)
	s.pos, s.end = 0, 0
	for s.end == 0 {
		n, err := s.r.Read(s.buf)
		s.end = n
		if err != nil {
			s.err = err
			if n == 0 {
				return err
			}
		}
		if n == 0 && err == nil {
			continue
		}
	}
	return nil
}

var newline = []byte{'\n'}

// consume takes buf[pos:pos+n], capturing it when asked.
func (s *jsonScanner) consume(n int) {
	chunk := s.buf[s.pos : s.pos+n]
	s.line += int64(bytes.Count(chunk, newline))
	if s.capture && !s.over {
		if len(s.cap)+n > s.limit {
			s.over = true
		} else {
			s.cap = append(s.cap, chunk...)
		}
	}
	s.pos += n
}

// peekNonSpace skips white space and returns the next byte without
// consuming it.
func (s *jsonScanner) peekNonSpace() (byte, error) {
	for {
		if err := s.fill(); err != nil {
			return 0, err
		}
		i := s.pos
		for i < s.end {
			switch s.buf[i] {
			case ' ', '\t', '\r', '\n':
				i++
				continue
			}
			break
		}
		if i > s.pos {
			s.consume(i - s.pos)
		}
		if s.pos < s.end {
			return s.buf[s.pos], nil
		}
	}
}

// expect consumes byte c after optional white space.
func (s *jsonScanner) expect(c byte) error {
	b, err := s.peekNonSpace()
	if err != nil {
		return s.eof(err)
	}
	if b != c {
		return s.fail("expected %q, found %q", c, b)
	}
	s.consume(1)
	return nil
}

func (s *jsonScanner) eof(err error) error {
	if errors.Is(err, io.EOF) {
		return s.fail("%v", errTruncated)
	}
	return err
}

// skipString consumes a string whose opening quote is next; when key is
// non-nil the raw contents (without quotes) are appended to it, up to 64
// bytes.
func (s *jsonScanner) skipString(key *[]byte) error {
	s.consume(1) // opening quote
	for {
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		// The next quote, or an earlier backslash.
		i := s.end
		if q := bytes.IndexByte(s.buf[s.pos:s.end], '"'); q >= 0 {
			i = s.pos + q
		}
		if b := bytes.IndexByte(s.buf[s.pos:i], '\\'); b >= 0 {
			i = s.pos + b
		}
		if key != nil && len(*key) < 64 {
			*key = append(*key, s.buf[s.pos:min(i, s.pos+64)]...)
		}
		s.consume(i - s.pos)
		if s.pos == s.end {
			continue
		}
		if s.buf[s.pos] == '"' {
			s.consume(1)
			return nil
		}
		// Backslash: take it and the escaped byte.
		if key != nil {
			*key = append(*key, '\\')
		}
		s.consume(1)
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		s.consume(1)
	}
}

// skipValue consumes one JSON value (after optional white space).
func (s *jsonScanner) skipValue() error {
	c, err := s.peekNonSpace()
	if err != nil {
		return s.eof(err)
	}
	switch c {
	case '"':
		return s.skipString(nil)
	case '{', '[':
		return s.skipNested()
	case '}', ']', ',', ':':
		return s.fail("unexpected %q", c)
	}
	// A number or literal: runs to a delimiter.
	for {
		if err := s.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		i := s.pos
		for i < s.end {
			switch s.buf[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n', '"', '{', '[', ':':
				s.consume(i - s.pos)
				return nil
			}
			i++
		}
		s.consume(i - s.pos)
	}
}

// skipNested consumes an object or array whose opening bracket is next.
func (s *jsonScanner) skipNested() error {
	var stack [64]byte
	deep := 0 // nesting beyond the fixed stack is tracked by count only
	depth := 0
	push := func(c byte) {
		if depth < len(stack) {
			stack[depth] = c
		} else {
			deep++
		}
		depth++
	}
	for {
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		i := s.pos
	scan:
		for i < s.end {
			switch c := s.buf[i]; c {
			case '"':
				break scan
			case '{', '[':
				push(c)
			case '}', ']':
				if depth == 0 {
					s.consume(i - s.pos)
					return s.fail("unexpected %q", c)
				}
				depth--
				if depth < len(stack) {
					open := stack[depth]
					if (open == '{') != (c == '}') {
						s.consume(i - s.pos)
						return s.fail("mismatched %q", c)
					}
				} else {
					deep--
				}
				if depth == 0 {
					s.consume(i + 1 - s.pos)
					return nil
				}
			}
			i++
		}
		s.consume(i - s.pos)
		if s.pos < s.end && s.buf[s.pos] == '"' {
			if err := s.skipString(nil); err != nil {
				return err
			}
		}
	}
}

// skipLine discards input up to and including the next newline.
func (s *jsonScanner) skipLine() error {
	for {
		if err := s.fill(); err != nil {
			return err
		}
		i := s.pos
		for i < s.end && s.buf[i] != '\n' {
			i++
		}
		if i < s.end {
			s.consume(i + 1 - s.pos)
			return nil
		}
		s.consume(i - s.pos)
	}
}

// startCapture begins capturing into a fresh buffer.
func (s *jsonScanner) startCapture() {
	s.capture, s.over = true, false
	s.cap = s.cap[:0]
}

// stopCapture ends capturing and returns the captured bytes (valid until
// the next capture) and whether the limit was exceeded.
func (s *jsonScanner) stopCapture() ([]byte, bool) {
	s.capture = false
	return s.cap, s.over
}
