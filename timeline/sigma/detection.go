package sigma

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// node is one compiled part of a detection: a selection, a field test, or
// an and/or/not of them. eval must not allocate for scalar fields.
type node interface {
	eval(d *doc) bool
	cost() int // rough work per eval; cheaper parts run first
}

type andNode []node
type orNode []node
type notNode struct{ n node }

func (a andNode) eval(d *doc) bool {
	for _, n := range a {
		if !n.eval(d) {
			return false
		}
	}
	return true
}

func (o orNode) eval(d *doc) bool {
	for _, n := range o {
		if n.eval(d) {
			return true
		}
	}
	return false
}

func (n notNode) eval(d *doc) bool { return !n.n.eval(d) }

func (a andNode) cost() int { return sumCost(a) }
func (o orNode) cost() int  { return sumCost(o) }
func (n notNode) cost() int { return n.n.cost() }
func sumCost(ns []node) int {
	c := 0
	for _, n := range ns {
		c += n.cost()
	}
	return c
}

// byCost orders the parts of an and/or cheapest first: conditions have no
// side effects, so the order changes only the speed.
func byCost(ns []node) {
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].cost() < ns[j].cost() })
}

// detection is a compiled detection section.
type detection struct {
	ls   *logsource
	cond node
}

func (d *detection) match(doc *doc) bool { return d.cond.eval(doc) }

// compileDetection compiles the selections and the condition.
func compileDetection(file string, n *yaml.Node, l Logsource) (*detection, *RuleError) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "detection must be a mapping")
	}
	ls := logsourceOf(l)
	sels := map[string]node{}
	var names []string
	var cond *yaml.Node
	for _, kv := range mappingPairs(n) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "condition":
			cond = v
			continue
		case "timeframe":
			return nil, errAt(file, k, "unsupported feature: timeframe (use a correlation rule with timespan)")
		}
		sel, err := compileSelection(file, v, ls)
		if err != nil {
			return nil, err
		}
		sels[k.Value] = sel
		names = append(names, k.Value)
	}
	if cond == nil {
		return nil, errAt(file, n, "detection has no condition")
	}
	var conds []string
	switch cond.Kind {
	case yaml.ScalarNode:
		conds = []string{cond.Value}
	case yaml.SequenceNode:
		for _, c := range cond.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(file, c, "condition must be a string")
			}
			conds = append(conds, c.Value)
		}
	default:
		return nil, errAt(file, cond, "condition must be a string")
	}
	var or orNode
	for _, c := range conds {
		root, err := parseCondition(c, names, sels)
		if err != nil {
			return nil, errAt(file, cond, "condition %q: %v", c, err)
		}
		or = append(or, root)
	}
	if len(or) == 1 {
		return &detection{ls: ls, cond: or[0]}, nil
	}
	return &detection{ls: ls, cond: or}, nil
}

// compileSelection compiles one search identifier: a map of fields (all
// must match), a list of maps (any), or a list of keywords (any).
func compileSelection(file string, n *yaml.Node, ls *logsource) (node, *RuleError) {
	switch n.Kind {
	case yaml.MappingNode:
		return compileFieldMap(file, n, ls)
	case yaml.SequenceNode:
		if len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode {
			var or orNode
			for _, c := range n.Content {
				if c.Kind != yaml.MappingNode {
					return nil, errAt(file, c, "a list of field maps cannot hold other values")
				}
				m, err := compileFieldMap(file, c, ls)
				if err != nil {
					return nil, err
				}
				or = append(or, m)
			}
			byCost(or)
			return or, nil
		}
		return compileKeywords(file, n, n.Content)
	case yaml.ScalarNode:
		return compileKeywords(file, n, []*yaml.Node{n})
	}
	return nil, errAt(file, n, "unsupported selection")
}

func compileFieldMap(file string, n *yaml.Node, ls *logsource) (node, *RuleError) {
	var and andNode
	for _, kv := range mappingPairs(n) {
		f, err := compileField(file, kv[0], kv[1], ls)
		if err != nil {
			return nil, err
		}
		and = append(and, f)
	}
	byCost(and)
	return and, nil
}

