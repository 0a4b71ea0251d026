package timeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// selectorEvents adds events with resources, user agents and a role with
// a path to the small incident.
func selectorEvents() []*Event {
	evs := incidentEvents()
	get := ct(50*time.Minute, session2, key2, attackerIP, "GetObject") // 21
	get.Resources = []string{"arn:aws:s3:::acme-data/exports/a.csv", "arn:aws:s3:::acme-data"}
	get.UserAgent = "aws-cli/2.15 Python/3.11"
	del := ct(51*time.Minute, session2, key2, attackerIP, "DeleteBucket") // 22
	del.Resources, del.Outcome, del.UserAgent = []string{"arn:aws:s3:::acme-data"}, "AccessDenied", "Boto3/1.34"
	lam := ct(52*time.Minute, "arn:aws:sts::123456789012:assumed-role/LambdaExec/fn", "ASIALAMBDA", "10.0.5.5", "GetSecretValue") // 23
	lam.Issuer = "arn:aws:iam::123456789012:role/service-role/LambdaExec"
	lam.Resources = []string{"prod/db"}
	role := ct(53*time.Minute, userARN, userKey, ciIP, "UpdateAssumeRolePolicy") // 24
	role.Resources = []string{"arn:aws:iam::123456789012:role/service-role/LambdaExec"}
	return append(evs, get, del, lam, role)
}

func TestQuerySelectors(t *testing.T) {
	st := newTestStore(t, selectorEvents())
	for _, tc := range []struct {
		name string
		q    Query
		want []int64
	}{
		{"event", Query{Events: []string{"getobject"}}, []int64{7, 21}},
		{"event globs", Query{Events: []string{"Delete*", "list?uckets"}}, []int64{3, 22}},
		{"event and ip", Query{IP: attackerIP, Events: []string{"Get*"}}, []int64{2, 7, 21}},
		{"resource arn", Query{Resource: "arn:aws:s3:::acme-data"}, []int64{21, 22}},
		{"resource object prefix", Query{Resource: "arn:aws:s3:::acme-data/exports/"}, []int64{21}},
		{"resource name", Query{Resource: "ACME-DATA"}, []int64{21, 22}},
		{"resource object", Query{Resource: "arn:aws:s3:::acme-data/exports/a.csv"}, []int64{21}},
		{"resource object name prefix", Query{Resource: "acme-data/EXPORTS/a"}, []int64{21}},
		{"resource object elsewhere", Query{Resource: "acme-data/imports/"}, nil},
		{"resource object other bucket", Query{Resource: "arn:aws:s3:::acme/exports/"}, nil},
		{"resource arn prefix", Query{Resource: "arn:aws:s3:::ACME-d"}, []int64{21, 22}},
		{"resource arn other partition", Query{Resource: "arn:aws-cn:s3:::acme-data"}, nil},
		{"resource name with slash", Query{Resource: "prod/d"}, []int64{23}},
		{"resource role without path", Query{Resource: "arn:aws:iam::123456789012:role/LambdaExec"}, []int64{24}},
		{"resource role name", Query{Resource: "LambdaExec"}, []int64{24}},
		{"resource and event", Query{Resource: "acme-data", Events: []string{"DeleteBucket"}}, []int64{22}},
		{"cidr v4", Query{IP: "10.0.0.0/16", Sources: []string{SourceVPCFlow}}, []int64{11, 12, 15, 13, 14, 16, 17}},
		{"cidr v4 narrow", Query{IP: "10.0.9.0/24"}, []int64{17}},
		{"cidr v6", Query{IP: "2001:db8::/32"}, []int64{19}},
		{"cidr and event", Query{IP: "203.0.113.0/24", Events: []string{"ListRoles"}}, []int64{5}},
		{"user agent and outcome", Query{Resource: "acme-data", UserAgent: "boto3", Outcome: OutcomeError}, []int64{22}},
		{"outcome success", Query{Resource: "acme-data", Outcome: OutcomeSuccess}, []int64{21}},
		{"principal role without path", Query{Principal: "arn:aws:iam::123456789012:role/LambdaExec", Sources: []string{SourceCloudTrail}}, []int64{23}},
		{"principal and event", Query{Principal: userARN, Events: []string{"ListBuckets"}}, []int64{3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &scanGuard{Store: st}
			ms, _ := collect(t, g, tc.q)
			got := records(ms)
			if !slices.Equal(sorted(got), sorted(tc.want)) {
				t.Errorf("records %v, want %v", got, tc.want)
			}
		})
	}
	// Only non-indexed selectors read the case by time.
	g := &scanGuard{Store: st, allowed: true}
	if ms, _ := collect(t, g, Query{UserAgent: "BOTO3"}); !slices.Equal(records(ms), []int64{22}) {
		t.Errorf("user agent alone: %v", records(ms))
	}
}

