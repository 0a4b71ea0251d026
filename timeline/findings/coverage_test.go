package findings

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/timeline"
)

var t0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

func ct(min int, action string, params map[string]any) *timeline.Event {
	raw, _ := json.Marshal(map[string]any{"eventName": action, "requestParameters": params})
	return &timeline.Event{Time: t0.Add(time.Duration(min) * time.Minute), Source: timeline.SourceCloudTrail, Account: "1", Region: "r",
		Action: action, Outcome: "success", EventSource: "cloudtrail.amazonaws.com", Raw: raw}
}

func byRule(fs []finding.Finding, rule string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func TestDeliveryGaps(t *testing.T) {
	for _, tc := range []struct {
		name    string
		minutes []int // cloudtrail event times
		flow    []int // flow event times (extends the case's span)
		want    [][2]int
	}{
		{"steady", []int{0, 10, 20, 30, 40}, nil, nil},
		{"just under the gap", []int{0, 60}, nil, nil},
		{"one silence", []int{0, 10, 100, 110}, nil, [][2]int{{10, 100}}},
		{"two silences", []int{0, 70, 80, 200}, nil, [][2]int{{0, 70}, {80, 200}}},
		{"stream ends early", []int{0, 10}, []int{0, 300}, [][2]int{{10, 300}}},
		{"stream starts late", []int{200, 210}, []int{0, 10, 50, 100, 150, 210}, [][2]int{{0, 200}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCoverage(nil)
			var evs []*timeline.Event
			for _, m := range tc.minutes {
				evs = append(evs, ct(m, "DescribeInstances", nil))
			}
			for _, m := range tc.flow {
				evs = append(evs, &timeline.Event{Time: t0.Add(time.Duration(m) * time.Minute), Source: timeline.SourceVPCFlow, Account: "1", Action: "ACCEPT"})
			}
			sortEvents(evs)
			for _, e := range evs {
				c.event(e)
			}
			var got [][2]int
			for _, f := range byRule(c.findings(), "coverage-delivery-gap") {
				if !strings.HasPrefix(f.Object, "cloudtrail") {
					continue
				}
				got = append(got, [2]int{int(f.First.Sub(t0).Minutes()), int(f.Last.Sub(t0).Minutes())})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("gaps %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("gaps %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func sortEvents(evs []*timeline.Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Time.Before(evs[j-1].Time); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

func TestLoggingStopped(t *testing.T) {
	c := newCoverage(nil)
	for _, e := range []*timeline.Event{
		ct(0, "DescribeTrails", nil),
		ct(10, "StopLogging", map[string]any{"name": "main"}),
		ct(20, "StopLogging", map[string]any{"name": "other"}),
		ct(50, "StartLogging", map[string]any{"name": "main"}),
		ct(90, "DescribeTrails", nil),
	} {
		c.event(e)
	}
	fs := byRule(c.findings(), "coverage-logging-stopped")
	if len(fs) != 2 {
		t.Fatalf("%d stopped windows, want 2: %+v", len(fs), fs)
	}
	if fs[0].Object != "main" || !fs[0].First.Equal(t0.Add(10*time.Minute)) || !fs[0].Last.Equal(t0.Add(50*time.Minute)) {
		t.Errorf("first window %+v", fs[0])
	}
	if !strings.HasPrefix(fs[1].Object, "other") || !fs[1].Last.Equal(t0.Add(90*time.Minute)) {
		t.Errorf("an unclosed window runs to the case's end: %+v", fs[1])
	}
}

func TestDigestRestarts(t *testing.T) {
	from := time.Date(2025, 3, 11, 4, 0, 0, 0, time.UTC)
	ws := restarts([]digest.Gap{
		{From: from, To: from.Add(6 * time.Hour), Reason: digest.GapRestarted, After: "d1.json.gz", Before: "d2.json.gz"},
		{From: from, To: from.Add(time.Hour), Reason: "something else"},
	})
	if len(ws) != 1 || ws[0].to.Sub(ws[0].from) != 6*time.Hour || ws[0].what != "d2.json.gz" {
		t.Fatalf("restarts = %+v", ws)
	}
}

func TestUnloggedLoadBalancer(t *testing.T) {
	c := newCoverage(nil)
	lb := ct(0, "CreateLoadBalancer", map[string]any{"name": "shop"})
	lb.EventSource = "elasticloadbalancing.amazonaws.com"
	seenLB := ct(1, "DescribeLoadBalancers", map[string]any{"loadBalancerArn": "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/logged/abc"})
	seenLB.EventSource = lb.EventSource
	c.event(lb)
	c.event(seenLB)
	c.event(&timeline.Event{Time: t0.Add(2 * time.Minute), Source: timeline.SourceELB, Fields: map[string]string{"elb": "app/logged/abc"}})
	fs := byRule(c.findings(), "coverage-lb-unlogged")
	if len(fs) != 1 || fs[0].Object != "shop" {
		t.Fatalf("unlogged load balancers %+v, want shop only", fs)
	}
}

func TestCounterBounded(t *testing.T) {
	c := newCounter(10)
	for i := range 10_000 {
		c.add(string(rune('a'+i%50)), t0)
		c.add("heavy", t0)
	}
	if len(c.heap) > 10 || len(c.byValue) > 10 {
		t.Fatalf("counter holds %d values, capacity 10", len(c.heap))
	}
	top := c.top(1)
	if top[0].Value != "heavy" || top[0].Count < 10_000 {
		t.Errorf("top = %+v", top)
	}
}
