package sigma

import (
	"regexp"
	"strings"
)

// A pattern is a Sigma string value: '*' any run of characters, '?' one
// character, '\' escaping '*', '?' and '\' (before anything else a
// backslash is itself).
type piece struct {
	lit  string
	star bool // '*'
	one  bool // '?'
}

func parsePattern(s string) []piece {
	var out []piece
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, piece{lit: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '*':
			flush()
			if len(out) == 0 || !out[len(out)-1].star {
				out = append(out, piece{star: true})
			}
		case c == '?':
			flush()
			out = append(out, piece{one: true})
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return out
}

// unescape is the literal text of a pattern, wildcards dropped to their
// characters (for encodings that apply to the text itself).
func unescape(s string) string {
	var b strings.Builder
	for _, p := range parsePattern(s) {
		switch {
		case p.star:
			b.WriteByte('*')
		case p.one:
			b.WriteByte('?')
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

// escapeWild escapes a literal so that it parses back as itself.
func escapeWild(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`)
	return r.Replace(s)
}

// opPattern parses val as a wildcard pattern with the stars that op
// implies: contains on both sides, startswith after, endswith before.
func opPattern(o op, val string) []piece {
	ps := parsePattern(val)
	star := piece{star: true}
	switch o {
	case opContains:
		ps = append(append([]piece{star}, ps...), star)
	case opPrefix:
		ps = append(ps, star)
	case opSuffix:
		ps = append([]piece{star}, ps...)
	}
	return mergeStars(ps)
}

// stringMatcher compiles a plain, contains, startswith or endswith value.
// Wildcards reduce to the cheapest test that does the job: "*x*" is a
// contains, "x*" a prefix; anything else becomes an anchored regexp.
func stringMatcher(o op, val string, cased bool) (*matcher, error) {
	ps := opPattern(o, val)
	lower := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	n := len(ps)
	switch {
	case n == 0:
		return &matcher{op: opEq, pat: "", cased: cased}, nil
	case n == 1 && ps[0].star:
		return &matcher{op: opPrefix, pat: "", cased: cased}, nil
	case n == 1 && ps[0].lit != "":
		return &matcher{op: opEq, pat: lower(ps[0].lit), cased: cased}, nil
	case n == 2 && ps[0].lit != "" && ps[1].star:
		return &matcher{op: opPrefix, pat: lower(ps[0].lit), cased: cased}, nil
	case n == 2 && ps[0].star && ps[1].lit != "":
		return &matcher{op: opSuffix, pat: lower(ps[1].lit), cased: cased}, nil
	case n == 3 && ps[0].star && ps[1].lit != "" && ps[2].star:
		return &matcher{op: opContains, pat: lower(ps[1].lit), cased: cased}, nil
	}
	var b strings.Builder
	b.WriteString("(?s")
	if !cased {
		b.WriteString("i")
	}
	b.WriteString(")^")
	for _, p := range ps {
		switch {
		case p.star:
			b.WriteString(".*")
		case p.one:
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(p.lit))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	return &matcher{op: opGlob, re: re, pre: newPrefilter(b.String())}, nil
}

// mergeStars joins neighbouring '*' (from contains around a pattern that
// already starts or ends with one).
func mergeStars(ps []piece) []piece {
	out := ps[:0:0]
	for _, p := range ps {
		if p.star && len(out) > 0 && out[len(out)-1].star {
			continue
		}
		out = append(out, p)
	}
	return out
}
