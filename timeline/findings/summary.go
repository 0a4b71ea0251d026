package findings

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// Summary is a case at a glance: what is in it, who did the most, what
// is new, what changed, what the findings say and where to start.
type Summary struct {
	First    time.Time     `json:"first,omitzero"`
	Last     time.Time     `json:"last,omitzero"`
	Events   int64         `json:"events"`
	Sources  []SourceCount `json:"sources"`
	Top      Tops          `json:"top"`
	New      Tops          `json:"first_seen"` // values first seen last in the case, newest first
	Denied   []Burst       `json:"access_denied_bursts"`
	Changes  []Change      `json:"changes"`    // IAM and logging changes
	Roles    []Change      `json:"role_chain"` // role assumptions (AssumeRole & co) that issued credentials
	Egress   []Flow        `json:"largest_egress"`
	Findings []LevelCount  `json:"findings"`
	Start    []Pivot       `json:"start_here"`
	Rules    int           `json:"rules_loaded"`
	Failed   []RuleError   `json:"rules_failed"`
	// CountsFrom is "index" when the counts, lists and flows come from
	// the index's summary facts, "events" when from a read of every
	// event; Notes say why the index could not be used.
	CountsFrom   string         `json:"counts_from"`
	Notes        []string       `json:"notes"`
	FindingsFrom FindingsSource `json:"findings_from"`
	report       *Report        // the findings behind the summary
	keysByIP     map[string][]string
	keysFrom     *store.Store // set: the keys used from an address come from its index
}

// Report returns the findings the summary was made from; of findings
// stored by an earlier summary, only the high and critical ones.
func (s *Summary) Report() *Report { return s.report }

// SourceCount is the events of one source.
type SourceCount struct {
	Source string    `json:"source"`
	Events int64     `json:"events"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

// Count is a value, how often it was seen (an upper bound when the
// distinct values outnumber the counters) and when first.
type Count struct {
	Value string    `json:"value"`
	Count int64     `json:"count"`
	First time.Time `json:"first_seen"`
}

// Tops are counted values per dimension.
type Tops struct {
	Principals []Count `json:"principals"`
	AccessKeys []Count `json:"access_keys"`
	Addresses  []Count `json:"addresses"`
	EventNames []Count `json:"event_names"`
	ErrorCodes []Count `json:"error_codes"`
	UserAgents []Count `json:"user_agents"`
}

// Burst is a run of denied calls by one principal.
type Burst struct {
	Principal string    `json:"principal"`
	Address   string    `json:"address,omitempty"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Count     int       `json:"count"`
}

// Change is one API call that changed identities, logging or a role
// session.
type Change struct {
	Time      time.Time        `json:"time"`
	Principal string           `json:"principal"`
	Address   string           `json:"address,omitempty"`
	Action    string           `json:"action"`
	Outcome   string           `json:"outcome"`
	Result    string           `json:"result,omitempty"` // the session or key issued
	Event     finding.Evidence `json:"event"`
}

// Flow is one large flow to an address outside private ranges.
type Flow struct {
	Time    time.Time        `json:"time"`
	Src     string           `json:"src"`
	Dst     string           `json:"dst"`
	DstPort int              `json:"dst_port,omitempty"`
	Bytes   int64            `json:"bytes"`
	Event   finding.Evidence `json:"event"`
}

// LevelCount is how many findings have a level.
type LevelCount struct {
	Level finding.Level `json:"level"`
	Count int           `json:"count"`
}

// Pivot is where to start: an address or principal behind the most
// severe findings, and the timeline selector to follow it with.
type Pivot struct {
	Flag       string   `json:"flag"` // --ip or --principal
	Value      string   `json:"value"`
	Findings   []string `json:"findings"`              // titles of the findings behind it
	AccessKeys []string `json:"access_keys,omitempty"` // keys used from the address
}

