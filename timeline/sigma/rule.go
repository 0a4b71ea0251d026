package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Levels, lowest first, as the Sigma specification names them.
var Levels = []string{"informational", "low", "medium", "high", "critical"}

// Rule is one loaded rule: a detection rule or a correlation rule.
type Rule struct {
	File           string // as given to Parse or Load
	Line           int    // line of the rule's document in File
	ID             string
	Name           string // the name correlation rules refer to
	Title          string
	Description    string
	Status         string
	Level          string
	Author         string
	Tags           []string
	References     []string
	FalsePositives []string
	Logsource      Logsource

	detection   *detection   // nil for a correlation rule
	correlation *correlation // nil for a detection rule
	detSrc      *yaml.Node   // the detection section as written (for SQL)
	aggBase     *Rule        // the base rule of an aggregation (aggregate.go)
}

// Logsource is a rule's logsource section.
type Logsource struct {
	Product, Service, Category string
}

// Techniques returns the ATT&CK technique ids of the rule's tags
// ("attack.t1078.004" gives "T1078.004"), in tag order.
func (r *Rule) Techniques() []string {
	var out []string
	for _, t := range r.Tags {
		rest, ok := strings.CutPrefix(strings.ToLower(t), "attack.t")
		if ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			out = append(out, "T"+strings.ToUpper(rest))
		}
	}
	return out
}

// IsCorrelation reports whether r is a correlation rule.
func (r *Rule) IsCorrelation() bool { return r.correlation != nil }

// RuleError is a rule that could not be loaded: the file, the line and
// what is wrong (the unsupported feature, the malformed part).
type RuleError struct {
	File string
	Line int
	Msg  string
}

func (e *RuleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// errAt builds a RuleError at a YAML node.
func errAt(file string, n *yaml.Node, format string, args ...any) *RuleError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &RuleError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Load reads rules from fsys: each path is a .yml/.yaml file or a
// directory walked for them. A rule that cannot be read or parsed is
// reported in the errors and the others still load.
func Load(fsys fs.FS, paths ...string) ([]*Rule, []*RuleError) {
	var rules []*Rule
	var errs []*RuleError
	for _, p := range paths {
		err := fs.WalkDir(fsys, p, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &RuleError{File: name, Msg: err.Error()})
				return nil
			}
			ext := path.Ext(name)
			if d.IsDir() || (ext != ".yml" && ext != ".yaml") {
				return nil
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				errs = append(errs, &RuleError{File: name, Msg: err.Error()})
				return nil
			}
			r, e := Parse(name, b)
			rules = append(rules, r...)
			errs = append(errs, e...)
			return nil
		})
		if err != nil {
			errs = append(errs, &RuleError{File: p, Msg: err.Error()})
		}
	}
	return rules, errs
}

// maxRuleBytes caps one rule file.
const maxRuleBytes = 4 << 20

