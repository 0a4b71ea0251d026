package sigma

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateSQL = flag.Bool("update", false, "rewrite testdata/sql from the translator")

// TestSQLGolden pins the SQL of the built-in pack and of the modifier,
// condition and correlation test rules in both dialects. Run with
// -update after a deliberate change and read the diff.
func TestSQLGolden(t *testing.T) {
	builtin, errs := Builtin()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	test, errs := Load(os.DirFS("testdata"), "rules")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, set := range []struct {
		name  string
		rules []*Rule
	}{{"builtin", builtin}, {"testdata", test}} {
		for _, d := range Dialects {
			var b bytes.Buffer
			sum, err := WriteSQL(&b, set.rules, d)
			if err != nil {
				t.Fatal(err)
			}
			checkAccounted(t, set.rules, sum)
			golden := filepath.Join("testdata", "sql", set.name+"."+d+".sql")
			if *updateSQL {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSQLGolden -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the translation; run go test ./timeline/sigma -run TestSQLGolden -update and check the diff", golden)
			}
		}
	}
}

// checkAccounted: every rule is a query, a base rule inside one, or a
// comment with the reason; none is dropped.
func checkAccounted(t *testing.T, rules []*Rule, sum SQLSummary) {
	t.Helper()
	seen := map[string]int{}
	for _, s := range sum.Queries {
		seen[s]++
	}
	for _, s := range sum.Bases {
		seen[s]++
	}
	for _, s := range sum.Skipped {
		seen[s.Rule]++
		if s.Reason == "" {
			t.Errorf("rule %s skipped without a reason", s.Rule)
		}
	}
	for _, r := range rules {
		if seen[ruleName(r)] != 1 {
			t.Errorf("rule %s (%s) accounted for %d times", ruleName(r), r.File, seen[ruleName(r)])
		}
	}
}

func sqlOf(t *testing.T, dialect, rule string) (string, SQLSummary) {
	t.Helper()
	rules, errs := Parse("t.yml", []byte(rule))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var b bytes.Buffer
	sum, err := WriteSQL(&b, rules, dialect)
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), sum
}

func TestSQLTranslation(t *testing.T) {
	const head = "title: t\nid: r1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n"
	for _, tc := range []struct {
		dialect, rule string
		want          []string
	}{
		{DialectDuckDB, head + "  sel: {requestParameters.userName: \"O'Brien\"}\n  condition: sel",
			[]string{`COALESCE(lower(json_extract_string(raw, '$.requestParameters.userName')) = 'o''brien', FALSE)`}},
		{DialectAthena, head + "  sel: {requestParameters.userName: \"O'Brien\"}\n  condition: sel",
			[]string{`any_match(CAST(json_parse(json_query(raw, 'lax $.requestParameters.userName[*]' WITH ARRAY WRAPPER)) AS array(json)), x -> lower(json_extract_scalar(x, '$')) = 'o''brien')`}},
		{DialectDuckDB, head + "  sel: {eventName: [A, B]}\n  f: {userAgent|contains: '50%_x*'}\n  condition: sel and not f",
			[]string{`COALESCE(lower(action) IN ('a', 'b'), FALSE)`, `NOT COALESCE(lower(user_agent) LIKE '%50\%\_x%' ESCAPE '\', FALSE)`}},
		{DialectDuckDB, head + "  sel: {userAgent|cased|startswith: Boto3}\n  condition: sel",
			[]string{`COALESCE(user_agent LIKE 'Boto3%' ESCAPE '\', FALSE)`}},
		{DialectDuckDB, head + "  sel: {userAgent|contains|all: [a, b]}\n  condition: sel",
			[]string{`(COALESCE(lower(user_agent) LIKE '%a%' ESCAPE '\', FALSE) AND COALESCE(lower(user_agent) LIKE '%b%' ESCAPE '\', FALSE))`}},
		{DialectDuckDB, head + "  sel: {sourceIPAddress|cidr: 172.16.0.0/12}\n  condition: sel",
			[]string{`split_part(src_ip, '.', 1) = '172'`, `TRY_CAST(split_part(src_ip, '.', 2) AS INTEGER) BETWEEN 16 AND 31`}},
		{DialectAthena, head + "  sel: {sourceIPAddress|cidr: 172.16.0.0/12}\n  condition: sel",
			[]string{`contains('172.16.0.0/12', TRY_CAST(src_ip AS IPADDRESS))`}},
		{DialectDuckDB, head + "  sel: {sourceIPAddress|cidr: fc00::/7}\n  condition: sel",
			[]string{`BETWEEN 64512 AND 65023`}},
		{DialectDuckDB, head + "  sel: {errorCode: null}\n  condition: sel",
			[]string{`json_extract_string(raw, '$.errorCode') IS NULL`}},
		{DialectDuckDB, head + "  sel: {userAgent|re|i: '^aws-cli/1\\.'}\n  condition: sel",
			[]string{`regexp_matches(user_agent, '(?i)^aws-cli/1\.')`}},
		{DialectAthena, head + "  sel: {userAgent|re: '^aws'}\n  condition: sel",
			[]string{`regexp_like(user_agent, '^aws')`}},
		{DialectDuckDB, head + "  sel: {requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0}\n  condition: sel",
			[]string{`json_extract_string(raw, '$.requestParameters.ipPermissions.items[*].ipRanges.items[*].cidrIp')`, `x -> lower(x) = '0.0.0.0/0'`}},
		{DialectDuckDB, head + "  sel: {requestParameters.maxResults|gte: 100}\n  condition: sel",
			[]string{`TRY_CAST(json_extract_string(raw, '$.requestParameters.maxResults') AS DOUBLE) >= 100`}},
		{DialectDuckDB, "title: t\nid: r1\nlogsource: {product: aws, service: vpcflow}\ndetection:\n  sel: {dstport: 22, log-status: OK}\n  condition: sel",
			[]string{`COALESCE(dst_port = 22, FALSE)`, `NULLIF(json_extract_string(fields, '$."log-status"'), '-')`}},
		{DialectDuckDB, head + "  kw: ['evil*host']\n  condition: kw",
			[]string{`COALESCE(lower(raw) LIKE '%evil%host%' ESCAPE '\', FALSE)`}},
	} {
		got, sum := sqlOf(t, tc.dialect, tc.rule)
		if len(sum.Queries) != 1 {
			t.Errorf("%s: not translated:\n%s", tc.rule, got)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s (%s): want %s in\n%s", tc.rule, tc.dialect, w, got)
			}
		}
	}
}

