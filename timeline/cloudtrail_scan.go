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
	inBuf   int    // while capturing, where the capture starts in buf; -1 once it is in cap
	cap     []byte // captured bytes
	limit   int    // capture limit; beyond it capture stops and over is set
	over    bool
}

var errTruncated = errors.New("unexpected end of input")

// scanBufs are reused: a case holds many small CloudTrail files.
var scanBufs = sync.Pool{New: func() any { return new([256 << 10]byte) }}

func newJSONScanner(r io.Reader) *jsonScanner {
	b := scanBufs.Get().(*[256 << 10]byte)
	return &jsonScanner{r: r, buf: b[:], pooled: b, limit: maxRecordBytes, inBuf: -1}
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
	if s.capture && s.inBuf >= 0 {
		// The capture so far lives in buf, about to be overwritten: it
		// moves to cap, which takes what follows.
		part := s.buf[s.inBuf:s.end]
		s.inBuf, s.cap = -1, s.cap[:0]
		if len(part) > s.limit {
			s.over = true
		} else {
			s.cap = append(s.cap, part...)
		}
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
	if n == 1 {
		if chunk[0] == '\n' {
			s.line++
		}
	} else {
		s.line += int64(bytes.Count(chunk, newline))
	}
	if s.capture && s.inBuf < 0 && !s.over {
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
// non-nil the raw contents (without quotes, escapes left as they are) are
// appended to it, up to 64 bytes.
func (s *jsonScanner) skipString(key *[]byte) error {
	s.consume(1) // opening quote
	esc := false
	for {
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		start := s.pos
		next, in, e := stringEnd(s.buf[:s.end], start, esc)
		esc = e
		if key != nil && len(*key) < 64 {
			stop := next
			if !in {
				stop-- // the closing quote
			}
			*key = append(*key, s.buf[start:min(stop, start+64-len(*key))]...)
		}
		s.consume(next - start)
		if !in {
			return nil
		}
	}
}

// stringEnd scans string contents in buf from i, where esc says that the
// byte at i is escaped (its backslash ended the previous fill). It returns
// the index just past the closing quote and in == false, or len(buf) and
// in == true when the string goes on, with escOut reporting a backslash
// that escapes the first byte of the next fill.
func stringEnd(buf []byte, i int, esc bool) (next int, in, escOut bool) {
	if esc {
		i++
		if i > len(buf) {
			return len(buf), true, true
		}
	}
	for {
		q := bytes.IndexByte(buf[i:], '"')
		end := len(buf)
		if q >= 0 {
			end = i + q
		}
		// Each backslash before the quote escapes the byte after it.
		for {
			b := bytes.IndexByte(buf[i:end], '\\')
			if b < 0 {
				break
			}
			i += b + 2
			if i > end {
				break
			}
		}
		switch {
		case i <= end && q < 0:
			return len(buf), true, false
		case i <= end:
			return end + 1, false, false
		case i > len(buf):
			return len(buf), true, true // the backslash ends buf
		}
		// The quote at end was escaped: look for the next one.
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
// It keeps its string, escape and nesting state across buffer fills and
// consumes each fill once.
func (s *jsonScanner) skipNested() error {
	var stack [64]byte // open brackets; deeper nesting is counted only
	depth := 0
	inStr, esc := false, false
	for {
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		buf := s.buf[:s.end]
		i := s.pos
		for i < len(buf) {
			if inStr {
				i, inStr, esc = stringEnd(buf, i, esc)
				continue
			}
			c := buf[i]
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				if depth < len(stack) {
					stack[depth] = c
				}
				depth++
			case '}', ']':
				if depth == 0 {
					s.consume(i - s.pos)
					return s.fail("unexpected %q", c)
				}
				depth--
				if depth < len(stack) && (stack[depth] == '{') != (c == '}') {
					s.consume(i - s.pos)
					return s.fail("mismatched %q", c)
				}
				if depth == 0 {
					s.consume(i + 1 - s.pos)
					return nil
				}
			}
			i++
		}
		s.consume(i - s.pos)
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
	s.inBuf = s.pos // a record within the buffer is returned from it, uncopied
}

// stopCapture ends capturing and returns the captured bytes (valid until
// the scanner reads on) and whether the limit was exceeded.
func (s *jsonScanner) stopCapture() ([]byte, bool) {
	s.capture = false
	if s.inBuf >= 0 {
		raw := s.buf[s.inBuf:s.pos]
		s.inBuf = -1
		if len(raw) > s.limit {
			return nil, true
		}
		return raw, false
	}
	return s.cap, s.over
}
