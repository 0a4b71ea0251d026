package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// op is what a matcher does with one value.
type op uint8

const (
	opEq op = iota
	opContains
	opPrefix
	opSuffix
	opGlob // wildcards: a compiled regexp
	opRe
	opCIDR
	opGT
	opGTE
	opLT
	opLTE
	opNull
	opExists
	opFieldRef
	opAny // any of the nested matchers (variants of one value)
)

// matcher tests one value of a field. String tests are case-insensitive
// (pat is lower-case) unless cased.
type matcher struct {
	op    op
	pat   string
	cased bool
	re    *regexp.Regexp
	pfx   netip.Prefix
	num   float64
	ref   getter
	any   []*matcher
	pre   *prefilter // opRe, opGlob: what a match needs (nil: nothing known)
}

func (m *matcher) cost() int {
	switch m.op {
	case opRe, opGlob:
		return 4
	case opFieldRef, opCIDR:
		return 3
	}
	return 1
}

// value tests a field value: scalars directly, lists element by element.
func (m *matcher) value(d *doc, v value) bool {
	switch m.op {
	case opNull:
		return v.kind == absent || v.kind == null
	case opAny:
		for _, n := range m.any {
			if n.value(d, v) {
				return true
			}
		}
		return false
	case opFieldRef:
		if v.kind != scalar {
			return false
		}
		r := m.ref(d)
		return r.kind == scalar && r.s == v.s
	}
	switch v.kind {
	case scalar:
		return m.str(v.s)
	case list:
		for _, el := range v.list {
			if s, ok := scalarText(el); ok && m.str(s) {
				return true
			}
		}
	}
	return false
}

// str tests one scalar.
func (m *matcher) str(s string) bool {
	switch m.op {
	case opEq:
		if m.cased {
			return s == m.pat
		}
		return len(s) == len(m.pat) && strings.EqualFold(s, m.pat)
	case opContains:
		if m.cased {
			return strings.Contains(s, m.pat)
		}
		return containsFold(s, m.pat)
	case opPrefix:
		if m.cased {
			return strings.HasPrefix(s, m.pat)
		}
		return len(s) >= len(m.pat) && strings.EqualFold(s[:len(m.pat)], m.pat)
	case opSuffix:
		if m.cased {
			return strings.HasSuffix(s, m.pat)
		}
		return len(s) >= len(m.pat) && strings.EqualFold(s[len(s)-len(m.pat):], m.pat)
	case opGlob, opRe:
		if m.pre != nil && !m.pre.pass(s) {
			return false
		}
		return m.re.MatchString(s)
	case opCIDR:
		a, err := netip.ParseAddr(s)
		return err == nil && m.pfx.Contains(a.Unmap())
	case opGT, opGTE, opLT, opLTE:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false
		}
		switch m.op {
		case opGT:
			return f > m.num
		case opGTE:
			return f >= m.num
		case opLT:
			return f < m.num
		}
		return f <= m.num
	}
	return false
}

