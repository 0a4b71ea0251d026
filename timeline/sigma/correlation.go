package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Correlation types of the Sigma correlation specification.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
)

// correlation is a parsed correlation section.
type correlation struct {
	typ      string
	rules    []string // names or ids of the base rules
	groupBy  []string
	span     time.Duration
	op       string // gte, gt, lte, lt, eq
	n        int
	hasCond  bool
	field    string // value_count
	generate bool   // base rules also report their own matches
	line     int
}

func parseCorrelation(file string, n *yaml.Node) (*correlation, *RuleError) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "correlation must be a mapping")
	}
	c := &correlation{line: n.Line}
	var condNode *yaml.Node
	for _, kv := range mappingPairs(n) {
		k, v := kv[0], kv[1]
		var err *RuleError
		switch k.Value {
		case "type":
			err = scalarInto(file, v, &c.typ)
		case "rules":
			c.rules, err = stringList(file, v)
		case "group-by":
			c.groupBy, err = stringList(file, v)
		case "timespan":
			var s string
			if err = scalarInto(file, v, &s); err == nil {
				d, perr := parseTimespan(s)
				if perr != nil {
					return nil, errAt(file, v, "timespan: %v", perr)
				}
				c.span = d
			}
		case "condition":
			condNode = v
		case "generate":
			c.generate = v.Value == "true"
		case "aliases":
			return nil, errAt(file, k, "unsupported feature: correlation aliases")
		default:
			return nil, errAt(file, k, "unsupported feature: correlation key %q", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	switch c.typ {
	case EventCount, ValueCount, Temporal, TemporalOrdered:
	case "":
		return nil, errAt(file, n, "correlation has no type")
	default:
		return nil, errAt(file, n, "unsupported feature: correlation type %q", c.typ)
	}
	if len(c.rules) == 0 {
		return nil, errAt(file, n, "correlation names no rules")
	}
	if c.span <= 0 {
		return nil, errAt(file, n, "correlation has no timespan")
	}
	if condNode != nil {
		if err := c.parseCondition(file, condNode); err != nil {
			return nil, err
		}
	}
	switch {
	case (c.typ == EventCount || c.typ == ValueCount) && !c.hasCond:
		return nil, errAt(file, n, "%s correlation needs a condition", c.typ)
	case c.typ == ValueCount && c.field == "":
		return nil, errAt(file, n, "value_count correlation needs condition.field")
	case (c.typ == Temporal || c.typ == TemporalOrdered) && !c.hasCond:
		c.op, c.n = "gte", len(c.rules)
	}
	return c, nil
}

func (c *correlation) parseCondition(file string, n *yaml.Node) *RuleError {
	if n.Kind != yaml.MappingNode {
		return errAt(file, n, "unsupported feature: a correlation condition that is not a mapping")
	}
	for _, kv := range mappingPairs(n) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "field":
			if err := scalarInto(file, v, &c.field); err != nil {
				return err
			}
		case "gte", "gt", "lte", "lt", "eq":
			if c.hasCond {
				return errAt(file, k, "unsupported feature: more than one comparison in a correlation condition")
			}
			x, err := strconv.Atoi(v.Value)
			if err != nil || x < 0 || x > maxThreshold {
				return errAt(file, v, "condition %s: %q is not a count from 0 to %d", k.Value, v.Value, maxThreshold)
			}
			c.op, c.n, c.hasCond = k.Value, x, true
		default:
			return errAt(file, k, "unsupported feature: correlation condition %q", k.Value)
		}
	}
	if (c.typ == Temporal || c.typ == TemporalOrdered) && c.hasCond && c.op != "gte" {
		return errAt(file, n, "unsupported feature: %s condition other than gte", c.typ)
	}
	return nil
}

// maxThreshold caps a correlation count: the state kept per group grows
// with it.
const maxThreshold = 10000

// parseTimespan reads "30s", "5m", "1h", "2d", "1w".
func parseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a timespan like 5m", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("%q is not a timespan like 5m", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("%q: unit must be s, m, h, d or w", s)
	}
	return time.Duration(n) * unit, nil
}

// sliding reports whether the condition is checked over a sliding window
// (at least N within the timespan); lt, lte and eq are checked per
// window that starts at a group's first event and lasts the timespan.
func (c *correlation) sliding() bool { return c.op == "gte" || c.op == "gt" }

// need is the count at which a sliding condition holds.
func (c *correlation) need() int {
	if c.op == "gt" {
		return c.n + 1
	}
	return max(c.n, 1)
}

// holds checks a count against a tumbling condition.
func (c *correlation) holds(count int) bool {
	switch c.op {
	case "gte":
		return count >= c.n
	case "gt":
		return count > c.n
	case "lte":
		return count <= c.n
	case "lt":
		return count < c.n
	}
	return count == c.n
}
