package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

var t0 = time.Date(2025, 3, 10, 14, 0, 0, 0, time.UTC)

// newTestStore stores events as evidence indexing does (JSON of Event,
// Terms as index terms) and returns the open store.
func newTestStore(t testing.TB, events []*Event) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "c.tcase"), evidence.CaseInfo{Name: "t", Examiner: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := st.NewWriter(0)
	for i, e := range events {
		if e.Evidence == 0 {
			e.Evidence = 1
		}
		if e.Record == 0 {
			e.Record = int64(i + 1)
		}
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.PutEvent(store.EventRecord{Item: e.Evidence, Record: uint64(e.Record), Time: e.Time, Terms: e.Terms(), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return st
}

const (
	acct        = "123456789012"
	userARN     = "arn:aws:iam::123456789012:user/ci-deployer"
	userKey     = "AKIAEXAMPLECIDEPLOY1"
	role1       = "arn:aws:iam::123456789012:role/DeployAdmin"
	session1    = "arn:aws:sts::123456789012:assumed-role/DeployAdmin/deploy"
	key1        = "ASIAEXAMPLEADMIN0001"
	role2       = "arn:aws:iam::123456789012:role/DataLake"
	session2    = "arn:aws:sts::123456789012:assumed-role/DataLake/sync"
	key2        = "ASIAEXAMPLEDATA00002"
	attackerIP  = "203.0.113.66"
	ciIP        = "198.51.100.20"
	instanceIP  = "10.0.1.25"
	otherUser   = "arn:aws:iam::123456789012:user/alice"
	otherUserIP = "198.51.100.77"
)

func ct(at time.Duration, principal, key, ip, action string) *Event {
	e := &Event{Time: t0.Add(at), Source: SourceCloudTrail, Kind: "cloudtrail", Principal: principal, IdentityARN: principal,
		AccessKeyID: key, SrcIP: ip, Action: action, Outcome: "success", EventSource: "sts.amazonaws.com", Account: acct}
	if strings.Contains(principal, ":user/") {
		e.PrincipalType, e.UserName = "IAMUser", principal[strings.LastIndexByte(principal, '/')+1:]
	}
	if strings.Contains(principal, "assumed-role/") {
		e.PrincipalType = "AssumedRole"
		parts := strings.Split(principal, "/")
		e.Issuer = "arn:aws:iam::" + acct + ":role/" + parts[1]
	}
	return e
}

func assume(at time.Duration, principal, key, ip, issued, session string) *Event {
	e := ct(at, principal, key, ip, "AssumeRole")
	e.IssuedAccessKey, e.IssuedSession = issued, session
	return e
}

func flow(at time.Duration, src string, sport int, dst string, dport int, action string) *Event {
	return &Event{Time: t0.Add(at), End: t0.Add(at + time.Minute), Source: SourceVPCFlow, Kind: "vpcflow", SrcIP: src, SrcPort: sport,
		DstIP: dst, DstPort: dport, Protocol: "tcp", Action: action, Outcome: action, Fields: map[string]string{"log-status": "OK"}}
}

func alb(at time.Duration, client string, port int, req, status string) *Event {
	return &Event{Time: t0.Add(at), Source: SourceELB, Kind: "elb-alb", SrcIP: client, SrcPort: port, DstIP: "10.0.3.10", DstPort: 8080,
		Action: req, Outcome: status}
}

// incidentEvents is a small incident: a leaked user key used from the
// attacker's address, role chaining twice, network events, and noise.
func incidentEvents() []*Event {
	return []*Event{
		ct(-5*time.Hour, userARN, userKey, ciIP, "GetCallerIdentity"),                                  // 1 legit CI use
		ct(10*time.Minute, userARN, userKey, attackerIP, "GetCallerIdentity"),                          // 2
		ct(12*time.Minute, userARN, userKey, attackerIP, "ListBuckets"),                                // 3
		assume(20*time.Minute, userARN, userKey, attackerIP, key1, session1),                           // 4
		ct(22*time.Minute, session1, key1, attackerIP, "ListRoles"),                                    // 5
		assume(25*time.Minute, session1, key1, attackerIP, key2, session2),                             // 6
		ct(30*time.Minute, session2, key2, attackerIP, "GetObject"),                                    // 7
		assume(31*time.Minute, session2, key2, attackerIP, key1, session1),                             // 8 reissues a known key: loop
		ct(32*time.Minute, otherUser, "AKIAEXAMPLEALICE0001", otherUserIP, "DescribeInstances"),        // 9 noise
		ct(33*time.Minute, otherUser, "AKIAEXAMPLEALICE0001", attackerIP, "ConsoleLogin"),              // 10 another principal from the same IP
		flow(15*time.Minute, attackerIP, 51514, instanceIP, 22, "ACCEPT"),                              // 11
		flow(15*time.Minute, instanceIP, 22, attackerIP, 51514, "ACCEPT"),                              // 12
		flow(40*time.Minute, attackerIP, 50122, "10.0.2.40", 443, "ACCEPT"),                            // 13
		flow(41*time.Minute, "10.0.2.40", 443, attackerIP, 50122, "REJECT"),                            // 14 NACL drop of the reply
		flow(35*time.Minute, attackerIP, 40000, instanceIP, 3389, "REJECT"),                            // 15 initiating reject: no hint
		flow(5*time.Hour, attackerIP, 50200, instanceIP, 22, "ACCEPT"),                                 // 16 outside the ±1 h window
		flow(16*time.Minute, "10.0.9.9", 123, "10.0.9.8", 123, "ACCEPT"),                               // 17 noise
		alb(5*time.Minute, attackerIP, 40100, "GET https://shop.example.com:443/.env HTTP/1.1", "404"), // 18
		alb(6*time.Minute, "2001:db8:bad:1::66", 40101, "GET https://shop.example.com:443/ HTTP/1.1", "200"),
		{Time: t0.Add(16 * time.Minute), Source: SourceVPCFlow, Kind: "vpcflow", Outcome: "NODATA", Fields: map[string]string{"log-status": "NODATA"}},
	}
}

func collect(t *testing.T, src EventSource, q Query) ([]*Match, *Summary) {
	t.Helper()
	var out []*Match
	s, err := Correlate(context.Background(), src, q, func(m *Match) error { out = append(out, m); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out, s
}

func records(ms []*Match) []int64 {
	var r []int64
	for _, m := range ms {
		r = append(r, m.Event.Record)
	}
	return r
}

func checkOrdered(t *testing.T, ms []*Match) {
	t.Helper()
	for i := 1; i < len(ms); i++ {
		if ms[i].Event.Time.Before(ms[i-1].Event.Time) {
			t.Errorf("event %d (%s) before event %d (%s)", i, ms[i].Event.Time, i-1, ms[i-1].Event.Time)
		}
	}
}

// scanGuard fails a query that reads the whole case by time.
type scanGuard struct {
	*store.Store
	terms   []string
	allowed bool
}

func (g *scanGuard) EventsByTime(from, to time.Time, fn func(store.StoredEvent) error) error {
	if !g.allowed {
		return errors.New("whole-case scan")
	}
	return g.Store.EventsByTime(from, to, fn)
}

func (g *scanGuard) EventsByTerm(term string, from, to time.Time, fn func(store.StoredEvent) error) error {
	g.terms = append(g.terms, term)
	return g.Store.EventsByTerm(term, from, to, fn)
}

func (g *scanGuard) EventsByTerms(rs []store.TermRange, fn func(store.StoredEvent, []int) error) error {
	for _, r := range rs {
		g.terms = append(g.terms, r.Term)
	}
	return g.Store.EventsByTerms(rs, fn)
}

func TestQueryIP(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	g := &scanGuard{Store: st}
	ms, sum := collect(t, g, Query{IP: " " + attackerIP})
	want := []int64{18, 2, 3, 11, 12, 4, 5, 6, 7, 8, 10, 15, 13, 14, 16}
	if got := records(ms); !slices.Equal(got, want) {
		t.Errorf("records = %v, want %v", got, want)
	}
	checkOrdered(t, ms)
	if !slices.Equal(g.terms, []string{"ip:" + attackerIP}) {
		t.Errorf("terms read = %v", g.terms)
	}
	if got := ms[0].Why; !slices.Equal(got, []string{"ip 203.0.113.66 is the source"}) {
		t.Errorf("why = %q", got)
	}
	if got := ms[4].Why; !slices.Equal(got, []string{"ip 203.0.113.66 is the destination"}) {
		t.Errorf("why of reply = %q", got)
	}
	wantP := []Count{{userARN, 3}, {session1, 2}, {otherUser, 1}, {session2, 2}}
	slices.SortFunc(wantP, func(a, b Count) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Value, b.Value)
	})
	if !slices.Equal(sum.Principals, wantP) {
		t.Errorf("principals = %v, want %v", sum.Principals, wantP)
	}
	if sum.Events != 15 || sum.BySource[SourceCloudTrail] != 8 || sum.BySource[SourceVPCFlow] != 6 || sum.BySource[SourceELB] != 1 {
		t.Errorf("summary counts = %d %v", sum.Events, sum.BySource)
	}
	if sum.NACLHints != 1 {
		t.Errorf("NACL hints = %d, want 1", sum.NACLHints)
	}
	if sum.IPs[0] != (Count{attackerIP, 15}) {
		t.Errorf("top IP = %v", sum.IPs[0])
	}
}

func TestQueryIPv6AndMapped(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	for _, ip := range []string{"2001:db8:bad:1::66", "2001:DB8:BAD:1:0:0:0:66"} {
		ms, _ := collect(t, st, Query{IP: ip})
		if got := records(ms); !slices.Equal(got, []int64{19}) {
			t.Errorf("%s: records = %v", ip, got)
		}
	}
	ms, _ := collect(t, st, Query{IP: "::ffff:203.0.113.66", Sources: []string{SourceELB}})
	if got := records(ms); !slices.Equal(got, []int64{18}) {
		t.Errorf("mapped + elb: records = %v", got)
	}
}

func TestQueryPrincipal(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	for _, p := range []string{userARN, "CI-Deployer", userKey} {
		t.Run(p, func(t *testing.T) {
			g := &scanGuard{Store: st}
			c, err := Prepare(context.Background(), g, Query{Principal: p})
			if err != nil {
				t.Fatal(err)
			}
			r := c.Resolution
			if len(r.Credentials) != 2 || r.Credentials[0].AccessKey != key1 || r.Credentials[1].AccessKey != key2 {
				t.Fatalf("credentials = %+v", r.Credentials)
			}
			if r.Credentials[0].By != userARN || r.Credentials[0].Session != session1 || r.Credentials[0].Depth != 1 || r.Credentials[1].Depth != 2 {
				t.Errorf("credential 1 = %+v", r.Credentials[0])
			}
			wantWhy2 := "via AssumeRole by " + session1 + " (chained: via AssumeRole by " + userARN + ")"
			if r.Credentials[1].Why != wantWhy2 {
				t.Errorf("why = %q, want %q", r.Credentials[1].Why, wantWhy2)
			}
			if len(r.IPs) != 2 || r.IPs[0].IP != ciIP || r.IPs[1].IP != attackerIP || r.IPs[1].Events != 7 {
				t.Errorf("IPs = %+v", r.IPs)
			}
			if !r.First.Equal(t0.Add(-5*time.Hour)) || !r.Last.Equal(t0.Add(31*time.Minute)) {
				t.Errorf("window = %s..%s", r.First, r.Last)
			}
			var ms []*Match
			sum, err := c.Run(context.Background(), func(m *Match) error { ms = append(ms, m); return nil })
			if err != nil {
				t.Fatal(err)
			}
			// Own 1-4, via key1 5-6, via key2 7-8, network 11-15 and 18
			// (16 is 4.5 h after the last use), not alice's 10.
			want := []int64{1, 18, 2, 3, 11, 12, 4, 5, 6, 7, 8, 15, 13, 14}
			if got := records(ms); !slices.Equal(got, want) {
				t.Errorf("records = %v, want %v", got, want)
			}
			checkOrdered(t, ms)
			byRec := map[int64][]string{}
			for _, m := range ms {
				byRec[m.Event.Record] = m.Why
			}
			for rec, want := range map[int64]string{
				2:  "own event",
				5:  "via AssumeRole by " + userARN,
				7:  wantWhy2,
				11: "network: IP 203.0.113.66 used by principal",
				18: "network: IP 203.0.113.66 used by principal",
			} {
				if !slices.Equal(byRec[rec], []string{want}) {
					t.Errorf("record %d why = %q, want %q", rec, byRec[rec], want)
				}
			}
			if sum.Resolution != r || sum.NACLHints != 1 {
				t.Errorf("summary = %+v", sum)
			}
		})
	}
}

func TestQueryPrincipalSession(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	ms, sum := collect(t, st, Query{Principal: session2, Sources: []string{SourceCloudTrail}})
	// Its own events 7 and 8; 8 re-issued key1, whose events (5, 6) are
	// then its delegated events too.
	if got := records(ms); !slices.Equal(got, []int64{5, 6, 7, 8}) {
		t.Errorf("records = %v", got)
	}
	if r := sum.Resolution; len(r.Credentials) != 2 || r.Credentials[0].AccessKey != key1 || r.Credentials[1].AccessKey != key2 {
		t.Errorf("credentials = %+v", r.Credentials)
	}
}

func TestQueryPrincipalWindow(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	ms, sum := collect(t, st, Query{Principal: userARN, From: t0, To: t0.Add(6 * time.Hour)})
	// The CI call at -5 h is outside; the network events use the given
	// window, so the flow at +5 h is in.
	want := []int64{18, 2, 3, 11, 12, 4, 5, 6, 7, 8, 15, 13, 14, 16}
	if got := records(ms); !slices.Equal(got, want) {
		t.Errorf("records = %v, want %v", got, want)
	}
	if r := sum.Resolution; len(r.IPs) != 1 || r.IPs[0].IP != attackerIP {
		t.Errorf("IPs = %+v", r.IPs)
	}
}

func TestQueryPrincipalUnknown(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	ms, sum := collect(t, st, Query{Principal: "nobody"})
	if len(ms) != 0 || sum.Events != 0 || len(sum.Resolution.Credentials) != 0 {
		t.Errorf("got %d events, %+v", len(ms), sum)
	}
}

func TestQueryAll(t *testing.T) {
	evs := incidentEvents()
	st := newTestStore(t, evs)
	ms, sum := collect(t, &scanGuard{Store: st, allowed: true}, Query{All: true})
	if len(ms) != len(evs) || sum.Events != len(evs) {
		t.Errorf("got %d events, want %d", len(ms), len(evs))
	}
	checkOrdered(t, ms)
	if ms[0].Event.Record != 1 || len(ms[0].Why) != 0 {
		t.Errorf("first = %+v", ms[0])
	}
	ms, _ = collect(t, st, Query{All: true, Sources: []string{SourceVPCFlow}, From: t0.Add(15 * time.Minute), To: t0.Add(40 * time.Minute)})
	if got := records(ms); !slices.Equal(got, []int64{11, 12, 17, 20, 15}) {
		t.Errorf("vpcflow window records = %v", got)
	}
}

func TestNACLHint(t *testing.T) {
	reject := func(at time.Duration) *Event { return flow(at, "10.0.2.40", 443, attackerIP, 50122, "REJECT") }
	accept := func(at time.Duration) *Event { return flow(at, attackerIP, 50122, "10.0.2.40", 443, "ACCEPT") }
	icmp := func(at time.Duration, src, dst, action string) *Event {
		e := flow(at, src, 0, dst, 0, action)
		e.Protocol = "icmp"
		return e
	}
	tests := []struct {
		name   string
		events []*Event
		hinted []int64
	}{
		{"accept then reject", []*Event{accept(0), reject(time.Minute)}, []int64{2}},
		{"reject logged first", []*Event{reject(0), accept(2 * time.Minute)}, []int64{1}},
		{"too far apart", []*Event{accept(0), reject(30 * time.Minute)}, nil},
		{"reject without accept", []*Event{reject(0)}, nil},
		{"initiating reject", []*Event{flow(0, "10.0.2.40", 22, attackerIP, 50122, "ACCEPT"), flow(time.Minute, attackerIP, 50122, "10.0.2.40", 22, "REJECT")}, nil},
		{"other port", []*Event{accept(0), flow(time.Minute, "10.0.2.40", 443, attackerIP, 50123, "REJECT")}, nil},
		{"ping (AWS example)", []*Event{icmp(0, "203.0.113.12", "172.31.16.139", "ACCEPT"), icmp(0, "172.31.16.139", "203.0.113.12", "REJECT")}, []int64{2}},
		{"two rejects", []*Event{reject(0), reject(time.Minute), accept(3 * time.Minute)}, []int64{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestStore(t, tc.events)
			ms, sum := collect(t, st, Query{All: true})
			var hinted []int64
			for _, m := range ms {
				if slices.Contains(m.Event.Annotations, NACLHint) {
					hinted = append(hinted, m.Event.Record)
				}
			}
			if !slices.Equal(hinted, tc.hinted) || sum.NACLHints != len(tc.hinted) {
				t.Errorf("hinted = %v (summary %d), want %v", hinted, sum.NACLHints, tc.hinted)
			}
			checkOrdered(t, ms)
		})
	}
}

func TestAnnotatorBufferBound(t *testing.T) {
	var out int
	a := newNACLAnnotator(func(*Match) error { out++; return nil })
	for i := 0; i < maxAnnotateBuffer+10; i++ {
		if err := a.push(&Match{Event: flow(0, "10.0.0.1", 1000+i%1000, "10.0.0.2", 22, "ACCEPT")}); err != nil {
			t.Fatal(err)
		}
	}
	if held := len(a.buf) - a.head; held > maxAnnotateBuffer || out != 10 {
		t.Errorf("held %d, released %d", held, out)
	}
	if err := a.flush(); err != nil || out != maxAnnotateBuffer+10 {
		t.Errorf("after flush released %d, err %v", out, err)
	}
}

func TestQueryValidate(t *testing.T) {
	tests := []struct {
		q    Query
		want string
	}{
		{Query{}, "exactly one"},
		{Query{IP: "1.2.3.4", All: true}, "exactly one"},
		{Query{IP: "1.2.3.4:80"}, `"1.2.3.4:80" is not an IP address`},
		{Query{All: true, From: t0, To: t0}, "is not before"},
		{Query{All: true, Sources: []string{"cloudwatch"}}, `unknown source "cloudwatch"`},
	}
	for _, tc := range tests {
		err := tc.q.Validate()
		if !errors.Is(err, ErrBadQuery) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.q, err, tc.want)
		}
	}
	if got, err := ParseSources(" CloudTrail,elb,"); err != nil || !slices.Equal(got, []string{"cloudtrail", "elb"}) {
		t.Errorf("ParseSources = %v, %v", got, err)
	}
}

func TestQueryStopsOnError(t *testing.T) {
	st := newTestStore(t, incidentEvents())
	boom := errors.New("boom")
	n := 0
	_, err := Correlate(context.Background(), st, Query{All: true}, func(*Match) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Correlate(ctx, st, Query{Principal: userARN}, func(*Match) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestUndecodableEvent(t *testing.T) {
	st, err := store.Create(filepath.Join(t.TempDir(), "c.tcase"), evidence.CaseInfo{Name: "t", Examiner: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := st.NewWriter(0)
	w.PutEvent(store.EventRecord{Item: 1, Record: 1, Time: t0, Terms: []string{"ip:10.0.0.1"}, Data: []byte("{broken")})
	good, _ := json.Marshal(flow(0, "10.0.0.1", 1, "10.0.0.2", 2, "ACCEPT"))
	w.PutEvent(store.EventRecord{Item: 1, Record: 2, Time: t0, Terms: []string{"ip:10.0.0.1"}, Data: good})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	ms, sum := collect(t, st, Query{IP: "10.0.0.1"})
	if len(ms) != 1 || sum.Undecodable != 1 {
		t.Errorf("got %d events, %d undecodable", len(ms), sum.Undecodable)
	}
}

func ExampleShortPrincipal() {
	fmt.Println(ShortPrincipal(session1))
	fmt.Println(ShortPrincipal("ec2.amazonaws.com"))
	// Output:
	// assumed-role/DeployAdmin/deploy
	// ec2.amazonaws.com
}
