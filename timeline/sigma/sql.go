package sigma

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// SQL dialects WriteSQL writes.
const (
	DialectDuckDB = "duckdb" // DuckDB over the Parquet export directory
	DialectAthena = "athena" // Amazon Athena engine version 3 (Trino) over the export in S3
)

// Dialects lists the SQL dialects, for help and errors.
var Dialects = []string{DialectDuckDB, DialectAthena}

// SQLTable is the table (Athena) or view (DuckDB) the queries read: the
// Parquet export of docs/export-schema.md.
const SQLTable = "trailcase_events"

// SQLSkip is a rule WriteSQL could not write as a query, and why.
type SQLSkip struct {
	Rule   string // id, or title when the rule has none
	File   string
	Reason string
}

// SQLSummary says what WriteSQL wrote.
type SQLSummary struct {
	Queries []string  // ids of the rules written as a query
	Bases   []string  // base rules written only inside their correlation's query
	Skipped []SQLSkip // rules written as a comment with the reason
}

// WriteSQL writes rules as SQL queries over the export schema (one query
// per detection rule that reports its own matches, one per correlation
// rule). A rule, or a part of one, that SQL in the dialect cannot express
// as the engine runs it is written as a comment naming the rule and the
// reason, never left out. The result lists what was written.
func WriteSQL(w io.Writer, rules []*Rule, dialect string) (SQLSummary, error) {
	var sum SQLSummary
	if dialect != DialectDuckDB && dialect != DialectAthena {
		return sum, fmt.Errorf("unknown SQL dialect %q (one of %s)", dialect, strings.Join(Dialects, ", "))
	}
	t := &sqlT{d: dialect}
	bw := bufio.NewWriter(w)
	t.header(bw)

	// The same linking as Engine.New: which detection rules correlations
	// use, and which of those still report their own matches.
	bases := map[string]*Rule{}
	for _, r := range rules {
		if r.detection == nil {
			continue
		}
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				bases[k] = r
			}
		}
	}
	silent := map[*Rule][]string{} // base rule → the correlations that use it without generate
	for _, r := range rules {
		if c := r.correlation; c != nil {
			for _, name := range c.rules {
				if b := bases[name]; b != nil && !c.generate {
					silent[b] = append(silent[b], ruleName(r))
				}
			}
		}
	}
	skip := func(r *Rule, err error) {
		sum.Skipped = append(sum.Skipped, SQLSkip{Rule: ruleName(r), File: r.File, Reason: err.Error()})
		fmt.Fprintf(bw, "-- NOT TRANSLATED: rule %s (%s, %s): %s\n\n", comment(ruleName(r)), comment(r.Title), comment(r.File), comment(err.Error()))
	}
	for _, r := range rules {
		if r.detection == nil {
			continue
		}
		if by := silent[r]; len(by) > 0 {
			sum.Bases = append(sum.Bases, ruleName(r))
			fmt.Fprintf(bw, "-- rule %s (%s) is a base rule of %s: it is part of that query.\n\n", comment(ruleName(r)), comment(r.Title), comment(strings.Join(by, ", ")))
			continue
		}
		q, err := t.detectionQuery(r)
		if err != nil {
			skip(r, err)
			continue
		}
		sum.Queries = append(sum.Queries, ruleName(r))
		bw.WriteString(q)
	}
	for _, r := range rules {
		if r.correlation == nil {
			continue
		}
		q, err := t.correlationQuery(r, bases)
		if err != nil {
			skip(r, err)
			continue
		}
		sum.Queries = append(sum.Queries, ruleName(r))
		bw.WriteString(q)
	}
	fmt.Fprintf(bw, "-- %d quer(ies), %d base rule(s) inside them, %d rule(s) not translated.\n", len(sum.Queries), len(sum.Bases), len(sum.Skipped))
	return sum, bw.Flush()
}

func ruleName(r *Rule) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Name != "":
		return r.Name
	}
	return r.Title
}

// comment makes text safe inside a "--" comment: no line breaks or other
// control characters.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// sqlT translates for one dialect.
type sqlT struct{ d string }

func (t *sqlT) duck() bool { return t.d == DialectDuckDB }

