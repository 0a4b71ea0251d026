package sigma

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestBadRulesNameFileLineFeature checks that a broken rule is reported
// with its file, line and the feature, and that the other rules load.
func TestBadRulesNameFileLineFeature(t *testing.T) {
	good := "title: ok\nid: g\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel\n"
	cases := []struct{ body, want string }{
		{"title: x\nid: b\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|utf16le: X\n  condition: sel\n", `bad.yml:6: field "eventName|utf16le": unsupported feature: modifier "utf16le"`},
		{"title: x\nid: b\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel | sum(bytes) > 5\n", "bad.yml:6: condition \"sel | sum(bytes) > 5\": unsupported feature: aggregation"},
		{"title: x\nid: b\nlogsource: {product: windows}\ndetection:\n  sel: {a: b}\n  condition: sel\n", "bad.yml:3: unsupported logsource"},
		{"title: x\nid: b\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|re: '(?<=a)b'\n  condition: sel\n", "bad.yml:6: field \"eventName|re\": unsupported feature: regular expression"},
		{"title: x\nid: b\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 5m\n", "bad.yml:4: unsupported feature: correlation type \"value_sum\""},
		{"title: x\nid: b\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel and nope\n", "unknown selection \"nope\""},
		{"title: [x\n", "bad.yml: invalid YAML"},
	}
	for _, c := range cases {
		fsys := fstest.MapFS{"r/good.yml": {Data: []byte(good)}, "r/bad.yml": {Data: []byte(c.body)}}
		rules, errs := Load(fsys, "r")
		if len(rules) != 1 || rules[0].ID != "g" {
			t.Errorf("%q: good rule not loaded: %v", c.want, rules)
		}
		if len(errs) != 1 || !strings.Contains(strings.ReplaceAll(errs[0].Error(), "r/", ""), c.want) {
			t.Errorf("errors %v, want one containing %q", errs, c.want)
		}
	}
}

func TestTechniques(t *testing.T) {
	r := &Rule{Tags: []string{"attack.defense_evasion", "attack.t1562.008", "attack.T1078", "cve.2021-1"}}
	if got := strings.Join(r.Techniques(), ","); got != "T1562.008,T1078" {
		t.Errorf("techniques %q", got)
	}
}

func TestAggregationErrors(t *testing.T) {
	for _, cond := range []string{"sel | count(a) by b > x", "sel | sum(bytes) by b > 3", "sel | near other"} {
		_, errs := Parse("t.yml", []byte("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: '"+cond+"'\n"))
		if len(errs) != 1 || !strings.Contains(errs[0].Msg, "aggregation") {
			t.Errorf("%q: want an aggregation error, got %v", cond, errs)
		}
	}
}