// TestSQLNotTranslated: what SQL cannot do is a comment naming the rule
// and the reason, and the rule is counted as skipped.
func TestSQLNotTranslated(t *testing.T) {
	for _, tc := range []struct{ dialect, rule, reason string }{
		{DialectDuckDB, "title: t\nid: r1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {sourceIPAddress|cidr: '2001:db8::/32'}\n  condition: sel\n",
			"IPv6 prefixes of at most 16 bits"},
		{DialectAthena, `title: b
id: b1
name: base
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: X}, condition: sel}
---
title: few
id: c1
correlation: {type: event_count, rules: [base], group-by: [userIdentity.arn], timespan: 1h, condition: {lte: 2}}
`, "start at each group's first event"},
		{DialectDuckDB, "title: t\nid: r1\nlogsource: {product: trailcase}\ndetection:\n  sel: {time|startswith: '2024'}\n  condition: sel\n",
			`field "time"`},
	} {
		got, sum := sqlOf(t, tc.dialect, tc.rule)
		if len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, tc.reason) {
			t.Errorf("want one rule skipped for %q, got %+v", tc.reason, sum)
			continue
		}
		if !strings.Contains(got, "-- NOT TRANSLATED: rule "+sum.Skipped[0].Rule) || !strings.Contains(got, tc.reason) {
			t.Errorf("no comment naming the rule and the reason in\n%s", got)
		}
	}
}

// TestSQLComment: a rule's title cannot end the comment it is written in.
func TestSQLComment(t *testing.T) {
	got, _ := sqlOf(t, DialectDuckDB, "title: \"x\\nDROP TABLE y;\"\nid: r1\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {eventName: X}, condition: sel}\n")
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "DROP") {
			t.Fatalf("title escaped its comment:\n%s", got)
		}
	}
}

// TestValueCountList: one event whose counted field is a list is one
// event of the result, whatever number of values it brings.
func TestValueCountList(t *testing.T) {
	data, err := os.ReadFile("testdata/rules/value_lists.yml")
	if err != nil {
		t.Fatal(err)
	}
	rules, errs := Parse("value_lists.yml", data)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	eng, _ := New(rules, Limits{})
	evs := buildEvents(t, []testEvent{{CloudTrail: map[string]any{"eventName": "SendCommand",
		"userIdentity": map[string]any{"arn": "arn:aws:iam::1:user/x"}, "requestParameters": map[string]any{"instanceIds": []any{"i-1", "i-2", "i-3", "i-4"}}}}})
	got := runEvents(eng, evs, "00000000-0000-4000-8000-000000000302")
	if len(got) != 1 || got[0].Count != 1 || len(got[0].Events) != 1 || len(got[0].Values) != 4 {
		t.Fatalf("want one result of one event and four values, got %+v", got)
	}
}