func (t *sqlT) header(w io.StringWriter) {
	if t.duck() {
		w.WriteString(`-- trailcase Sigma rules as DuckDB SQL over a Parquet export (trailcase export --format parquet),
-- columns as in docs/export-schema.md (schema version 1). Name the export's directory first:
--   SET VARIABLE trailcase_export = '/path/to/export';
-- Each query returns one row per match (detection rules) or per group (correlation rules).
CREATE OR REPLACE TEMP VIEW ` + SQLTable + ` AS
SELECT * FROM read_parquet(getvariable('trailcase_export') || '/**/*.parquet', hive_partitioning = true, hive_types_autocast = false);

`)
		return
	}
	w.WriteString(`-- trailcase Sigma rules as Amazon Athena (engine version 3) SQL over a Parquet export in S3,
-- read through the table ` + SQLTable + ` created as docs/export-schema.md shows (schema version 1).
-- Each query returns one row per match (detection rules) or per group (correlation rules).

`)
}

// quote is a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ident is a quoted SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func levelOf(r *Rule) string {
	if r.Level == "" {
		return "informational"
	}
	return r.Level
}

func (t *sqlT) ruleHeader(r *Rule, kind string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- rule %s: %s [%s] (%s, %s)\n", comment(ruleName(r)), comment(r.Title), comment(levelOf(r)), kind, comment(r.File))
	return b.String()
}

// detectionQuery is the query of a detection rule: every matching event.
func (t *sqlT) detectionQuery(r *Rule) (string, error) {
	where, err := t.ruleWhere(r)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(t.ruleHeader(r, "detection"))
	fmt.Fprintf(&b, "SELECT %s AS rule, %s AS level, \"time\", source, account, principal, src_ip, action, outcome, evidence, record\nFROM %s\nWHERE %s\nORDER BY \"time\", evidence, record;\n\n",
		quote(ruleName(r)), quote(levelOf(r)), SQLTable, where)
	return b.String(), nil
}

// ruleWhere is the WHERE condition of a detection rule: its source and
// its condition.
func (t *sqlT) ruleWhere(r *Rule) (string, error) {
	ls := r.detection.ls
	cond, err := t.detection(ls, r.detSrc)
	if err != nil {
		return "", err
	}
	if es := impliedEventSource(r.Logsource); es != "" {
		cond = "COALESCE(lower(event_source) = " + quote(es) + ", FALSE)\n  AND " + cond
	}
	if ls.source == "" {
		return cond, nil
	}
	return "source = " + quote(ls.source) + "\n  AND " + cond, nil
}

// sqlNode is a translated selection: it stands in for a compiled one so
// that the engine's own condition parser builds the and/or/not tree.
type sqlNode struct{ sql string }

func (sqlNode) eval(*doc) bool { return false }
func (sqlNode) cost() int      { return 0 }

// detection translates a detection section.
func (t *sqlT) detection(ls *logsource, n *yaml.Node) (string, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		return "", errors.New("no detection")
	}
	sels := map[string]node{}
	var names, conds []string
	for _, kv := range mappingPairs(n) {
		k, v := kv[0], kv[1]
		if k.Value == "condition" {
			switch v.Kind {
			case yaml.ScalarNode:
				conds = append(conds, v.Value)
			case yaml.SequenceNode:
				for _, c := range v.Content {
					conds = append(conds, c.Value)
				}
			}
			continue
		}
		s, err := t.selection(ls, v)
		if err != nil {
			return "", fmt.Errorf("selection %s: %v", k.Value, err)
		}
		sels[k.Value] = sqlNode{s}
		names = append(names, k.Value)
	}
	var parts []string
	for _, c := range conds {
		root, err := parseCondition(c, names, sels)
		if err != nil {
			return "", fmt.Errorf("condition %q: %v", c, err)
		}
		sql, err := condSQL(root)
		if err != nil {
			return "", fmt.Errorf("condition %q: %v", c, err)
		}
		parts = append(parts, sql)
	}
	return joinSQL(parts, "OR"), nil
}

// condSQL renders a condition tree of sqlNodes; a node of another kind
// is an error, never a panic (the tree comes from a rule file).
func condSQL(n node) (string, error) {
	switch x := n.(type) {
	case sqlNode:
		return x.sql, nil
	case andNode:
		return joinNodes(x, "AND")
	case orNode:
		return joinNodes(x, "OR")
	case notNode:
		s, err := condSQL(x.n)
		return "NOT " + s, err
	}
	return "", fmt.Errorf("unexpected condition node %T", n)
}

