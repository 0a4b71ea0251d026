package timeline

import (
	"bytes"
	"slices"
)

// The difference of two configurations read from their compact JSON
// without decoding it (diffCompact). A value whose bytes are what
// compactJSON prints for it is "canonical": its bytes are its printed
// form and two canonical values are equal exactly when their bytes are.
// Anything else (escapes, non-ASCII or HTML characters in strings,
// fractions, exponents, long integers, unsorted keys) is printed by
// decoding it (compactRaw), as diffValue does; a document that is not
// compact, well-formed JSON, or an object with an escaped, non-ASCII or
// repeated key where members are compared, leaves the whole difference
// to diffRaw.

// cjValue returns where the compact JSON value at d[i:] ends and whether
// it is canonical; ok is false when it is not well-formed compact JSON.
func cjValue(d []byte, i int) (end int, canon, ok bool) {
	if i >= len(d) {
		return 0, false, false
	}
	switch c := d[i]; {
	case c == '{':
		return cjObject(d, i)
	case c == '[':
		i++
		if i < len(d) && d[i] == ']' {
			return i + 1, true, true
		}
		canon = true
		for {
			var vc bool
			if i, vc, ok = cjValue(d, i); !ok {
				return 0, false, false
			}
			canon = canon && vc
			if i >= len(d) {
				return 0, false, false
			}
			switch d[i] {
			case ',':
				i++
			case ']':
				return i + 1, canon, true
			default:
				return 0, false, false
			}
		}
	case c == '"':
		return cjString(d, i)
	case c == 't':
		return cjLiteral(d, i, "true")
	case c == 'f':
		return cjLiteral(d, i, "false")
	case c == 'n':
		return cjLiteral(d, i, "null")
	case c == '-' || isDigit(c):
		return cjNumber(d, i)
	}
	return 0, false, false
}

// cjObject reads the object at d[i] ('{'); it is canonical when its keys
// are canonical and strictly increasing (compactJSON sorts them) and its
// values canonical.
func cjObject(d []byte, i int) (end int, canon, ok bool) {
	i++
	if i < len(d) && d[i] == '}' {
		return i + 1, true, true
	}
	canon = true
	var prev []byte
	for {
		if i >= len(d) || d[i] != '"' {
			return 0, false, false
		}
		k := i
		var kc, vc bool
		if i, kc, ok = cjString(d, i); !ok || i >= len(d) || d[i] != ':' {
			return 0, false, false
		}
		key := d[k+1 : i-1]
		canon = canon && kc && (prev == nil || bytes.Compare(prev, key) < 0)
		prev = key
		if i, vc, ok = cjValue(d, i+1); !ok || i >= len(d) {
			return 0, false, false
		}
		canon = canon && vc
		switch d[i] {
		case ',':
			i++
		case '}':
			return i + 1, canon, true
		default:
			return 0, false, false
		}
	}
}

// cjString reads the string at d[i] ('"'): canonical when it holds only
// printable ASCII that JSON printing leaves as it is (no escape, no
// < > & and no DEL).
func cjString(d []byte, i int) (end int, canon, ok bool) {
	canon = true
	for i++; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			return i + 1, canon, true
		case c < 0x20:
			return 0, false, false
		case c == '\\':
			canon = false
			i++
			if i >= len(d) {
				return 0, false, false
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d) {
					return 0, false, false
				}
				for _, h := range d[i+1 : i+5] {
					if !isDigit(h) && (h|0x20 < 'a' || h|0x20 > 'f') {
						return 0, false, false
					}
				}
				i += 4
			default:
				return 0, false, false
			}
		case c >= 0x7f || c == '<' || c == '>' || c == '&':
			canon = false
		}
	}
	return 0, false, false
}

func cjLiteral(d []byte, i int, lit string) (end int, canon, ok bool) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return 0, false, false
	}
	return i + len(lit), true, true
}

// cjNumber reads a JSON number: canonical when it is an integer of at
// most 15 digits (exact as a float64 and printed as written), not -0.
func cjNumber(d []byte, i int) (end int, canon, ok bool) {
	start := i
	if d[i] == '-' {
		i++
	}
	digits := i
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && isDigit(d[i]):
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return 0, false, false
	}
	canon = i-digits <= 15 && string(d[start:i]) != "-0"
	if i < len(d) && d[i] == '.' {
		canon = false
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return 0, false, false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		canon = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return 0, false, false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, canon, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// cjPart is a member (key set) or an element of a compact JSON value.
type cjPart struct {
	key, val []byte
	canon    bool
}

// printed is how diffValue prints the part's value.
func (p *cjPart) printed() []byte {
	if p.canon {
		return p.val
	}
	return []byte(compactRaw(p.val))
}

// cjMembers lists the members of the object d (the whole of d), sorted
// by key; ok is false when d is not a well-formed compact object or a key
// is escaped, not ASCII or repeated.
func cjMembers(d []byte) (ms []cjPart, ok bool) {
	i := 1
	if len(d) == 2 && d[1] == '}' {
		return nil, true
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return nil, false
		}
		k := i
		var kc bool
		if i, kc, ok = cjString(d, i); !ok || !kc || i >= len(d) || d[i] != ':' {
			return nil, false
		}
		m := cjPart{key: d[k+1 : i-1]}
		v := i + 1
		if i, m.canon, ok = cjValue(d, v); !ok || i >= len(d) {
			return nil, false
		}
		m.val = d[v:i]
		ms = append(ms, m)
		if d[i] == '}' {
			if i+1 != len(d) {
				return nil, false
			}
			break
		}
		if d[i] != ',' {
			return nil, false
		}
		i++
	}
	slices.SortFunc(ms, func(a, b cjPart) int { return bytes.Compare(a.key, b.key) })
	for j := 1; j < len(ms); j++ {
		if bytes.Equal(ms[j-1].key, ms[j].key) {
			return nil, false
		}
	}
	return ms, true
}