// containsFold is a case-insensitive strings.Contains for a lower-case
// ASCII needle without allocating; other needles fall back to lowering.
func containsFold(s, lower string) bool {
	if lower == "" {
		return true
	}
	if !isASCII(lower) {
		return strings.Contains(strings.ToLower(s), lower)
	}
	c0 := lower[0]
	upper0 := c0
	if 'a' <= c0 && c0 <= 'z' {
		upper0 = c0 - 'a' + 'A'
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		if c := s[i]; c != c0 && c != upper0 {
			continue
		}
		if strings.EqualFold(s[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// modSpec is a parsed modifier chain.
type modSpec struct {
	op                      op
	all, cased              bool
	b64, b64offset, windash bool
	reFlags                 string
}

// parseModifiers reads the modifiers after a field name.
func parseModifiers(mods []string) (modSpec, error) {
	s := modSpec{op: opEq}
	setOp := func(o op) error {
		if s.op != opEq {
			return errors.New("more than one comparison modifier")
		}
		s.op = o
		return nil
	}
	for _, m := range mods {
		var err error
		switch m {
		case "contains":
			err = setOp(opContains)
		case "startswith":
			err = setOp(opPrefix)
		case "endswith":
			err = setOp(opSuffix)
		case "re":
			err = setOp(opRe)
		case "cidr":
			err = setOp(opCIDR)
		case "gt":
			err = setOp(opGT)
		case "gte":
			err = setOp(opGTE)
		case "lt":
			err = setOp(opLT)
		case "lte":
			err = setOp(opLTE)
		case "exists":
			err = setOp(opExists)
		case "fieldref":
			err = setOp(opFieldRef)
		case "all":
			s.all = true
		case "cased":
			s.cased = true
		case "base64":
			s.b64 = true
		case "base64offset":
			s.b64offset = true
		case "windash":
			s.windash = true
		case "i", "m", "s":
			s.reFlags += m
		default:
			return s, fmt.Errorf("unsupported feature: modifier %q", m)
		}
		if err != nil {
			return s, err
		}
	}
	if s.reFlags != "" && s.op != opRe {
		return s, fmt.Errorf("modifier %q only applies to re", s.reFlags)
	}
	if (s.b64 || s.b64offset || s.windash) && s.op > opSuffix {
		return s, errors.New("base64, base64offset and windash need a plain, contains, startswith or endswith match")
	}
	return s, nil
}

// compile makes the matchers for one value (several for the variants of
// base64offset and windash).
func (s modSpec) compile(v *yaml.Node, ls *logsource) ([]*matcher, error) {
	if v.Tag == "!!null" {
		if s.op != opEq {
			return nil, errors.New("null takes no modifier")
		}
		return []*matcher{{op: opNull}}, nil
	}
	val := v.Value
	switch s.op {
	case opRe:
		flags := s.reFlags
		if flags != "" {
			val = "(?" + flags + ")" + val
		}
		re, err := regexp.Compile(val)
		if err != nil {
			return nil, fmt.Errorf("unsupported feature: regular expression %q (RE2 syntax, no lookaround or backreferences): %v", v.Value, err)
		}
		return []*matcher{{op: opRe, re: re, pre: newPrefilter(val)}}, nil
	case opCIDR:
		p, err := netip.ParsePrefix(val)
		if err != nil {
			return nil, fmt.Errorf("cidr %q: %v", val, err)
		}
		return []*matcher{{op: opCIDR, pfx: p.Masked()}}, nil
	case opGT, opGTE, opLT, opLTE:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", val)
		}
		return []*matcher{{op: s.op, num: f}}, nil
	case opFieldRef:
		g := ls.field(val)
		if g == nil {
			return nil, fmt.Errorf("fieldref: unknown field %q", val)
		}
		return []*matcher{{op: opFieldRef, ref: g}}, nil
	}
	variants := s.variants(val)
	out := make([]*matcher, 0, len(variants))
	for _, w := range variants {
		m, err := stringMatcher(s.op, w, s.cased)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// variants are the patterns a string value stands for under the
// windash, base64 and base64offset modifiers (val itself without them),
// for the engine and the SQL translation alike.
func (s modSpec) variants(val string) []string {
	variants := []string{val}
	if s.windash {
		variants = windash(val)
	}
	if !s.b64 && !s.b64offset {
		return variants
	}
	var enc []string
	for _, w := range variants {
		w = unescape(w)
		if s.b64 {
			enc = append(enc, escapeWild(base64.StdEncoding.EncodeToString([]byte(w))))
		} else {
			for _, o := range base64Offsets(w) {
				enc = append(enc, escapeWild(o))
			}
		}
	}
	return enc
}

// base64Offsets are the three encodings of s at each alignment, with the
// characters that depend on the neighbouring bytes cut off.
func base64Offsets(s string) []string {
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		start := [3]int{0, 2, 3}[i]
		cut := [3]int{0, 3, 2}[(len(s)+i)%3]
		if end := len(enc) - cut; end > start {
			out = append(out, enc[start:end])
		}
	}
	return out
}

// windash gives the variants of a command line where an option dash (a
// '-' or '/' at the start or after a space) is any of the dash characters.
func windash(s string) []string {
	dashes := []string{"-", "/", "–", "—", "―"}
	out := make([]string, 0, len(dashes))
	for _, d := range dashes {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if (s[i] == '-' || s[i] == '/') && (i == 0 || s[i-1] == ' ') {
				b.WriteString(d)
				continue
			}
			b.WriteByte(s[i])
		}
		out = append(out, b.String())
	}
	return out
}

// A prefilter is a test on literal text that every string a regular
// expression matches passes: the literals the expression cannot match
// without, joined by and (all of a concatenation) and or (one of an
// alternation). Testing a few substrings is much cheaper than running
// the expression, and most values fail it. Literals are kept to the
// ASCII letters whose case variants are ASCII too and are searched for
// case-insensitively, so a prefilter never rejects a string the
// expression matches, with or without (?i).
type prefilter struct {
	lit  string // lower-case; "" for and/or
	and  bool
	subs []*prefilter
}

// newPrefilter returns the prefilter of the expression, nil when it has
// no literal it cannot match without.
func newPrefilter(expr string) *prefilter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return required(re.Simplify())
}

func (p *prefilter) pass(s string) bool {
	switch {
	case p.lit != "":
		return containsFold(s, p.lit)
	case p.and:
		for _, q := range p.subs {
			if !q.pass(s) {
				return false
			}
		}
		return true
	}
	for _, q := range p.subs {
		if q.pass(s) {
			return true
		}
	}
	return false
}

// required is the prefilter of re, nil when there is none.
func required(re *syntax.Regexp) *prefilter {
	switch re.Op {
	case syntax.OpLiteral:
		var and []*prefilter
		for _, run := range safeRuns(re.Rune) {
			and = append(and, &prefilter{lit: run})
		}
		return join(true, and)
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var and []*prefilter
		for _, s := range re.Sub {
			if p := required(s); p != nil {
				and = append(and, p)
			}
		}
		return join(true, and)
	case syntax.OpAlternate:
		var or []*prefilter
		for _, s := range re.Sub {
			p := required(s)
			if p == nil {
				return nil // this branch matches without a literal
			}
			or = append(or, p)
		}
		return join(false, or)
	}
	return nil
}

func join(and bool, ps []*prefilter) *prefilter {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	return &prefilter{and: and, subs: ps}
}

// safeRuns splits a literal into the runs of characters that are ASCII
// and whose case variants (Unicode simple folding) are all ASCII, lower-cased.
func safeRuns(rs []rune) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range rs {
		if !asciiFold(r) {
			flush()
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	flush()
	return out
}

func asciiFold(r rune) bool {
	if r >= utf8.RuneSelf {
		return false
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
