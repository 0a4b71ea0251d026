package digest

import (
	"strings"
	"testing"
	"time"
)

func TestGapSummary(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	key := chainKey{account: "123456789012", region: "us-east-1", trail: "t"}
	p := &summary{end: at("2025-03-11T04:00:00Z"), found: "a.json.gz"}
	n := &summary{start: at("2025-03-11T10:00:00Z"), found: "b.json.gz"}
	g := newGap(key, p, n, GapRestarted)
	if g.Hours != 6 || g.After != "a.json.gz" || g.Before != "b.json.gz" || g.Account != "123456789012" || g.Trail != "t" {
		t.Errorf("gap %+v", g)
	}
	if got, want := gapSummary([]Gap{g}), "; 1 gap of 6 h: 2025-03-11T04:00Z–10:00Z, logging or validation was off"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	r := &Result{Valid: true, Gaps: []Gap{g}}
	if s := r.Summary(); !strings.HasSuffix(s, "0 problems: valid; 1 gap of 6 h: 2025-03-11T04:00Z–10:00Z, logging or validation was off") {
		t.Errorf("summary %q", s)
	}
	if s := (&Result{Valid: true}).Summary(); !strings.HasSuffix(s, ": valid") {
		t.Errorf("summary without gaps %q", s)
	}

	p2 := &summary{end: at("2025-03-11T23:30:00Z"), found: "c"}
	n2 := &summary{start: at("2025-03-12T02:00:00Z"), found: "d"}
	g2 := newGap(key, p2, n2, GapRestarted)
	if g2.Hours != 2.5 {
		t.Errorf("hours %v", g2.Hours)
	}
	want := "; 2 gaps, 8.5 h in all: 2025-03-11T04:00Z–10:00Z (6 h), 2025-03-11T23:30Z–2025-03-12T02:00Z (2.5 h), logging or validation was off"
	if got := gapSummary([]Gap{g, g2}); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := duration(40 * time.Minute); got != "40 min" {
		t.Errorf("duration %q", got)
	}
}

func TestOutsideNotice(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	spans := []span{{t0, t0.Add(time.Hour)}, {t0.Add(3 * time.Hour), t0.Add(4 * time.Hour)}}
	for _, c := range []struct {
		at   time.Time
		j    int
		want string
	}{
		{t0.Add(-time.Hour), 0, "before the first period, which starts 2026-03-10T08:00:00Z"},
		{t0.Add(2 * time.Hour), 1, "between the period ending 2026-03-10T09:00:00Z and the one starting 2026-03-10T11:00:00Z"},
		{t0.Add(5 * time.Hour), 2, "after the last period, which ends 2026-03-10T12:00:00Z"},
	} {
		if j, where := position(spans, c.at); j != c.j || where != c.want {
			t.Errorf("%s: %d %q", c.at, j, where)
		}
	}
	one := &outside{where: "w", first: t0, last: t0, keys: []string{"k1"}}
	if got, want := one.notice(), "CloudTrail log k1 lies outside every period the digests cover (written at 2026-03-10T08:00:00Z, w): it cannot be validated"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	many := &outside{where: "w", first: t0, last: t0.Add(time.Hour), keys: []string{"1", "2", "3", "4", "5", "6", "7"}}
	if got := many.notice(); !strings.HasPrefix(got, "7 CloudTrail logs lie outside every period") || !strings.HasSuffix(got, "they cannot be validated: 1, 2, 3, 4, 5 and 2 more") {
		t.Errorf("notice %q", got)
	}
}
