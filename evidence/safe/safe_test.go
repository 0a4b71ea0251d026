package safe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "AWSLogs/111122223333/ct.json", "AWSLogs/111122223333/ct.json"},
		{"valid UTF-8 left alone", "Zoë → 東京 ✓ \ufffd", "Zoë → 東京 ✓ \ufffd"},
		{"backslash left alone", `C:\logs\x1b`, `C:\logs\x1b`},
		{"OSC 52 clipboard", "a\x1b]52;c;ZWNobyBoaQ==\x07b", `a\x1b]52;c;ZWNobyBoaQ==\ab`},
		{"clear screen", "\x1b[2Jgone", `\x1b[2Jgone`},
		{"BEL", "ding\a", `ding\a`},
		{"NUL", "a\x00b", `a\x00b`},
		{"CR LF", "row\r\nfake row", `row\r\nfake row`},
		{"tab", "a\tb", `a\tb`},
		{"DEL", "a\x7f", `a\x7f`},
		{"C1 CSI", "a\u009b2J", `a\u009b2J`},
		{"RLO", "invoice\u202egpj.exe", `invoice\u202egpj.exe`},
		{"bidi isolates", "\u2066x\u2067y\u2068z\u2069", `\u2066x\u2067y\u2068z\u2069`},
		{"bidi marks", "\u200ea\u200fb\u061c", `\u200ea\u200fb\u061c`},
		{"line separator", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"invalid then control", "\xfe\n", `\xfe\n`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestFormula holds the spreadsheet cases the timeline and export CSV
// writers pinned before they shared one guard; the export writer used to
// leave "-1" and "+3.5" alone.
func TestFormula(t *testing.T) {
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0", "-": "-", "+1": "'+1", "GET /": "GET /", "": "",
		"-1": "'-1", "+3.5": "'+3.5", "=1+1": "'=1+1", "@SUM(A1)": "'@SUM(A1)",
		"-cmd": "'-cmd", "\tx": "'\tx", "\rx": "'\rx", "normal": "normal", "203.0.113.7": "203.0.113.7",
	} {
		if got := Formula(in); got != want {
			t.Errorf("Formula(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSV(t *testing.T) {
	for in, want := range map[string]string{
		"\tx": `\tx`, "=HYPERLINK(\"x\")\n": `'=HYPERLINK("x")\n`, "-\x1b[2J": `'-\x1b[2J`, "ok": "ok", "-": "-",
	} {
		if got := CSV(in); got != want {
			t.Errorf("CSV(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzText: the output is valid UTF-8 without a control, bidi control or
// line separator, sanitising it again changes nothing, and text that
// needed no escape comes back as it was.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]52;c;AAAA\x07", "\x1b[2J", "a\r\nb", "\u202e", "\xff\xfe", "\u0085", `\x1b`, "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q: invalid UTF-8", s, out)
		}
		for i, r := range out {
			if shown(r, utf8.RuneLen(r)) {
				t.Fatalf("Text(%q) = %q: rune %U at %d", s, out, r, i)
			}
		}
		if again := Text(out); again != out {
			t.Fatalf("Text not idempotent: %q -> %q -> %q", s, out, again)
		}
		if strings.IndexFunc(s, func(r rune) bool { return shown(r, utf8.RuneLen(r)) }) < 0 && utf8.ValidString(s) && out != s {
			t.Fatalf("Text(%q) = %q: changed clean text", s, out)
		}
		if c := CSV(s); c != "" && c != "-" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Fatalf("CSV(%q) = %q: a spreadsheet would evaluate it", s, c)
		}
	})
}