// TestQueryCIDRWhy checks the reasons of a CIDR range's events: one for
// each of the event's addresses in the range, in address-term order, as
// a query of each address gives them.
func TestQueryCIDRWhy(t *testing.T) {
	st := newTestStore(t, selectorEvents())
	for _, tc := range []struct {
		cidr string
		want []string
	}{
		{"10.0.9.0/24", []string{"ip 10.0.9.8 is the destination", "ip 10.0.9.9 is the source"}},
		{"10.0.9.8/31", []string{"ip 10.0.9.8 is the destination", "ip 10.0.9.9 is the source"}},
		{"10.0.9.9/32", []string{"ip 10.0.9.9 is the source"}},
	} {
		ms, _ := collect(t, st, Query{IP: tc.cidr})
		if len(ms) != 1 || ms[0].Event.Record != 17 || !slices.Equal(ms[0].Why, tc.want) {
			for _, m := range ms {
				t.Logf("record %d: %q", m.Event.Record, m.Why)
			}
			t.Errorf("%s: want record 17 with %q", tc.cidr, tc.want)
		}
	}
}

func sorted(r []int64) []int64 {
	r = slices.Clone(r)
	slices.Sort(r)
	return r
}

func TestQuerySelectorsValidate(t *testing.T) {
	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{Outcome: "maybe"}, "outcome"},
		{Query{Events: []string{"[a"}}, "not a valid glob"},
		{Query{IP: "10.0.0.0/33"}, "not an IP address or CIDR range"},
		{Query{Resource: "x", All: true, IP: "1.2.3.4"}, "exactly one"},
	} {
		if err := tc.q.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.q, err, tc.want)
		}
	}
}