// Bounds of a summary.
const (
	summaryCounters = 4096 // counters per dimension (heavy hitters)
	summaryTop      = 10
	summaryList     = 50
	deniedWindow    = 10 * time.Minute
	deniedBurst     = 5
	maxDenied       = 10_000 // principals tracked for denied bursts
	maxKeyAddresses = 10_000 // addresses whose access keys are kept
)

// summariser collects a Summary while the events go by.
type summariser struct {
	s                                        *Summary
	sources                                  map[string]*SourceCount
	principals, keys, addrs, names, errs, ua *counter
	denied                                   map[string]*Burst
}

// Summarise summarises the case. Its counts, lists and largest flows
// come from the index (the summary facts every event is indexed with)
// when every event has them, else from a read of every event. Its
// findings are those stored by an earlier summary when the case and the
// rules are unchanged since (see findingsCheck), else the rules run over
// every event; from the events, counts and findings share that one pass.
func Summarise(ctx context.Context, st *store.Store, o Options) (*Summary, error) {
	return summarise(ctx, st, o, true)
}

// summarise is Summarise; useIndex false reads every event.
func summarise(ctx context.Context, st *store.Store, o Options, useIndex bool) (*Summary, error) {
	newSm := func() *summariser {
		sm := &summariser{
			s:       &Summary{keysByIP: map[string][]string{}, Notes: []string{}},
			sources: map[string]*SourceCount{},
			denied:  map[string]*Burst{},
		}
		for _, c := range []**counter{&sm.principals, &sm.keys, &sm.addrs, &sm.names, &sm.errs, &sm.ua} {
			*c = newCounter(summaryCounters)
		}
		return sm
	}
	sm := newSm()
	var note string
	if useIndex && o.From.IsZero() && o.To.IsZero() {
		ok, why, err := sm.fromIndex(ctx, st)
		if err != nil {
			return nil, err
		}
		if ok {
			rep, dg, src, found, err := o.storedReport(st)
			if err != nil {
				return nil, err
			}
			if !found {
				if rep, src, err = o.computeReport(ctx, st); err != nil {
					return nil, err
				}
				dg = shownOf(rep.Findings)
			}
			sm.s.CountsFrom, sm.s.FindingsFrom = "index", src
			return sm.finishWith(rep, dg)
		}
		note = why
		sm = newSm()
	}
	n, head, err := custodyState(st)
	if err != nil {
		return nil, err
	}
	rep, _, err := pass(ctx, st, o, sm.event)
	if err != nil {
		return nil, err
	}
	sm.s.CountsFrom = "events"
	sm.s.FindingsFrom = FindingsSource{State: "computed", ComputedAt: time.Now().UTC(), CustodyEntries: n, CustodyHead: head}
	if note != "" {
		sm.s.Notes = append(sm.s.Notes, "counted from every event: "+note)
	}
	return sm.finish(rep)
}

func (sm *summariser) event(ev *timeline.Event) {
	s := sm.s
	s.Events++
	sc := sm.sources[ev.Source]
	if sc == nil {
		sc = &SourceCount{Source: ev.Source, First: ev.Time}
		sm.sources[ev.Source] = sc
	}
	sc.Events++
	sc.Last = ev.Time
	sm.addrs.add(ev.SrcIP, ev.Time)
	switch ev.Source {
	case timeline.SourceCloudTrail:
		sm.cloudTrail(ev)
	case timeline.SourceVPCFlow:
		sm.flow(ev)
	case timeline.SourceELB:
		sm.ua.add(ev.UserAgent, ev.Time)
	}
}

