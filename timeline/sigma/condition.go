package sigma

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// maxConditionDepth bounds nesting so a hostile condition cannot exhaust
// the stack.
const maxConditionDepth = 64

// condParser parses a detection condition: and, or, not, parentheses,
// "1 of pattern", "all of pattern", "1 of them", "all of them".
type condParser struct {
	toks  []string
	pos   int
	depth int
	names []string // selection names in file order
	sels  map[string]node
}

// parseCondition compiles a condition over the named selections.
func parseCondition(s string, names []string, sels map[string]node) (node, error) {
	p := &condParser{toks: tokenize(s), names: names, sels: sels}
	if len(p.toks) == 0 {
		return nil, errors.New("empty condition")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		if p.toks[p.pos] == "|" {
			return nil, errors.New("unsupported feature: aggregation after '|' (write a correlation rule)")
		}
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return n, nil
}

func tokenize(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch r {
		case '(', ')', '|':
			flush()
			out = append(out, string(r))
		case ' ', '\t', '\n', '\r':
			flush()
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return out
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) is(word string) bool { return strings.EqualFold(p.peek(), word) }

func (p *condParser) or() (node, error) {
	return p.chain("or", p.and, func(ns []node) node { byCost(ns); return orNode(ns) })
}

func (p *condParser) and() (node, error) {
	return p.chain("and", p.not, func(ns []node) node { byCost(ns); return andNode(ns) })
}

// chain parses sub (word sub)*.
func (p *condParser) chain(word string, sub func() (node, error), join func([]node) node) (node, error) {
	first, err := sub()
	if err != nil {
		return nil, err
	}
	ns := []node{first}
	for p.is(word) {
		p.pos++
		n, err := sub()
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	if len(ns) == 1 {
		return first, nil
	}
	return join(ns), nil
}

func (p *condParser) not() (node, error) {
	if p.depth++; p.depth > maxConditionDepth {
		return nil, errors.New("condition nested too deeply")
	}
	defer func() { p.depth-- }()
	if p.is("not") {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (node, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, errors.New("condition ends early")
	case t == "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing ')'")
		}
		p.pos++
		return n, nil
	case t == ")" || t == "|" || strings.EqualFold(t, "and") || strings.EqualFold(t, "or"):
		return nil, fmt.Errorf("unexpected %q", t)
	case (t == "1" || strings.EqualFold(t, "all") || strings.EqualFold(t, "any")) && p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of"):
		p.pos += 2
		return p.quantifier(!strings.EqualFold(t, "all"))
	}
	p.pos++
	n, ok := p.sels[t]
	if !ok {
		if strings.ContainsAny(t, "0123456789") && p.is("of") {
			return nil, fmt.Errorf("unsupported feature: %q of (only 1 of and all of)", t)
		}
		return nil, fmt.Errorf("unknown selection %q", t)
	}
	return n, nil
}

// quantifier parses the pattern after "1 of" / "all of".
func (p *condParser) quantifier(any bool) (node, error) {
	pat := p.peek()
	if pat == "" || pat == "(" || pat == ")" {
		return nil, errors.New("'of' needs a selection name pattern or 'them'")
	}
	p.pos++
	var ns []node
	for _, name := range p.names {
		var ok bool
		if strings.EqualFold(pat, "them") {
			ok = !strings.HasPrefix(name, "_")
		} else {
			var err error
			if ok, err = path.Match(pat, name); err != nil {
				return nil, fmt.Errorf("pattern %q: %v", pat, err)
			}
		}
		if ok {
			ns = append(ns, p.sels[name])
		}
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("no selection matches %q", pat)
	}
	if len(ns) == 1 {
		return ns[0], nil
	}
	byCost(ns)
	if any {
		return orNode(ns), nil
	}
	return andNode(ns), nil
}
