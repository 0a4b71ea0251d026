package sigma

import (
	"regexp"
	"testing"
)

func TestBuiltinRules(t *testing.T) {
	n := runRuleTests(t, builtinFS, "rules")
	t.Logf("%d built-in rules tested", n)
	if n < 20 {
		t.Errorf("only %d built-in rules", n)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestBuiltinMetadata checks what every reported rule must carry.
func TestBuiltinMetadata(t *testing.T) {
	rules, errs := Builtin()
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		if !uuidRE.MatchString(r.ID) || ids[r.ID] {
			t.Errorf("%s: id %q is not a fresh UUID", r.File, r.ID)
		}
		ids[r.ID] = true
		if r.Title == "" || r.Description == "" {
			t.Errorf("%s: %s lacks title or description", r.File, r.ID)
		}
		if r.detection != nil && r.Name != "" {
			continue // a base rule reported through its correlation
		}
		if r.Level == "" || len(r.Techniques()) == 0 || len(r.FalsePositives) == 0 || r.Author == "" {
			t.Errorf("%s: %s lacks level, ATT&CK technique tags, falsepositives or author", r.File, r.ID)
		}
	}
	if _, errs := New(rules, Limits{}); len(errs) > 0 {
		t.Errorf("engine: %v", errs)
	}
}
