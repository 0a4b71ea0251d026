package safe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text returns s with every rune that could act on a terminal or reflow
// text shown escaped, as Go writes it: C0 controls and DEL as \a \b \t \n
// \v \f \r or \xHH, C1 controls, bidi controls (U+061C, U+200E, U+200F,
// U+202A–U+202E, U+2066–U+2069) and the line and paragraph separators
// (U+2028, U+2029) as \uHHHH, and each byte of invalid UTF-8 as \xHH.
// Everything else, valid UTF-8 included, is left alone.
//
// A backslash is not escaped, so Text of Text's output is the same output;
// the exact value of a field is in the JSON outputs.
func Text(s string) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if shown(r, n) {
			return escapeFrom(s, i)
		}
		i += n
	}
	return s
}

// escapeFrom is Text for s whose first rune to escape starts at i.
func escapeFrom(s string, i int) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for s = s[i:]; len(s) > 0; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + hex2(s[0]))
		case shown(r, n):
			writeEscape(&b, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// shown reports whether the rune r, n bytes long, is shown escaped: an
// invalid byte, a control, a bidi control or a line separator.
func shown(r rune, n int) bool {
	switch {
	case r == utf8.RuneError:
		return n == 1 // a literal U+FFFD is kept
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	}
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func writeEscape(b *strings.Builder, r rune) {
	switch {
	case r >= '\a' && r <= '\r': // \a \b \t \n \v \f \r, as Go writes them
		b.WriteByte('\\')
		b.WriteByte("abtnvfr"[r-'\a'])
	case r < 0x80:
		b.WriteString(`\x` + hex2(byte(r)))
	default:
		h := strconv.FormatInt(int64(r), 16)
		b.WriteString(`\u` + strings.Repeat("0", 4-len(h)) + h)
	}
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// CSV returns s as a CSV cell a spreadsheet shows as text: controls are
// escaped as by [Text], then a cell that would run as a formula gets a
// leading single quote (see [Formula]). Numbers the caller formats itself
// need neither and may be written as they are.
func CSV(s string) string { return Formula(Text(s)) }

// Formula keeps a spreadsheet from evaluating a cell: text starting with
// =, +, -, @, tab or carriage return gets a leading single quote, as the
// OWASP guidance on CSV injection asks. A lone "-" (how an empty value is
// shown) is left alone. Text that reads as a number ("-1") is quoted too:
// a field that looks like a number is still text from the log.
func Formula(s string) string {
	if s == "" || s == "-" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