// joinNodes renders each node of ns and joins them with op.
func joinNodes(ns []node, op string) (string, error) {
	out := make([]string, len(ns))
	for i, n := range ns {
		s, err := condSQL(n)
		if err != nil {
			return "", err
		}
		out[i] = s
	}
	return joinSQL(out, op), nil
}

// joinSQL joins parts with op in parentheses (one part stands alone).
func joinSQL(parts []string, op string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")"
}

// selection translates one search identifier.
func (t *sqlT) selection(ls *logsource, n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return t.fieldMap(ls, n)
	case yaml.SequenceNode:
		if len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode {
			var parts []string
			for _, c := range n.Content {
				s, err := t.fieldMap(ls, c)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			return joinSQL(parts, "OR"), nil
		}
		return t.keywords(n.Content)
	case yaml.ScalarNode:
		return t.keywords([]*yaml.Node{n})
	}
	return "", errors.New("unsupported selection")
}

func (t *sqlT) fieldMap(ls *logsource, n *yaml.Node) (string, error) {
	var parts []string
	for _, kv := range mappingPairs(n) {
		s, err := t.field(ls, kv[0].Value, kv[1])
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "TRUE", nil
	}
	return joinSQL(parts, "AND"), nil
}

// keywords searches the record as found.
func (t *sqlT) keywords(vals []*yaml.Node) (string, error) {
	col := column{text: "raw"}
	var parts []string
	for _, v := range vals {
		p, err := t.stringPred(col.text, opContains, v.Value, false)
		if err != nil {
			return "", err
		}
		parts = append(parts, notNull(p))
	}
	return joinSQL(parts, "OR"), nil
}

// notNull makes a predicate false where SQL would make it NULL (an absent
// field), so that NOT and OR work as the engine's two-valued logic does.
func notNull(p string) string { return "COALESCE(" + p + ", FALSE)" }

// column is how a field is read in SQL.
type column struct {
	text string // VARCHAR expression, NULL when absent
	num  string // numeric expression of the same value, when the export has one
	list string // array expression, when the field is searched element by element
	elem string // with list: the VARCHAR value of element x
}

// ctColumns are the CloudTrail fields the export keeps as columns.
var ctColumns = map[string]string{
	"eventName":                "action",
	"eventSource":              "event_source",
	"eventID":                  "event_id",
	"sourceIPAddress":          "src_ip",
	"userAgent":                "user_agent",
	"userIdentity.type":        "principal_type",
	"userIdentity.arn":         "identity_arn",
	"userIdentity.userName":    "user_name",
	"userIdentity.accessKeyId": "access_key_id",
	"userIdentity.principalId": "principal_id",
	"userIdentity.sessionContext.sessionIssuer.arn": "issuer",
}

// textColumns are the flow and ELB fields the export keeps as columns
// (text expression, numeric expression).
var (
	flowColumns = map[string][2]string{
		"srcaddr": {"src_ip", ""},
		"dstaddr": {"dst_ip", ""},
		"srcport": {"CAST(src_port AS VARCHAR)", "src_port"},
		"dstport": {"CAST(dst_port AS VARCHAR)", "dst_port"},
		"bytes":   {"CAST(bytes AS VARCHAR)", "bytes"},
		"packets": {"CAST(packets AS VARCHAR)", "packets"},
	}
	elbColumns = map[string][2]string{
		"client_ip":   {"src_ip", ""},
		"client_port": {"CAST(src_port AS VARCHAR)", "src_port"},
		"target_ip":   {"dst_ip", ""},
		"target_port": {"CAST(dst_port AS VARCHAR)", "dst_port"},
	}
	normColumns = map[string][2]string{
		"source": {"source", ""}, "kind": {"kind", ""}, "account": {"NULLIF(account, 'unknown')", ""},
		"region": {"NULLIF(region, 'unknown')", ""}, "principal": {"principal", ""},
		"principal_type": {"principal_type", ""}, "access_key_id": {"access_key_id", ""},
		"user_name": {"user_name", ""}, "issuer": {"issuer", ""}, "src_ip": {"src_ip", ""},
		"src_port": {"CAST(src_port AS VARCHAR)", "src_port"}, "dst_ip": {"dst_ip", ""},
		"dst_port": {"CAST(dst_port AS VARCHAR)", "dst_port"}, "action": {"action", ""},
		"outcome": {"outcome", ""}, "event_id": {"event_id", ""}, "event_source": {"event_source", ""},
		"user_agent": {"user_agent", ""}, "protocol": {"protocol", ""},
		"issued_access_key": {"issued_access_key", ""}, "issued_session": {"issued_session", ""},
		"bytes": {"CAST(bytes AS VARCHAR)", "bytes"}, "packets": {"CAST(packets AS VARCHAR)", "packets"},
	}
)

