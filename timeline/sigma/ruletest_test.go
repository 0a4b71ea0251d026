package sigma

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// Rule files carry their own tests under a top-level "tests" key, which
// the engine ignores:
//
//	tests:
//	  - expect: 1            # results of this rule (0 for a negative case)
//	    events:
//	      - cloudtrail: {eventName: StopLogging}   # a CloudTrail record
//	        repeat: 5        # optional: the event 5 times,
//	        every: 10s       # this far apart (default 1s),
//	        vary: field      # with field made distinct (+i, or -i appended)
//	      - vpcflow: {srcaddr: 198.51.100.9, dstport: 22, action: REJECT}
//	      - elb: {request_url: "https://x/.env", user_agent: sqlmap}
//	        after: 10m       # optional: let this much time pass first
type ruleTest struct {
	Expect int         `yaml:"expect"`
	Events []testEvent `yaml:"events"`
}

type testEvent struct {
	CloudTrail map[string]any `yaml:"cloudtrail"`
	VPCFlow    map[string]any `yaml:"vpcflow"`
	ELB        map[string]any `yaml:"elb"`
	Repeat     int            `yaml:"repeat"`
	Every      string         `yaml:"every"`
	After      string         `yaml:"after"`
	Vary       string         `yaml:"vary"`
}

var testEpoch = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// ruleTests reads the tests of every document in a file, by rule id.
func ruleTests(t *testing.T, data []byte) map[string][]ruleTest {
	t.Helper()
	out := map[string][]ruleTest{}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc struct {
			ID    string     `yaml:"id"`
			Tests []ruleTest `yaml:"tests"`
		}
		if err := dec.Decode(&doc); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("tests: %v", err)
		}
		if len(doc.Tests) > 0 {
			out[doc.ID] = doc.Tests
		}
	}
}

// buildEvents turns a test's events into timeline events through the real
// parsers, in time order.
func buildEvents(t *testing.T, evs []testEvent) []*timeline.Event {
	t.Helper()
	clock := testEpoch
	var out []*timeline.Event
	for _, te := range evs {
		if te.After != "" {
			clock = clock.Add(mustDuration(t, te.After))
		}
		step := time.Second
		if te.Every != "" {
			step = mustDuration(t, te.Every)
		}
		for i := range max(te.Repeat, 1) {
			out = append(out, buildEvent(t, te, i, clock))
			clock = clock.Add(step)
		}
	}
	return out
}

func mustDuration(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("duration %q: %v", s, err)
	}
	return d
}