// Parse reads the rules in one YAML file (one rule per document; a
// file may hold several, as correlation rules and their base rules often
// are). Each document that fails gives a RuleError; the others load.
func Parse(file string, data []byte) (rules []*Rule, errs []*RuleError) {
	if len(data) > maxRuleBytes {
		return nil, []*RuleError{{File: file, Msg: fmt.Sprintf("file is larger than %d bytes", maxRuleBytes)}}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc yaml.Node
		err := decodeDoc(dec, &doc)
		if errors.Is(err, errEOF) {
			return rules, errs
		}
		if err != nil {
			// The decoder cannot resynchronise after a syntax error.
			return rules, append(errs, &RuleError{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue // an empty document, as after a trailing ---
		}
		rules, errs = addRule(rules, errs, file, doc.Content[0])
	}
}

// addRule parses one document's rule and appends it (after the base rule
// an aggregation makes of it, if any) to rules, or its error to errs.
func addRule(rules []*Rule, errs []*RuleError, file string, n *yaml.Node) ([]*Rule, []*RuleError) {
	r, rerr := parseRule(file, n)
	if rerr != nil {
		return rules, append(errs, rerr)
	}
	if r.aggBase != nil {
		rules = append(rules, r.aggBase)
		r.aggBase = nil
	}
	return append(rules, r), errs
}

var errEOF = errors.New("end of documents")

// decodeDoc decodes one document, turning the decoder's panics on hostile
// input (deep aliases) into errors.
func decodeDoc(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	err = dec.Decode(doc)
	if err != nil && err.Error() == "EOF" {
		return errEOF
	}
	return err
}

// parseRule reads one rule document.
func parseRule(file string, n *yaml.Node) (*Rule, *RuleError) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "a rule must be a mapping")
	}
	r := &Rule{File: file, Line: n.Line}
	var det, corr, ls, timeframe *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err *RuleError
		switch k.Value {
		case "id":
			err = scalarInto(file, v, &r.ID)
		case "name":
			err = scalarInto(file, v, &r.Name)
		case "title":
			err = scalarInto(file, v, &r.Title)
		case "description":
			err = scalarInto(file, v, &r.Description)
		case "status":
			err = scalarInto(file, v, &r.Status)
		case "level":
			err = scalarInto(file, v, &r.Level)
		case "author":
			err = scalarInto(file, v, &r.Author)
		case "tags":
			r.Tags, err = stringList(file, v)
		case "references":
			r.References, err = stringList(file, v)
		case "falsepositives":
			r.FalsePositives, err = stringList(file, v)
		case "logsource":
			ls = v
		case "detection":
			det = v
		case "correlation":
			corr = v
		case "timeframe":
			timeframe = v
		}
		if err != nil {
			return nil, err
		}
	}
	if r.Level != "" && levelRank(r.Level) < 0 {
		return nil, errAt(file, n, "level %q is not one of %s", r.Level, strings.Join(Levels, ", "))
	}
	switch {
	case det != nil && corr != nil:
		return nil, errAt(file, corr, "a rule has either detection or correlation, not both")
	case corr != nil:
		c, err := parseCorrelation(file, corr)
		if err != nil {
			return nil, err
		}
		r.correlation = c
	case det != nil:
		if err := parseLogsource(file, n, ls, r); err != nil {
			return nil, err
		}
		baseDet, agg, span, err := splitAggregation(file, det, timeframe)
		if err != nil {
			return nil, err
		}
		if agg != nil {
			d, err := compileDetection(file, baseDet, r.Logsource)
			if err != nil {
				return nil, err
			}
			requireEventSource(d, r.Logsource)
			r.aggBase = aggregationRule(r, d, baseDet, agg, span)
			return r, nil
		}
		d, err := compileDetection(file, det, r.Logsource)
		if err != nil {
			return nil, err
		}
		requireEventSource(d, r.Logsource)
		r.detection, r.detSrc = d, det
	default:
		return nil, errAt(file, n, "rule has no detection and no correlation")
	}
	return r, nil
}

// levelRank is the index of a level in Levels, or -1.
func levelRank(l string) int {
	for i, s := range Levels {
		if s == l {
			return i
		}
	}
	return -1
}

func parseLogsource(file string, rule, n *yaml.Node, r *Rule) *RuleError {
	if n == nil {
		return errAt(file, rule, "rule has no logsource")
	}
	if n.Kind != yaml.MappingNode {
		return errAt(file, n, "logsource must be a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err *RuleError
		switch k.Value {
		case "product":
			err = scalarInto(file, v, &r.Logsource.Product)
		case "service":
			err = scalarInto(file, v, &r.Logsource.Service)
		case "category":
			err = scalarInto(file, v, &r.Logsource.Category)
		}
		if err != nil {
			return err
		}
	}
	if logsourceOf(r.Logsource) == nil {
		return errAt(file, n, "unsupported logsource (product %q, service %q, category %q): trailcase reads product aws with service cloudtrail, vpcflow or elb, and product trailcase",
			r.Logsource.Product, r.Logsource.Service, r.Logsource.Category)
	}
	return nil
}

func scalarInto(file string, n *yaml.Node, dst *string) *RuleError {
	if n.Kind != yaml.ScalarNode {
		return errAt(file, n, "expected a single value")
	}
	*dst = n.Value
	return nil
}

// stringList reads a scalar or a list of scalars.
func stringList(file string, n *yaml.Node) ([]string, *RuleError) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(file, c, "expected a list of values")
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errAt(file, n, "expected a value or a list of values")
}

// mappingPairs returns a mapping node's keys and values in order of
// appearance.
func mappingPairs(n *yaml.Node) [][2]*yaml.Node {
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}