// cjElements lists the elements of the array d (the whole of d), each
// with its printed form in key.
func cjElements(d []byte) (es []cjPart, ok bool) {
	i := 1
	if len(d) == 2 && d[1] == ']' {
		return nil, true
	}
	for {
		var e cjPart
		v := i
		if i, e.canon, ok = cjValue(d, v); !ok || i >= len(d) {
			return nil, false
		}
		e.val = d[v:i]
		es = append(es, e)
		if d[i] == ']' {
			if i+1 != len(d) {
				return nil, false
			}
			break
		}
		if d[i] != ',' {
			return nil, false
		}
		i++
	}
	for j := range es {
		es[j].key = es[j].printed()
	}
	return es, true
}

// diffCompact adds how b differs from a to out, as diffRaw with
// diffValue would, reading the compact JSON directly (see above). It
// reports false, having added nothing, when the difference has to be
// taken by decoding.
func diffCompact(out *[]string, path string, a, b []byte) bool {
	n := len(*out)
	if !diffCompactValue(out, path, a, b) {
		*out = (*out)[:n]
		return false
	}
	return true
}

func diffCompactValue(out *[]string, path string, a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	switch {
	case a[0] == '{' && b[0] == '{':
		ma, ok := cjMembers(a)
		if !ok {
			return false
		}
		mb, ok := cjMembers(b)
		if !ok {
			return false
		}
		for len(ma) > 0 || len(mb) > 0 {
			c := 0
			switch {
			case len(ma) == 0:
				c = 1
			case len(mb) == 0:
				c = -1
			default:
				c = bytes.Compare(ma[0].key, mb[0].key)
			}
			switch {
			case c > 0: // only in b
				*out = append(*out, "+"+path+"."+string(mb[0].key)+": "+string(mb[0].printed()))
				mb = mb[1:]
			case c < 0: // only in a
				*out = append(*out, "-"+path+"."+string(ma[0].key)+": "+string(ma[0].printed()))
				ma = ma[1:]
			default:
				if !diffCompactValue(out, path+"."+string(ma[0].key), ma[0].val, mb[0].val) {
					return false
				}
				ma, mb = ma[1:], mb[1:]
			}
		}
		return true
	case a[0] == '[' && b[0] == '[':
		ea, ok := cjElements(a)
		if !ok {
			return false
		}
		eb, ok := cjElements(b)
		if !ok {
			return false
		}
		hasA, hasB := cjSet(ea), cjSet(eb)
		for _, e := range eb {
			if !hasA(e.key) {
				*out = append(*out, "+"+path+"[]: "+string(e.key))
			}
		}
		for _, e := range ea {
			if !hasB(e.key) {
				*out = append(*out, "-"+path+"[]: "+string(e.key))
			}
		}
		return true
	}
	pa, ok := cjWhole(a)
	if !ok {
		return false
	}
	pb, ok := cjWhole(b)
	if !ok {
		return false
	}
	if !bytes.Equal(pa, pb) {
		*out = append(*out, path+": "+string(pa)+" -> "+string(pb))
	}
	return true
}

// cjWhole returns the printed form of the compact JSON value d (all of d).
func cjWhole(d []byte) ([]byte, bool) {
	end, canon, ok := cjValue(d, 0)
	if !ok || end != len(d) {
		return nil, false
	}
	p := cjPart{val: d, canon: canon}
	return p.printed(), true
}

// cjSet returns whether an element of es is printed as s: by comparing
// with each for a short list, by a set for a long one.
func cjSet(es []cjPart) func(s []byte) bool {
	if len(es) <= 16 {
		return func(s []byte) bool {
			return slices.ContainsFunc(es, func(e cjPart) bool { return bytes.Equal(e.key, s) })
		}
	}
	in := make(map[string]bool, len(es))
	for _, e := range es {
		in[string(e.key)] = true
	}
	return func(s []byte) bool { return in[string(s)] }
}
