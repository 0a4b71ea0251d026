package sigma

import (
	"regexp"
	"testing"
)

var prefilterCases = []struct {
	expr string
	in   []string
}{
	{`(?i)(union(%20|\+|\s)+select|'(%20|\+|\s)*or(%20|\+|\s)+'?1'?=|sleep\(|information_schema)`,
		[]string{"/a?id=1%20UNION%20SELECT%201", "/a?q=' or 1=1", "/x?sleep(5)", "/INFORMATION_SCHEMA.tables", "/plain/path", "/order?id=1", "/ſelect", "/union+ſelect"}},
	{`(?i)^.*/\.env$`, []string{"/.env", "/app/.ENV", "/env", "/.en"}},
	{`^Put(Bucket)?Policy$`, []string{"PutPolicy", "PutBucketPolicy", "putbucketpolicy", "Put"}},
	{`(?i)kelvin|ask`, []string{"KELVIN", "\u212aelvin", "a\u017f\u212a", "as"}},
	{`a*b?`, []string{"", "zzz"}},
	{`(?i)x{2,}y|z+`, []string{"XXY", "xy", "zz", "q"}},
}

// TestPrefilterNeverRejectsAMatch checks the prefilter against the
// expression on values that match and values that do not.
func TestPrefilterNeverRejectsAMatch(t *testing.T) {
	rejected := 0
	for _, c := range prefilterCases {
		re := regexp.MustCompile(c.expr)
		p := newPrefilter(c.expr)
		for _, s := range c.in {
			pass := p == nil || p.pass(s)
			if re.MatchString(s) && !pass {
				t.Errorf("%q on %q: the expression matches, the prefilter rejects", c.expr, s)
			}
			if !pass {
				rejected++
			}
		}
	}
	if rejected == 0 {
		t.Error("the prefilter rejected nothing")
	}
	if p := newPrefilter(`a*b?`); p != nil {
		t.Errorf("a*b? needs no literal, got a prefilter")
	}
	if p := newPrefilter(`(?i)(union\s+select|sleep\()`); p == nil || p.pass("/index.html") || !p.pass("/?q=UNION SELECT") {
		t.Errorf("union/sleep prefilter: %+v", p)
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, c := range prefilterCases {
		for _, s := range c.in {
			f.Add(c.expr, s)
		}
	}
	f.Fuzz(func(t *testing.T, expr, s string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		if p := newPrefilter(expr); p != nil && re.MatchString(s) && !p.pass(s) {
			t.Fatalf("%q on %q: the expression matches, the prefilter rejects", expr, s)
		}
	})
}
