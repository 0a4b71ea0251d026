package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
)

// canonicalJSON rewrites valid JSON in one canonical form: no white space,
// object members sorted by key, strings with the fewest escapes. Two copies
// of a record that differ only in layout, key order or escaping (an S3 log
// file and an event-history export, say) get the same bytes.
func canonicalJSON(in []byte) ([]byte, error) {
	c := canonWriter{in: in, out: make([]byte, 0, len(in))}
	if err := c.value(0); err != nil {
		return nil, err
	}
	c.ws()
	if c.i != len(c.in) {
		return nil, errCanon
	}
	return c.out, nil
}

var errCanon = errors.New("not canonicalisable JSON")

type canonWriter struct {
	in      []byte
	i       int
	out     []byte
	scratch []byte
}

type canonMember struct {
	key        []byte // decoded key
	start, end int    // member bytes in out
}

func (c *canonWriter) ws() {
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case ' ', '\t', '\r', '\n':
			c.i++
			continue
		}
		return
	}
}

// next skips white space and returns the byte there, 0 at the end of the
// input (a byte no JSON value starts or goes on with).
func (c *canonWriter) next() byte {
	c.ws()
	if c.i < len(c.in) {
		return c.in[c.i]
	}
	return 0
}

func (c *canonWriter) value(depth int) error {
	if depth > 10000 {
		return errCanon
	}
	switch c.next() {
	case '{':
		return c.object(depth)
	case '[':
		c.i++
		c.out = append(c.out, '[')
		if c.next() == ']' {
			c.i++
			c.out = append(c.out, ']')
			return nil
		}
		for {
			if err := c.value(depth + 1); err != nil {
				return err
			}
			switch c.next() {
			case ',':
				c.i++
				c.out = append(c.out, ',')
			case ']':
				c.i++
				c.out = append(c.out, ']')
				return nil
			default:
				return errCanon
			}
		}
	case '"':
		s, err := c.str()
		if err != nil {
			return err
		}
		c.out = appendJSONString(c.out, s)
		return nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 'f', 'n':
		start := c.i
		for c.i < len(c.in) {
			switch c.in[c.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				c.out = append(c.out, c.in[start:c.i]...)
				return nil
			}
			c.i++
		}
		c.out = append(c.out, c.in[start:c.i]...)
		return nil
	default:
		return errCanon
	}
}

func (c *canonWriter) object(depth int) error {
	c.i++
	objStart := len(c.out)
	c.out = append(c.out, '{')
	if c.next() == '}' {
		c.i++
		c.out = append(c.out, '}')
		return nil
	}
	var members []canonMember
	sorted := true
	for {
		if c.next() != '"' {
			return errCanon
		}
		key, err := c.str()
		if err != nil {
			return err
		}
		m := canonMember{key: key, start: len(c.out)}
		c.out = appendJSONString(c.out, key)
		if c.next() != ':' {
			return errCanon
		}
		c.i++
		c.out = append(c.out, ':')
		if err := c.value(depth + 1); err != nil {
			return err
		}
		m.end = len(c.out)
		if n := len(members); n > 0 && bytes.Compare(members[n-1].key, key) > 0 {
			sorted = false
		}
		members = append(members, m)
		switch c.next() {
		case ',':
			c.i++
			c.out = append(c.out, ',')
			continue
		case '}':
			c.i++
		default:
			return errCanon
		}
		break
	}
	if !sorted {
		slices.SortStableFunc(members, func(a, b canonMember) int { return bytes.Compare(a.key, b.key) })
		c.scratch = append(c.scratch[:0], c.out[objStart:]...)
		c.out = c.out[:objStart+1]
		for k, m := range members {
			if k > 0 {
				c.out = append(c.out, ',')
			}
			c.out = append(c.out, c.scratch[m.start-objStart:m.end-objStart]...)
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// str reads a string token and returns its decoded bytes.
func (c *canonWriter) str() ([]byte, error) {
	start := c.i
	c.i++
	escaped := false
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case '\\':
			escaped = true
			c.i += 2
			continue
		case '"':
			c.i++
			if !escaped {
				return c.in[start+1 : c.i-1], nil
			}
			var s string
			if err := json.Unmarshal(c.in[start:c.i], &s); err != nil {
				return nil, err
			}
			return []byte(s), nil
		}
		c.i++
	}
	return nil, errCanon
}
