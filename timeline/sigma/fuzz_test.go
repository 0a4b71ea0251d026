package sigma

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/trailcase/trailcase/timeline"
)

// FuzzParseRule: any rule text either loads or gives RuleErrors; it never
// panics, a loaded rule runs over an event without panicking, and its SQL
// translation in each dialect accounts for every rule.
func FuzzParseRule(f *testing.F) {
	for _, dir := range []fs.FS{builtinFS, os.DirFS("testdata")} {
		_ = fs.WalkDir(dir, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, err := fs.ReadFile(dir, name); err == nil {
					f.Add(b)
				}
			}
			return nil
		})
	}
	ev := &timeline.Event{Source: timeline.SourceCloudTrail, Time: time.Unix(1, 0),
		Raw: json.RawMessage(`{"eventName":"X","requestParameters":{"a":[1,"b",null,{"c":true}]}}`)}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, errs := Parse("fuzz.yml", data)
		for _, e := range errs {
			if e.File != "fuzz.yml" {
				t.Fatalf("error without the file: %v", e)
			}
		}
		eng, _ := New(rules, Limits{MaxGroups: 4, MaxEvents: 4})
		run := eng.NewRun()
		run.Event(ev, func(Result) {})
		run.Flush(func(Result) {})
		for _, d := range Dialects {
			sum, err := WriteSQL(io.Discard, rules, d)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(sum.Queries) + len(sum.Bases) + len(sum.Skipped); n != len(rules) {
				t.Fatalf("%s: %d rules, %d accounted for", d, len(rules), n)
			}
		}
	})
}

// FuzzCondition: any condition over three selections compiles or errors.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{"a", "a and not b", "(a or b) and c", "1 of a*", "all of them", "not (a or (b and c))", "a |", "1 of", "((("} {
		f.Add(s)
	}
	names := []string{"a", "ab", "_c"}
	sels := map[string]node{"a": andNode{}, "ab": orNode{}, "_c": andNode{}}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseCondition(s, names, sels)
		if err == nil {
			n.eval(&doc{e: &timeline.Event{}})
		}
	})
}