func (sm *summariser) cloudTrail(ev *timeline.Event) {
	s := sm.s
	sm.principals.add(ev.Principal, ev.Time)
	sm.keys.add(ev.AccessKeyID, ev.Time)
	sm.names.add(ev.Action, ev.Time)
	sm.ua.add(ev.UserAgent, ev.Time)
	if ev.AccessKeyID != "" && ev.SrcIP != "" {
		ks := s.keysByIP[ev.SrcIP]
		if (ks != nil || len(s.keysByIP) < maxKeyAddresses) && len(ks) < MaxListed && !slices.Contains(ks, ev.AccessKeyID) {
			s.keysByIP[ev.SrcIP] = append(ks, ev.AccessKeyID)
		}
	}
	if ev.Outcome != "success" {
		sm.errs.add(ev.Outcome, ev.Time)
	}
	if isDenied(ev) {
		sm.deny(ev)
	}
	sm.change(ev)
}

// change lists ev among the role assumptions and the changes when it is
// one and the lists are not full.
func (sm *summariser) change(ev *timeline.Event) {
	s := sm.s
	ch := Change{Time: ev.Time, Principal: ev.Principal, Address: ev.SrcIP, Action: ev.Action, Outcome: ev.Outcome,
		Event: finding.Evidence{Item: ev.Evidence, Record: ev.Record}}
	if ev.IssuedSession != "" && len(s.Roles) < summaryList {
		ch.Result = ev.IssuedSession
		s.Roles = append(s.Roles, ch)
	}
	if isChange(ev) && len(s.Changes) < summaryList {
		s.Changes = append(s.Changes, ch)
	}
}

// isChange reports whether ev changed identities or logging.
func isChange(ev *timeline.Event) bool {
	for _, p := range []string{"Get", "List", "Describe", "Generate", "Simulate", "Lookup"} {
		if strings.HasPrefix(ev.Action, p) {
			return false
		}
	}
	switch ev.EventSource {
	case "iam.amazonaws.com", "cloudtrail.amazonaws.com", "guardduty.amazonaws.com", "config.amazonaws.com":
		return true
	}
	switch ev.Action {
	case "DeleteFlowLogs", "CreateFlowLogs", "ModifyLoadBalancerAttributes", "PutBucketLifecycleConfiguration",
		"PutBucketLogging", "DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig":
		return true
	}
	return false
}

func (sm *summariser) deny(ev *timeline.Event) { sm.denyAt(ev.Principal, ev.SrcIP, ev.Time) }

// denyAt counts a denied call by principal from address at t; calls come
// in time order.
func (sm *summariser) denyAt(principal, address string, t time.Time) {
	b := sm.denied[principal]
	if b != nil && t.Sub(b.Last) <= deniedWindow {
		b.Count++
		b.Last = t
		return
	}
	sm.closeDenied(b)
	if b == nil && len(sm.denied) >= maxDenied {
		return
	}
	sm.denied[principal] = &Burst{Principal: principal, Address: address, First: t, Last: t, Count: 1}
}

func (sm *summariser) closeDenied(b *Burst) {
	if b != nil && b.Count >= deniedBurst && len(sm.s.Denied) < summaryList {
		sm.s.Denied = append(sm.s.Denied, *b)
	}
}

func (sm *summariser) flow(ev *timeline.Event) {
	if !isEgress(ev) {
		return
	}
	eg := &sm.s.Egress
	if len(*eg) == summaryTop && (*eg)[summaryTop-1].Bytes >= ev.Bytes {
		return
	}
	f := Flow{Time: ev.Time, Src: ev.SrcIP, Dst: ev.DstIP, DstPort: ev.DstPort, Bytes: ev.Bytes,
		Event: finding.Evidence{Item: ev.Evidence, Record: ev.Record}}
	i, _ := slices.BinarySearchFunc(*eg, f, func(a, b Flow) int { return int(b.Bytes - a.Bytes) })
	*eg = slices.Insert(*eg, i, f)
	if len(*eg) > summaryTop {
		*eg = (*eg)[:summaryTop]
	}
}

// shown is what the summary shows of the findings: the count per level
// and the pivots (without the access keys used from an address).
type shown struct {
	Levels []LevelCount `json:"levels"`
	Pivots []Pivot      `json:"pivots"`
}