// column maps a field name of a logsource to SQL. With scalar, a JSON
// field is read as one value (for group-by and counted fields, where the
// engine takes a list as no value).
func (t *sqlT) column(ls *logsource, name string, scalar bool) (column, error) {
	switch ls {
	case cloudTrailSource:
		if c := ctColumns[name]; c != "" {
			return column{text: c}, nil
		}
		return t.jsonPath("raw", strings.Split(name, "."), !scalar)
	case vpcFlowSource, elbSource:
		cols := flowColumns
		if ls == elbSource {
			cols = elbColumns
		}
		if c, ok := cols[name]; ok {
			return column{text: c[0], num: c[1]}, nil
		}
		c, err := t.jsonPath("fields", []string{name}, false)
		c.text = "NULLIF(" + c.text + ", '-')"
		return c, err
	case trailcaseSource:
		if name == "annotations" {
			return column{list: "annotations", elem: "x"}, nil
		}
		if c, ok := normColumns[name]; ok {
			return column{text: c[0], num: c[1]}, nil
		}
		if name == "time" {
			return column{}, errors.New(`field "time" (compare times with --from/--to or a WHERE on "time")`)
		}
		return column{text: "CAST(NULL AS VARCHAR)"}, nil // a field no event has
	}
	return column{}, errors.New("unknown logsource")
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// duckArrays are the members DuckDB's JSON paths search element by
// element: the lists CloudTrail records hold (EC2's "items", "resources",
// policy "Statement"s, ELB "attributes", ACL "Grant"s). DuckDB has no lax
// mode; elsewhere an array on the path reads as no value.
var duckArrays = map[string]bool{"items": true, "resources": true, "Statement": true, "attributes": true, "Grant": true}

// jsonPath reads a dotted path from a JSON text column. With arrays, the
// path is searched as the engine does: in Athena through every array on
// the way and at the end (SQL/JSON lax mode), in DuckDB through the
// members in duckArrays.
func (t *sqlT) jsonPath(col string, path []string, arrays bool) (column, error) {
	var b strings.Builder
	b.WriteString("$")
	list := false
	for i, p := range path {
		if strings.ContainsAny(p, `"\`) || p == "" {
			return column{}, fmt.Errorf("field path part %q cannot be written as a JSON path", p)
		}
		switch {
		case plainKey.MatchString(p):
			b.WriteString("." + p)
		case t.duck() || (arrays && col == "raw"):
			b.WriteString(`."` + p + `"`)
		default:
			b.WriteString(`["` + p + `"]`)
		}
		if arrays && t.duck() && i < len(path)-1 && duckArrays[p] {
			b.WriteString("[*]")
			list = true
		}
	}
	jp := b.String()
	switch {
	case t.duck() && list:
		return column{list: "json_extract_string(" + col + ", " + quote(jp) + ")", elem: "x"}, nil
	case t.duck():
		return column{text: "json_extract_string(" + col + ", " + quote(jp) + ")"}, nil
	case arrays && col == "raw":
		return column{
			list: "CAST(json_parse(json_query(" + col + ", " + quote("lax "+jp+"[*]") + " WITH ARRAY WRAPPER)) AS array(json))",
			elem: "json_extract_scalar(x, '$')",
		}, nil
	}
	return column{text: "json_extract_scalar(" + col + ", " + quote(jp) + ")"}, nil
}

// field translates "name|modifiers: values".
func (t *sqlT) field(ls *logsource, key string, v *yaml.Node) (string, error) {
	parts := strings.Split(key, "|")
	name := parts[0]
	if name == "" {
		return "", errors.New("a field map key without a field name")
	}
	spec, err := parseModifiers(parts[1:])
	if err != nil {
		return "", fmt.Errorf("field %q: %v", key, err)
	}
	col, err := t.column(ls, name, false)
	if err != nil {
		return "", err
	}
	var vals []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		vals = []*yaml.Node{v}
	case yaml.SequenceNode:
		vals = v.Content
	default:
		return "", fmt.Errorf("field %q: value must be a value or a list", name)
	}
	if spec.op == opExists {
		if len(vals) != 1 || (vals[0].Value != "true" && vals[0].Value != "false") {
			return "", fmt.Errorf("field %q: exists takes true or false", name)
		}
		if col.list != "" {
			present := "COALESCE(" + t.listLen(col.list) + " > 0, FALSE)"
			if vals[0].Value == "true" {
				return present, nil
			}
			return "NOT " + present, nil
		}
		if vals[0].Value == "true" {
			return col.text + " IS NOT NULL", nil
		}
		return col.text + " IS NULL", nil
	}
	var preds []string
	var in []string // plain case-insensitive equalities, joined into one IN
	for _, val := range vals {
		if val.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("field %q: nested lists and maps are not values", name)
		}
		if col.list == "" && !spec.all && spec.op == opEq && !spec.cased && !spec.b64 && !spec.b64offset && !spec.windash && val.Tag != "!!null" {
			if ps := parsePattern(val.Value); len(ps) == 1 && ps[0].lit != "" && !(col.num != "" && isInt(ps[0].lit)) {
				in = append(in, quote(strings.ToLower(ps[0].lit)))
				continue
			}
		}
		p, err := t.valuePred(ls, col, spec, val)
		if err != nil {
			return "", fmt.Errorf("field %q: %v", key, err)
		}
		preds = append(preds, p)
	}
	switch len(in) {
	case 0:
	case 1:
		preds = append(preds, notNull("lower("+col.text+") = "+in[0]))
	default:
		preds = append(preds, notNull("lower("+col.text+") IN ("+strings.Join(in, ", ")+")"))
	}
	if len(preds) == 0 {
		return "FALSE", nil
	}
	if spec.all {
		return joinSQL(preds, "AND"), nil
	}
	return joinSQL(preds, "OR"), nil
}

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil && !strings.HasPrefix(s, "+")
}

// valuePred is the predicate for one value, never NULL.
func (t *sqlT) valuePred(ls *logsource, col column, spec modSpec, val *yaml.Node) (string, error) {
	if val.Tag == "!!null" {
		if spec.op != opEq {
			return "", errors.New("null takes no modifier")
		}
		if col.list != "" {
			return "(" + col.list + " IS NULL OR " + t.listLen(col.list) + " = 0 OR " + t.anyMatch(col.list, col.elem+" IS NULL") + ")", nil
		}
		return col.text + " IS NULL", nil
	}
	if spec.op == opFieldRef {
		ref, err := t.column(ls, val.Value, true)
		if err != nil {
			return "", err
		}
		if col.list != "" {
			return notNull(t.anyMatch(col.list, col.elem+" = "+ref.text)), nil
		}
		return notNull(col.text + " = " + ref.text), nil
	}
	if col.list != "" {
		p, err := t.scalarPred(col.elem, "", spec, val.Value)
		if err != nil {
			return "", err
		}
		return notNull(t.anyMatch(col.list, p)), nil
	}
	p, err := t.scalarPred(col.text, col.num, spec, val.Value)
	if err != nil {
		return "", err
	}
	return notNull(p), nil
}

// anyMatch is true when pred (over x) holds for an element of list.
func (t *sqlT) anyMatch(list, pred string) string {
	if t.duck() {
		return "len(list_filter(" + list + ", x -> " + pred + ")) > 0"
	}
	return "any_match(" + list + ", x -> " + pred + ")"
}

func (t *sqlT) listLen(list string) string {
	if t.duck() {
		return "len(" + list + ")"
	}
	return "cardinality(" + list + ")"
}

// scalarPred tests one value of a scalar expression e (num: the same
// value as a number, or "").
func (t *sqlT) scalarPred(e, num string, spec modSpec, val string) (string, error) {
	switch spec.op {
	case opRe:
		if _, err := regexp.Compile(val); err != nil {
			return "", fmt.Errorf("regular expression %q: %v", val, err)
		}
		if spec.reFlags != "" {
			val = "(?" + spec.reFlags + ")" + val
		}
		if t.duck() {
			return "regexp_matches(" + e + ", " + quote(val) + ")", nil
		}
		return "regexp_like(" + e + ", " + quote(val) + ")", nil
	case opCIDR:
		p, err := netip.ParsePrefix(val)
		if err != nil {
			return "", fmt.Errorf("cidr %q: %v", val, err)
		}
		return t.cidr(e, p.Masked())
	case opGT, opGTE, opLT, opLTE:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return "", fmt.Errorf("%q is not a number", val)
		}
		if num == "" {
			num = "TRY_CAST(" + e + " AS DOUBLE)"
		}
		sym := map[op]string{opGT: ">", opGTE: ">=", opLT: "<", opLTE: "<="}[spec.op]
		return num + " " + sym + " " + strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	var parts []string
	for _, w := range spec.variants(val) {
		if ps := parsePattern(w); spec.op == opEq && num != "" && len(ps) == 1 && isInt(ps[0].lit) {
			parts = append(parts, num+" = "+ps[0].lit)
			continue
		}
		p, err := t.stringPred(e, spec.op, w, spec.cased)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	return joinSQL(parts, "OR"), nil
}

// stringPred is a plain, contains, startswith or endswith test with
// Sigma's wildcards, case-insensitive unless cased.
func (t *sqlT) stringPred(e string, o op, val string, cased bool) (string, error) {
	if strings.ContainsRune(val, 0) {
		return "", errors.New("a value with a NUL character")
	}
	ps := opPattern(o, val)
	lower := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	if !cased {
		e = "lower(" + e + ")"
	}
	wild := false
	var b strings.Builder
	for _, p := range ps {
		switch {
		case p.star:
			wild = true
			b.WriteByte('%')
		case p.one:
			wild = true
			b.WriteByte('_')
		default:
			b.WriteString(likeEscaper.Replace(lower(p.lit)))
		}
	}
	if len(ps) == 1 && ps[0].star {
		return e + " IS NOT NULL", nil
	}
	if !wild {
		lit := ""
		if len(ps) == 1 {
			lit = ps[0].lit
		}
		return e + " = " + quote(lower(lit)), nil
	}
	return e + " LIKE " + quote(b.String()) + ` ESCAPE '\'`, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ipv4 is a dotted quad as Go's netip reads it (no leading zeros).
const ipv4 = `^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$`

// cidr tests an address against a prefix: Athena with its IPADDRESS type,
// DuckDB (whose inet extension is not built in) octet by octet, IPv4 only.
func (t *sqlT) cidr(e string, p netip.Prefix) (string, error) {
	if !t.duck() {
		return "contains(" + quote(p.String()) + ", TRY_CAST(" + e + " AS IPADDRESS))", nil
	}
	if !p.Addr().Is4() {
		return t.cidr6(e, p)
	}
	re := "regexp_matches(" + e + ", " + quote(ipv4) + ")"
	parts := []string{re}
	a := p.Addr().As4()
	bits := p.Bits()
	for i := 0; i < 4 && bits > 0; i++ {
		oct := "split_part(" + e + ", '.', " + strconv.Itoa(i+1) + ")"
		if bits >= 8 {
			parts = append(parts, oct+" = "+quote(strconv.Itoa(int(a[i]))))
			bits -= 8
			continue
		}
		lo := int(a[i])
		hi := lo + (1 << (8 - bits)) - 1
		parts = append(parts, "TRY_CAST("+oct+" AS INTEGER) BETWEEN "+strconv.Itoa(lo)+" AND "+strconv.Itoa(hi))
		bits = 0
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// cidr6 tests an IPv6 prefix of at most 16 bits in DuckDB: only the
// first group of the address decides, and it is the text before the
// first ':' ("" when the address starts with "::").
func (t *sqlT) cidr6(e string, p netip.Prefix) (string, error) {
	if p.Bits() > 16 {
		return "", fmt.Errorf("cidr %s: DuckDB without its inet extension tests IPv6 prefixes of at most 16 bits", p)
	}
	a := p.Addr().As16()
	lo := int(a[0])<<8 | int(a[1])
	hi := lo + (1 << (16 - p.Bits())) - 1
	first := "TRY_CAST('0x' || COALESCE(NULLIF(split_part(" + e + ", ':', 1), ''), '0') AS INTEGER)"
	return "(regexp_matches(" + e + ", '^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$') AND " + first + " BETWEEN " + strconv.Itoa(lo) + " AND " + strconv.Itoa(hi) + ")", nil
}
