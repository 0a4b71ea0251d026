package sigma

import "testing"

// The built-in flow and ELB rules read fields, not the raw line; a
// keyword rule for every source reads every raw record.
func TestNeedsRaw(t *testing.T) {
	rules, errs := Builtin()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, _ := New(rules, Limits{})
	for src, want := range map[string]bool{"cloudtrail": true, "vpcflow": false, "elb": false, "config": false} {
		if got := e.NeedsRaw(src); got != want {
			t.Errorf("built-in pack: NeedsRaw(%s) = %v, want %v", src, got, want)
		}
	}
	kw, errs := Parse("kw.yml", []byte("title: kw\nid: kw\nlogsource: {product: trailcase}\ndetection:\n  words: [evil]\n  condition: words\n"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, _ = New(append(rules, kw...), Limits{})
	for _, src := range []string{"cloudtrail", "vpcflow", "elb"} {
		if !e.NeedsRaw(src) {
			t.Errorf("with a keyword rule: NeedsRaw(%s) = false", src)
		}
	}
}