func shownOf(fs []finding.Finding) shown {
	counts := map[finding.Level]int{}
	for _, f := range fs {
		counts[f.Level]++
	}
	var d shown
	for _, l := range []finding.Level{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Informational} {
		d.Levels = append(d.Levels, LevelCount{l, counts[l]})
	}
	d.Pivots = startHere(fs)
	return d
}

// finish completes the summary with the findings.
func (sm *summariser) finish(rep *Report) (*Summary, error) {
	return sm.finishWith(rep, shownOf(rep.Findings))
}

// finishWith completes the summary with the findings' report and digest.
func (sm *summariser) finishWith(rep *Report, dg shown) (*Summary, error) {
	s := sm.s
	s.report, s.First, s.Last, s.Rules, s.Failed = rep, rep.First, rep.Last, rep.RulesLoaded, RuleErrors(rep.RulesFailed)
	for _, src := range timeline.Sources {
		if sc := sm.sources[src]; sc != nil {
			s.Sources = append(s.Sources, *sc)
		}
	}
	for _, k := range sortedKeys(sm.denied) {
		sm.closeDenied(sm.denied[k])
	}
	slices.SortFunc(s.Denied, func(a, b Burst) int { return a.First.Compare(b.First) })
	s.Top = Tops{sm.principals.top(summaryTop), sm.keys.top(summaryTop), sm.addrs.top(summaryTop),
		sm.names.top(summaryTop), sm.errs.top(summaryTop), sm.ua.top(summaryTop)}
	s.New = Tops{Principals: sm.principals.newest(summaryTop), AccessKeys: sm.keys.newest(summaryTop),
		Addresses: sm.addrs.newest(summaryTop), UserAgents: sm.ua.newest(summaryTop)}
	s.Findings = dg.Levels
	s.Start = []Pivot{}
	for _, p := range dg.Pivots {
		if p.Flag == "--ip" {
			if s.keysFrom != nil {
				keys, err := keysUsedFrom(s.keysFrom, p.Value)
				if err != nil {
					return nil, err
				}
				p.AccessKeys = keys
			} else {
				p.AccessKeys = s.keysByIP[p.Value]
			}
		}
		s.Start = append(s.Start, p)
	}
	if s.Changes == nil {
		s.Changes = []Change{}
	}
	if s.Roles == nil {
		s.Roles = []Change{}
	}
	if s.Denied == nil {
		s.Denied = []Burst{}
	}
	if s.Egress == nil {
		s.Egress = []Flow{}
	}
	return s, nil
}

// startHere are the addresses and principals behind the high and
// critical findings (medium ones when there are none), most findings
// first.
func startHere(fs []finding.Finding) []Pivot {
	min := finding.High
	if !slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Level.AtLeast(finding.High) && len(f.IPs)+len(f.Principals) > 0 }) {
		min = finding.Medium
	}
	var out []Pivot
	index := map[string]int{}
	add := func(flag, v, title string) {
		k := flag + " " + v
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Pivot{Flag: flag, Value: v})
		}
		if !slices.Contains(out[i].Findings, title) {
			out[i].Findings = append(out[i].Findings, title)
		}
	}
	for _, f := range fs {
		if !f.Level.AtLeast(min) {
			continue
		}
		for _, ip := range f.IPs {
			add("--ip", ip, f.Title)
		}
		for _, p := range f.Principals {
			add("--principal", p, f.Title)
		}
	}
	slices.SortStableFunc(out, func(a, b Pivot) int { return len(b.Findings) - len(a.Findings) })
	if len(out) > summaryTop {
		out = out[:summaryTop]
	}
	if out == nil {
		out = []Pivot{}
	}
	return out
}

// SummariseEvents is Summarise reading every event for the counts, as
// for a case indexed before the summary facts were kept; the findings
// come from the same pass.
func SummariseEvents(ctx context.Context, st *store.Store, o Options) (*Summary, error) {
	return summarise(ctx, st, o, false)
}
