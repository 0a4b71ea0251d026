package timeline

import (
	"errors"
	"io"
)

// eachJSONObject calls fn for every top-level JSON object of r, whether
// the objects are one per line, concatenated without separators or
// pretty-printed. n counts the objects (1-based); line is the line the
// object starts on. Lines that do not start an object, and objects that
// are not well formed, are reported and skipped up to the next line.
// raw is valid until fn returns. unit names the objects in warnings.
func (p *parser) eachJSONObject(r io.Reader, unit string, fn func(raw []byte, n, line int64) error) error {
	s := newJSONScanner(r)
	defer s.release()
	var n int64
	var lastErr error
	for {
		c, err := s.peekNonSpace()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p.errorf("read: %w", err)
		}
		if err := p.tick(); err != nil {
			return err
		}
		line := s.line + 1
		if c != '{' {
			if n == 0 && lastErr == nil {
				return p.errorf("not a JSON object: starts with %q", c)
			}
			p.warnf(line, "line", "not a JSON object (starts with %q): line skipped", c)
			if err := s.skipLine(); err != nil && !errors.Is(err, io.EOF) {
				return p.errorf("read: %w", err)
			}
			continue
		}
		s.startCapture()
		err = s.skipNested()
		raw, over := s.stopCapture()
		if err != nil {
			var se *syntaxError
			if !errors.As(err, &se) {
				return p.errorf("read: %w", err)
			}
			lastErr = se
			p.warnf(line, "line", "invalid JSON (at line %d, byte %d: %s): skipped to the line after", se.line, se.offset, se.msg)
			if err := s.skipLine(); err != nil && !errors.Is(err, io.EOF) {
				return p.errorf("read: %w", err)
			}
			continue
		}
		n++
		if over {
			p.warnf(n, unit, "line %d: larger than %d bytes: skipped", line, maxRecordBytes)
			continue
		}
		if err := fn(raw, n, line); err != nil {
			return err
		}
	}
	if n == 0 && lastErr != nil {
		return p.errorf("no %s could be read: %w", unit, lastErr)
	}
	return nil
}