func buildEvent(t *testing.T, te testEvent, i int, at time.Time) *timeline.Event {
	t.Helper()
	var kind, text string
	switch {
	case te.CloudTrail != nil:
		rec := cloneMap(te.CloudTrail)
		if _, ok := rec["eventTime"]; !ok {
			rec["eventTime"] = at.Format(time.RFC3339)
		}
		vary(rec, te.Vary, i)
		b, err := json.Marshal(map[string]any{"Records": []any{rec}})
		if err != nil {
			t.Fatal(err)
		}
		kind, text = evidence.KindCloudTrail, string(b)
	case te.VPCFlow != nil:
		kind, text = evidence.KindVPCFlow, flowLine(te.VPCFlow, te.Vary, i, at)
	case te.ELB != nil:
		kind, text = evidence.KindELBALB, albLine(te.ELB, te.Vary, i, at)
	default:
		t.Fatal("test event names no source")
	}
	var got []*timeline.Event
	err := timeline.Parse(context.Background(), kind, strings.NewReader(text), timeline.ParseOptions{Evidence: 7, Name: "test"},
		func(e *timeline.Event) error { got = append(got, e); return nil },
		func(w timeline.Warning) { t.Errorf("parse warning: %v", w) })
	if err != nil || len(got) != 1 {
		t.Fatalf("test event %s: %d events, %v", text, len(got), err)
	}
	return got[0]
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// vary makes field distinct for the i-th copy; a dotted path reaches into
// nested maps.
func vary(m map[string]any, field string, i int) {
	if field == "" {
		return
	}
	parts := strings.Split(field, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		next = cloneMap(next)
		m[p] = next
		m = next
	}
	last := parts[len(parts)-1]
	switch v := m[last].(type) {
	case int:
		m[last] = v + i
	default:
		s := fmt.Sprint(v)
		if n, err := strconv.Atoi(s); err == nil {
			m[last] = strconv.Itoa(n + i)
		} else {
			m[last] = s + "-" + strconv.Itoa(i)
		}
	}
}

var flowHeader = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")

func flowLine(over map[string]any, field string, i int, at time.Time) string {
	m := map[string]any{
		"version": 2, "account-id": "123456789012", "interface-id": "eni-0a1b2c3d", "srcaddr": "10.0.0.1",
		"dstaddr": "10.0.0.2", "srcport": 40000, "dstport": 443, "protocol": 6, "packets": 10, "bytes": 840,
		"start": at.Unix(), "end": at.Unix() + 1, "action": "ACCEPT", "log-status": "OK",
	}
	for k, v := range over {
		m[k] = v
	}
	vary(m, field, i)
	vals := make([]string, len(flowHeader))
	for j, h := range flowHeader {
		vals[j] = fmt.Sprint(m[h])
	}
	return strings.Join(flowHeader, " ") + "\n" + strings.Join(vals, " ") + "\n"
}

func albLine(over map[string]any, field string, i int, at time.Time) string {
	m := map[string]any{
		"client_ip": "203.0.113.7", "client_port": 51000, "elb_status_code": 200,
		"request_method": "GET", "request_url": "https://shop.example.com:443/", "user_agent": "Mozilla/5.0",
	}
	for k, v := range over {
		m[k] = v
	}
	vary(m, field, i)
	return fmt.Sprintf(`https %s app/web/abc %v:%v 10.0.1.5:8080 0.001 0.020 0.000 %v 200 120 3400 "%v %v HTTP/1.1" "%v" - -`+"\n",
		at.Format("2006-01-02T15:04:05.000000Z"), m["client_ip"], m["client_port"], m["elb_status_code"],
		m["request_method"], m["request_url"], m["user_agent"])
}

// runRuleTests checks every rule file under root of fsys: each loads,
// and each test gives the expected number of results.
func runRuleTests(t *testing.T, fsys fs.FS, root string) (rules int) {
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".yml") {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		loaded, errs := Parse(name, data)
		for _, e := range errs {
			t.Errorf("%v", e)
		}
		eng, errs := New(loaded, Limits{})
		for _, e := range errs {
			t.Errorf("%v", e)
		}
		tests := ruleTests(t, data)
		for _, r := range loaded {
			if r.detection != nil && r.Name != "" && tests[r.ID] == nil {
				continue // a base rule of a correlation, tested through it
			}
			rules++
			if len(tests[r.ID]) == 0 {
				t.Errorf("%s: rule %s has no tests", name, r.ID)
			}
			for i, tc := range tests[r.ID] {
				t.Run(fmt.Sprintf("%s/%s/%d", strings.TrimSuffix(name, ".yml"), r.ID, i), func(t *testing.T) {
					got := runEvents(eng, buildEvents(t, tc.Events), r.ID)
					if len(got) != tc.Expect {
						t.Errorf("rule %s (%s): %d results, want %d: %+v", r.ID, r.Title, len(got), tc.Expect, got)
					}
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// runEvents returns the results of rule id over events.
func runEvents(eng *Engine, evs []*timeline.Event, id string) []Result {
	var got []Result
	keep := func(r Result) {
		if r.Rule.ID == id {
			got = append(got, r)
		}
	}
	run := eng.NewRun()
	for _, e := range evs {
		run.Event(e, keep)
	}
	run.Flush(keep)
	sort.SliceStable(got, func(i, j int) bool { return got[i].First.Before(got[j].First) })
	return got
}

func TestTestdataRules(t *testing.T) {
	n := runRuleTests(t, os.DirFS("testdata"), "rules")
	if n == 0 {
		t.Fatal("no rules under testdata/rules")
	}
}
