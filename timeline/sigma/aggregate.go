package sigma

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Rules written before the correlation specification count with an
// aggregation after the condition and a timeframe:
//
//	condition: selection | count(eventName) by userIdentity.arn > 6
//	timeframe: 5m
//
// trailcase runs such a rule as the correlation it means: the condition
// before '|' becomes a base rule (not reported on its own), and the rule
// itself a value_count (count(field): distinct values) or event_count
// (count()) correlation grouped by the "by" field, over the timeframe.
// Without a timeframe the window is the whole case.

var aggregationRE = regexp.MustCompile(`^\s*count\(\s*([^()\s]*)\s*\)\s*(?:by\s+([^\s<>=!]+)\s*)?(>=|<=|==|=|>|<)\s*([0-9]+)\s*$`)

// wholeCase is the window of an aggregation without a timeframe.
const wholeCase = 100 * 365 * 24 * time.Hour

// aggregation is a parsed "| count(…) by … op n".
type aggregation struct {
	field, by, op string
	n             int
}

func parseAggregation(s string) (aggregation, error) {
	m := aggregationRE.FindStringSubmatch(s)
	if m == nil {
		return aggregation{}, fmt.Errorf("unsupported feature: aggregation %q (trailcase reads count() or count(field), an optional 'by field', and a comparison with a number)", strings.TrimSpace(s))
	}
	n, err := strconv.Atoi(m[4])
	if err != nil || n > maxThreshold {
		return aggregation{}, fmt.Errorf("aggregation %q: count is not a number from 0 to %d", s, maxThreshold)
	}
	op := map[string]string{">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "eq", "==": "eq"}[m[3]]
	return aggregation{field: m[1], by: m[2], op: op, n: n}, nil
}

// splitAggregation looks for an aggregation in the detection's condition.
// It returns the detection without it (and without a timeframe key),
// the aggregation and the timeframe, or a nil detection when there is
// no aggregation.
func splitAggregation(file string, det, topTimeframe *yaml.Node) (*yaml.Node, *aggregation, time.Duration, *RuleError) {
	if det == nil || det.Kind != yaml.MappingNode {
		return nil, nil, 0, nil
	}
	var cond, tf *yaml.Node
	for _, kv := range mappingPairs(det) {
		switch kv[0].Value {
		case "condition":
			cond = kv[1]
		case "timeframe":
			tf = kv[1]
		}
	}
	if cond == nil || cond.Kind != yaml.ScalarNode || !strings.Contains(cond.Value, "|") {
		return nil, nil, 0, nil
	}
	base, rest, _ := strings.Cut(cond.Value, "|")
	agg, err := parseAggregation(rest)
	if err != nil {
		return nil, nil, 0, errAt(file, cond, "condition %q: %v", cond.Value, err)
	}
	if tf == nil {
		tf = topTimeframe
	}
	span := wholeCase
	if tf != nil {
		d, err := parseTimespan(tf.Value)
		if err != nil {
			return nil, nil, 0, errAt(file, tf, "timeframe: %v", err)
		}
		span = d
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: det.Tag, Line: det.Line, Column: det.Column}
	for _, kv := range mappingPairs(det) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "timeframe":
			continue
		case "condition":
			c := *v
			c.Value = strings.TrimSpace(base)
			v = &c
		}
		out.Content = append(out.Content, k, v)
	}
	return out, &agg, span, nil
}

// aggregationRule turns r, whose detection d has been compiled from the
// condition before '|', into the correlation the aggregation means, and
// returns the base rule that feeds it.
func aggregationRule(r *Rule, d *detection, det *yaml.Node, agg *aggregation, span time.Duration) *Rule {
	base := &Rule{
		File: r.File, Line: r.Line,
		Name:        "aggregation base of " + ruleName(r),
		Title:       r.Title + " (events counted)",
		Description: "The events the aggregation of " + ruleName(r) + " counts.",
		Logsource:   r.Logsource,
		detection:   d, detSrc: det,
	}
	c := &correlation{typ: EventCount, rules: []string{base.Name}, span: span, op: agg.op, n: agg.n, hasCond: true, line: r.Line}
	if agg.field != "" {
		c.typ, c.field = ValueCount, agg.field
	}
	if agg.by != "" {
		c.groupBy = []string{agg.by}
	}
	r.correlation = c
	return base
}
