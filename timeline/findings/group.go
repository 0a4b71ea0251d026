package findings

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// group collects the detection results of one rule for one principal (or,
// for events without one, one source address) into one finding.
type group struct {
	f     finding.Finding
	count int
}

// grouper turns rule results into findings. Detection results are
// grouped per rule and principal or address; each correlation result is
// a finding of its own.
type grouper struct {
	st     *store.Store
	groups map[groupKey]*group
	order  []*group
	corr   []sigma.Result // resolved after the pass, outside its read transactions
}

func newGrouper(st *store.Store) *grouper {
	return &grouper{st: st, groups: map[groupKey]*group{}}
}

// groupKey names a group: the rule and the principal or address
// (overflow: the group of a rule's matches past MaxGroups).
type groupKey struct {
	id, title, who string
	overflow       bool
}

// ruleFinding is the part of a finding a rule gives.
func ruleFinding(r *sigma.Rule) finding.Finding {
	lvl, err := finding.ParseLevel(r.Level)
	if err != nil {
		lvl = finding.Informational
	}
	return finding.Finding{Rule: r.ID, Title: r.Title, Level: lvl, Category: finding.Behaviour, Techniques: r.Techniques()}
}

// add takes one result; ev is the event being matched, nil at the end
// of the pass.
func (g *grouper) add(r sigma.Result, ev *timeline.Event) {
	if r.Rule.IsCorrelation() {
		g.corr = append(g.corr, r)
		return
	}
	if ev == nil {
		return
	}
	who := ev.Principal
	if who == "" {
		who = ev.SrcIP
	}
	key := groupKey{id: r.Rule.ID, title: r.Rule.Title, who: who}
	gr := g.groups[key]
	if gr == nil {
		if len(g.groups) >= MaxGroups {
			key = groupKey{id: r.Rule.ID, title: r.Rule.Title, overflow: true}
			gr = g.groups[key]
		}
		if gr == nil {
			gr = &group{f: ruleFinding(r.Rule)}
			gr.f.First = r.First
			g.groups[key] = gr
			g.order = append(g.order, gr)
		}
	}
	gr.count++
	gr.f.Last = r.Last
	addListed(&gr.f.Principals, ev.Principal)
	addListed(&gr.f.IPs, ev.SrcIP)
	if len(gr.f.Events) < sigma.DefaultLimits.MaxEvents {
		for _, e := range r.Events {
			gr.f.Events = append(gr.f.Events, finding.Evidence{Item: e.Evidence, Record: e.Record})
		}
	}
}

// addListed adds s to a list of at most MaxListed distinct values.
func addListed(list *[]string, s string) {
	if s == "" || len(*list) >= MaxListed {
		return
	}
	for _, v := range *list {
		if v == s {
			return
		}
	}
	*list = append(*list, s)
}

// correlation turns a correlation result into a finding; principals and
// addresses come from the group-by values and the first events.
func (g *grouper) correlation(r sigma.Result) finding.Finding {
	f := ruleFinding(r.Rule)
	f.First, f.Last = r.First, r.Last
	var kv []string
	for _, v := range r.Group {
		kv = append(kv, v.Field+"="+v.Value)
		switch {
		case isAddressField(v.Field):
			addListed(&f.IPs, v.Value)
		case isPrincipalField(v.Field):
			addListed(&f.Principals, v.Value)
		}
	}
	for i, e := range r.Events {
		f.Events = append(f.Events, finding.Evidence{Item: e.Evidence, Record: e.Record})
		if i < resolveEvents {
			g.resolve(&f, e)
		}
	}
	f.Count = r.Count
	f.Detail = fmt.Sprintf("%d events from %s to %s", r.Count, stamp(r.First), stamp(r.Last))
	if len(kv) > 0 {
		f.Detail += " for " + strings.Join(kv, ", ")
	}
	if len(r.Values) > 0 {
		f.Detail += fmt.Sprintf("; %d distinct values, e.g. %s", len(r.Values), strings.Join(r.Values[:min(5, len(r.Values))], ", "))
	}
	return f
}

// resolveEvents is how many events of a correlation result are read back
// for their principal and address.
const resolveEvents = 5

func (g *grouper) resolve(f *finding.Finding, ref sigma.EventRef) {
	if g.st == nil {
		return
	}
	se, ok, err := g.st.Event(ref.Evidence, uint64(ref.Record))
	if err != nil || !ok {
		return
	}
	ev, err := timeline.DecodeEvent(se.Data)
	if err != nil {
		return
	}
	addListed(&f.Principals, ev.Principal)
	addListed(&f.IPs, ev.SrcIP)
}

func isAddressField(f string) bool {
	switch f {
	case "sourceIPAddress", "src_ip", "srcaddr", "client_ip", "dst_ip", "dstaddr":
		return true
	}
	return false
}

func isPrincipalField(f string) bool {
	return strings.HasPrefix(f, "userIdentity.") || f == "principal" || f == "access_key_id" || f == "user_name"
}

// findings returns the grouped detection findings and the correlation
// findings.
func (g *grouper) findings() []finding.Finding {
	out := make([]finding.Finding, 0, len(g.order)+len(g.corr))
	for _, gr := range g.order {
		f := gr.f
		f.Count = gr.count
		f.Detail = fmt.Sprintf("%d matching event(s) from %s to %s", gr.count, stamp(f.First), stamp(f.Last))
		if len(f.Principals) > 0 {
			f.Detail += " by " + strings.Join(f.Principals, ", ")
		}
		if len(f.IPs) > 0 {
			f.Detail += " from " + strings.Join(f.IPs, ", ")
		}
		out = append(out, f)
	}
	for _, r := range g.corr {
		out = append(out, g.correlation(r))
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