func TestQueryDidYouMean(t *testing.T) {
	st := newTestStore(t, selectorEvents())
	_, sum := collect(t, st, Query{IP: "203.0.113.67"})
	if u := sum.Unknown; u == nil || u.What != "IP address" || len(u.Suggestions) == 0 || u.Suggestions[0] != attackerIP {
		t.Fatalf("unknown ip: %+v", u)
	}
	_, sum = collect(t, st, Query{Principal: "arn:aws:iam::123456789012:user/ci-deployr"})
	u := sum.Unknown
	if u == nil || len(u.Suggestions) == 0 || u.Suggestions[0] != strings.ToLower(userARN) {
		t.Fatalf("unknown principal: %+v", u)
	}
	if msg := u.Message(); !strings.Contains(msg, "is not in the case; did you mean "+strings.ToLower(userARN)) {
		t.Errorf("message %q", msg)
	}
	_, sum = collect(t, st, Query{Principal: "zzzzzzzzzzzzzzzzzzzzzz"})
	if sum.Unknown == nil || len(sum.Unknown.Suggestions) != 0 {
		t.Errorf("nothing near: %+v", sum.Unknown)
	}
	for _, q := range []Query{{IP: attackerIP}, {Principal: userARN}, {Principal: "arn:aws:iam::123456789012:role/LambdaExec"}} {
		if _, sum := collect(t, st, q); sum.Unknown != nil {
			t.Errorf("%+v: known, yet %+v", q, sum.Unknown)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"kitten", "sitting", 3}, {"a", "", 1}} {
		if got := editDistance(tc.a, tc.b, 10); got != tc.want {
			t.Errorf("%q %q: %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := editDistance("aaaaaaaa", "bbbbbbbb", 2); got != 3 {
		t.Errorf("limited: %d", got)
	}
}

// listedTerms is a TermLister over a sorted list, counting the values
// it hands out; with bounded, it stops as store.Store does.
type listedTerms struct {
	terms []string
	read  int
}

type boundedTerms struct{ *listedTerms }

func (l boundedTerms) TermValuesUpTo(prefix string, limit int, fn func(string, int) error) error {
	i, _ := slices.BinarySearch(l.terms, prefix)
	for n := 0; n < limit && i < len(l.terms) && strings.HasPrefix(l.terms[i], prefix); i, n = i+1, n+1 {
		l.read++
		if err := fn(l.terms[i], 1); err != nil {
			return err
		}
	}
	return nil
}

func (l *listedTerms) TermValues(prefix string, fn func(string, int) error) error {
	i, _ := slices.BinarySearch(l.terms, prefix)
	for ; i < len(l.terms) && strings.HasPrefix(l.terms[i], prefix); i++ {
		l.read++
		if err := fn(l.terms[i], 1); err != nil {
			return err
		}
	}
	return nil
}

func TestDidYouMeanReadsNearValuesOnly(t *testing.T) {
	l := &listedTerms{}
	for a := range 200 {
		for b := range 250 {
			l.terms = append(l.terms, fmt.Sprintf("%s10.%d.%d.%d", TermIP, a, b, (a*7+b)%250))
		}
	}
	slices.Sort(l.terms)
	all := len(l.terms)
	for _, want := range []string{"10.17.42.1", "10.17.42.16", "10.199.249.24", "10.7.3.5", "10.0.0.7"} {
		full := nearest{want: want}
		if err := full.widen(l, TermIP, all+1); err != nil {
			t.Fatal(err)
		}
		l.read = 0
		u, err := unknown(boundedTerms{l}, "IP address", want, TermIP, []string{TermIP + want})
		if err != nil {
			t.Fatal(err)
		}
		// The bounded read may miss a value that differs early on (10.137.42.1
		// for 10.17.42.1), never one the value wanted shares most with.
		if u == nil || len(u.Suggestions) == 0 || len(full.best) == 0 {
			t.Fatalf("%s: suggested %+v, a full read gives %v", want, u, full.values())
		}
		best := full.best[0]
		if got := editDistance(want, u.Suggestions[0], 10); got > best.dist+1 {
			t.Errorf("%s: suggested %v (%d edits), a full read gives %v (%d)", want, u.Suggestions, got, full.values(), best.dist)
		}
		if best.shared > len(want)/2 && u.Suggestions[0] != best.value {
			t.Errorf("%s: suggested %v, a full read gives %v", want, u.Suggestions, full.values())
		}
		if l.read > 3*suggestScan {
			t.Errorf("%s: read %d of %d values", want, l.read, all)
		}
	}
	// A limit above the number of values reads them all.
	l.read = 0
	near := nearest{want: "203.0.113.9"}
	if err := near.widen(l, TermIP, all+1); err != nil || l.read < all {
		t.Errorf("unbounded: read %d of %d (%v)", l.read, all, err)
	}
}

// hasLowerPrefix answers as comparing with the lower-case copy lowerTerm
// makes: for every prefix of that copy and for other strings, ASCII or
// not, including a character that lowers to an ASCII letter (the Kelvin
// sign to k).
func TestHasLowerPrefix(t *testing.T) {
	for _, s := range []string{"", "ACME-prod", "arn:aws:s3:::Acme-Logs/key", "\u212Aey", "caf\u00c9-bucket", "Ünïcode/ÄRN", "x\xffy"} {
		low := lowerTerm("", s)
		for i := 0; i <= len(low); i++ {
			checkLowerPrefix(t, s, low[:i])
		}
		for _, p := range []string{"key", "acme-", "ACME", "café", "üni", "arn:aws:s3:::acme-logs/kez", s} {
			checkLowerPrefix(t, s, p)
		}
	}
}

func checkLowerPrefix(t *testing.T, s, p string) {
	t.Helper()
	if got, want := hasLowerPrefix(s, p), strings.HasPrefix(lowerTerm("", s), p); got != want {
		t.Fatalf("hasLowerPrefix(%q, %q) = %v, want %v", s, p, got, want)
	}
}

func FuzzHasLowerPrefix(f *testing.F) {
	f.Add("ACME-prod", "acme-")
	f.Add("\u212Aey", "k")
	f.Fuzz(func(t *testing.T, s, p string) {
		checkLowerPrefix(t, s, p)
		checkLowerPrefix(t, s, lowerTerm("", p))
	})
}
