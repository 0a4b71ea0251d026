package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// correlationQuery is the query of a correlation rule: per group, when
// the condition held. The base rules' events are counted over a sliding
// window (RANGE frame) of the timespan ending at each event, which is the
// engine's test for gte and gt.
func (t *sqlT) correlationQuery(r *Rule, bases map[string]*Rule) (string, error) {
	c := r.correlation
	if !c.sliding() {
		return "", fmt.Errorf("%s condition %s: the engine counts these in windows that start at each group's first event, which SQL window frames cannot follow", c.typ, c.op)
	}
	if c.typ == TemporalOrdered && (len(c.rules) != 2 || c.n != len(c.rules)) {
		return "", fmt.Errorf("temporal_ordered over %d rules: SQL here expresses the order of two rules only", len(c.rules))
	}
	if c.span%time.Second != 0 {
		return "", fmt.Errorf("timespan %s is not whole seconds", c.span)
	}
	var groups []string
	for j := range c.groupBy {
		groups = append(groups, "g"+strconv.Itoa(j))
	}
	var selects []string
	for i, name := range c.rules {
		b := bases[name]
		if b == nil {
			return "", fmt.Errorf("refers to rule %q, which is not loaded", name)
		}
		where, err := t.ruleWhere(b)
		if err != nil {
			return "", fmt.Errorf("base rule %s: %v", ruleName(b), err)
		}
		ls := b.detection.ls
		cols := []string{`"time" AS t`, "evidence", "record", strconv.Itoa(i) + " AS r"}
		for j, g := range c.groupBy {
			col, err := t.column(ls, g, true)
			if err != nil {
				return "", fmt.Errorf("group-by: %v", err)
			}
			if col.list != "" {
				return "", fmt.Errorf("group-by field %q is a list", g)
			}
			cols = append(cols, "COALESCE("+col.text+", '') AS "+groups[j])
		}
		from := SQLTable
		if c.typ == ValueCount {
			v, join, err := t.countedValue(ls, c.field)
			if err != nil {
				return "", fmt.Errorf("condition field: %v", err)
			}
			cols = append(cols, v+" AS v")
			from += join
			if join == "" && !strings.HasPrefix(v, "unnest(") {
				where += "\n    AND " + v + " IS NOT NULL"
			}
		}
		sel := "SELECT " + strings.Join(cols, ", ") + "\n  FROM " + from + "\n  WHERE " + strings.ReplaceAll(where, "\n", "\n  ")
		if c.typ == ValueCount {
			sel = "SELECT * FROM (\n    " + strings.ReplaceAll(sel, "\n", "\n  ") + "\n  ) AS e WHERE v IS NOT NULL"
		}
		selects = append(selects, "  "+sel)
	}
	frame := "ORDER BY t RANGE BETWEEN INTERVAL '" + strconv.FormatInt(int64(c.span/time.Second), 10) + "' SECOND PRECEDING AND CURRENT ROW"
	if len(groups) > 0 {
		frame = "PARTITION BY " + strings.Join(groups, ", ") + " " + frame
	}
	over := " OVER (" + frame + ")"
	var measure string
	switch c.typ {
	case EventCount:
		measure = "count(*)" + over
	case ValueCount:
		if t.duck() {
			measure = "len(list_distinct(list(v)" + over + "))"
		} else {
			measure = "cardinality(array_distinct(array_agg(v)" + over + "))"
		}
	case Temporal:
		var terms []string
		for i := range c.rules {
			terms = append(terms, "max(CASE WHEN r = "+strconv.Itoa(i)+" THEN 1 ELSE 0 END)"+over)
		}
		measure = strings.Join(terms, " + ")
	case TemporalOrdered:
		measure = "CASE WHEN r = 1 THEN 1 + max(CASE WHEN r = 0 THEN 1 ELSE 0 END)" + over + " ELSE 0 END"
	}
	var b strings.Builder
	b.WriteString(t.ruleHeader(r, c.typ+" correlation"))
	b.WriteString("WITH base AS (\n" + strings.Join(selects, "\n  UNION ALL\n") + "\n), win AS (\n")
	keys := ""
	if len(groups) > 0 {
		keys = strings.Join(groups, ", ") + ", "
	}
	fmt.Fprintf(&b, "  SELECT %st, min(t)%s AS start, %s AS n\n  FROM base\n)\n", keys, over, measure)
	fmt.Fprintf(&b, "SELECT %s AS rule, %s AS level", quote(ruleName(r)), quote(levelOf(r)))
	for j, g := range c.groupBy {
		fmt.Fprintf(&b, ", %s AS %s", groups[j], ident(g))
	}
	fmt.Fprintf(&b, ", min(start) AS first_time, max(t) AS last_time, max(n) AS %s\nFROM win\nWHERE n >= %d\n", map[bool]string{true: "distinct_values", false: "count"}[c.typ == ValueCount], c.need())
	if len(groups) > 0 {
		b.WriteString("GROUP BY " + strings.Join(groups, ", ") + "\n")
	}
	b.WriteString("HAVING count(*) > 0\nORDER BY first_time;\n\n")
	return b.String(), nil
}

// countedValue is the value a value_count counts, one row per value: a
// CloudTrail field that holds a list gives a row per element, as the
// engine counts each element (join: what the FROM clause needs for it).
func (t *sqlT) countedValue(ls *logsource, field string) (v, join string, err error) {
	if ls != cloudTrailSource || ctColumns[field] != "" {
		col, err := t.column(ls, field, true)
		return col.text, "", err
	}
	if !t.duck() {
		col, err := t.jsonPath("raw", strings.Split(field, "."), true)
		if err != nil {
			return "", "", err
		}
		return "json_extract_scalar(vj, '$')", "\n  CROSS JOIN UNNEST(" + col.list + ") AS u(vj)", nil
	}
	col, err := t.jsonPath("raw", strings.Split(field, "."), false)
	if err != nil {
		return "", "", err
	}
	p := strings.TrimSuffix(strings.TrimPrefix(col.text, "json_extract_string(raw, "), ")")
	return "unnest(CASE json_type(raw, " + p + ") WHEN 'ARRAY' THEN list_transform(list_filter(json_extract(raw, " + p[:len(p)-1] + "[*]'), x -> json_type(x) NOT IN ('OBJECT', 'ARRAY')), x -> json_extract_string(x, '$')) WHEN 'OBJECT' THEN [] ELSE [json_extract_string(raw, " + p + ")] END)", "", nil
}