// keywordNode matches free text anywhere in the record as found.
type keywordNode struct{ vals []*matcher }

func (k *keywordNode) eval(d *doc) bool {
	s := string(d.e.Raw)
	for _, m := range k.vals {
		if m.str(s) {
			return true
		}
	}
	return false
}

func (k *keywordNode) cost() int { return 20 }

func compileKeywords(file string, at *yaml.Node, vals []*yaml.Node) (node, *RuleError) {
	k := &keywordNode{}
	for _, v := range vals {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, errAt(file, v, "a keyword must be a value")
		}
		m, err := stringMatcher(opContains, v.Value, false)
		if err != nil {
			return nil, errAt(file, v, "%v", err)
		}
		k.vals = append(k.vals, m)
	}
	if len(k.vals) == 0 {
		return nil, errAt(file, at, "empty keyword list")
	}
	return k, nil
}

// fieldNode tests one field against its values.
type fieldNode struct {
	name   string // the CloudTrail field name when it is eventName (for the index)
	get    getter
	vals   []*matcher
	all    bool
	exists int8 // 0: no exists modifier; 1: must exist; -1: must not
	c      int
}

func (f *fieldNode) cost() int { return f.c }

func (f *fieldNode) eval(d *doc) bool {
	if f.get == nil { // a field this logsource never has
		return f.exists < 0 || (f.exists == 0 && f.matchesAbsent())
	}
	v := f.get(d)
	if f.exists != 0 {
		return (v.kind != absent) == (f.exists > 0)
	}
	if f.all {
		for _, m := range f.vals {
			if !m.value(d, v) {
				return false
			}
		}
		return len(f.vals) > 0
	}
	for _, m := range f.vals {
		if m.value(d, v) {
			return true
		}
	}
	return false
}

func (f *fieldNode) matchesAbsent() bool {
	for _, m := range f.vals {
		if m.op == opNull {
			return true
		}
	}
	return false
}

// compileField compiles "name|modifier|…: value or list".
func compileField(file string, k, v *yaml.Node, ls *logsource) (node, *RuleError) {
	parts := strings.Split(k.Value, "|")
	name, mods := parts[0], parts[1:]
	spec, err := parseModifiers(mods)
	if err != nil {
		return nil, errAt(file, k, "field %q: %v", k.Value, err)
	}
	f := &fieldNode{all: spec.all}
	if ls == cloudTrailSource && name == "eventName" {
		f.name = name
	}
	if name != "" {
		f.get = ls.field(name)
	}
	if name == "" {
		return nil, errAt(file, k, "unsupported feature: a field map key without a field name")
	}
	f.c = fieldCost(ls, name)
	var vals []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		vals = []*yaml.Node{v}
	case yaml.SequenceNode:
		vals = v.Content
	default:
		return nil, errAt(file, v, "field %q: value must be a value or a list of values", name)
	}
	if spec.op == opExists {
		if len(vals) != 1 || vals[0].Kind != yaml.ScalarNode || (vals[0].Value != "true" && vals[0].Value != "false") {
			return nil, errAt(file, v, "field %q: exists takes true or false", name)
		}
		f.exists = 1
		if vals[0].Value == "false" {
			f.exists = -1
		}
		return f, nil
	}
	for _, val := range vals {
		if val.Kind != yaml.ScalarNode {
			return nil, errAt(file, val, "field %q: nested lists and maps are not values", name)
		}
		ms, err := spec.compile(val, ls)
		if err != nil {
			return nil, errAt(file, val, "field %q: %v", k.Value, err)
		}
		for _, m := range ms {
			f.c += m.cost()
		}
		if spec.all {
			// With several variants (base64offset, windash) any variant
			// of each value is enough.
			f.vals = append(f.vals, &matcher{op: opAny, any: ms})
		} else {
			f.vals = append(f.vals, ms...)
		}
	}
	return f, nil
}

// fieldCost is 1 for fields on the event and 10 for fields that need the
// raw CloudTrail record decoded.
func fieldCost(ls *logsource, name string) int {
	if ls == cloudTrailSource && ctFast[name] == nil {
		return 10
	}
	return 1
}
