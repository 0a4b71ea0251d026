package timeline

import "unicode/utf8"

// The JSON Lines writers (the timeline's and export's) write their rows
// with the functions below, which give encoding/json's bytes without its
// reflection: TestJSONLSameAsEncoder, FuzzJSONLRow and export's fuzz
// tests hold them to encoding/json. The raw text of a stored record is
// made by appendJSONString (parse.go) instead, which writes \b and \f as
// \u0008 and \u000c, as the records stored by every earlier version have
// them: a record's raw text must not change with the writer of the output.

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string the way encoding/json
// writes a string: '"' and '\\' escaped, controls as \b \f \n \r \t or
// \u00XX, U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as
// \ufffd, and, when html is true, '<' '>' '&' as \u00XX.
func AppendJSONString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: most strings
		// (names, addresses, ARNs, agents) are plain ASCII throughout.
		for i+8 <= len(s) && plainWord(word(s[i:i+8]), html) {
			i += 8
		}
		if i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && (!html || b != '<' && b != '>' && b != '&') {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Bytes repeated in every byte of a word, for plainWord.
const (
	wordLow  = 0x0101010101010101
	wordHigh = 0x8080808080808080
)

// word reads the first eight bytes of s as one little-endian word.
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainWord reports whether none of the eight bytes of w needs more than
// being copied by AppendJSONString: none is a control, '"', '\\', past
// ASCII or, with html, '<', '>' or '&'. The tests are the usual ones on a
// whole word, exact for the word (not for each byte): (x - 0x01…) &^ x
// has a high bit set when some byte of x is zero, (w - 0x20…) &^ w when
// some byte of w is below 0x20.
func plainWord(w uint64, html bool) bool {
	hasByte := func(c uint64) uint64 { x := w ^ (c * wordLow); return (x - wordLow) &^ x & wordHigh }
	below := (w - 0x20*wordLow) &^ w & wordHigh
	bad := w&wordHigh | below | hasByte('"') | hasByte('\\')
	if html {
		bad |= hasByte('<') | hasByte('>') | hasByte('&')
	}
	return bad == 0
}

// AppendJSONStrings appends a list of strings as encoding/json does: null
// when nil.
func AppendJSONStrings(b []byte, ss []string, html bool) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, s, html)
	}
	return append(b, ']')
}
