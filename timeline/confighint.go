package timeline

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// ConfigHintPrefix starts the annotation of a REJECTed flow record that
// the case's AWS Config history explains: which network ACL rule denied
// it, or that no rule of the interface's security groups allowed it.
const ConfigHintPrefix = "AWS Config: "

// Limits that keep the Config lookups of one query bounded.
const (
	// maxConfigStates is how many distinct states of one resource (or of
	// all network ACLs together) are held; past it, later times count as
	// not covered.
	maxConfigStates = 4096
	// maxConfigResources is how many interfaces and security groups have
	// their history held at once; past it, the cache starts again.
	maxConfigResources = 4096
)

// configState is one recorded state of a resource, valid from at until
// the next state's time; v is nil when the resource did not exist then
// (deleted, not recorded, unreadable).
type configState struct {
	at time.Time
	v  any
}

// configHistory is the recorded states of one resource, oldest first.
// A history cut at maxConfigStates covers no time past its last state.
type configHistory struct {
	states []configState
	cut    bool
	last   []byte // configuration of the last state, to skip repeats
}

// add appends a state unless it repeats the last one (a snapshot
// records every resource again).
func (h *configHistory) add(at time.Time, config []byte, v any) {
	if n := len(h.states); n > 0 && (h.states[n-1].v == nil) == (v == nil) && bytes.Equal(h.last, config) {
		return
	}
	if len(h.states) >= maxConfigStates {
		h.cut = true
		return
	}
	h.states = append(h.states, configState{at: at, v: v})
	h.last = bytes.Clone(config)
}

// at returns the state at t and when it was recorded (nil when the
// history does not cover t).
func (h *configHistory) at(t time.Time) (any, time.Time, time.Time) {
	i := sort.Search(len(h.states), func(i int) bool { return h.states[i].at.After(t) })
	if i == 0 || h.cut && i == len(h.states) {
		return nil, time.Time{}, time.Time{}
	}
	s := h.states[i-1]
	until := time.Time{}
	if i < len(h.states) {
		until = h.states[i].at
	}
	return s.v, s.at, until
}

// aclSpan is a network ACL state and the time it holds.
type aclSpan struct {
	from, until time.Time // until zero: open
	acl         *naclState
}

func (s *aclSpan) holds(t time.Time) bool {
	return !t.Before(s.from) && (s.until.IsZero() || t.Before(s.until))
}

// configHints explains REJECTed flow records from the Config state of
// their network interface at the record's time. Histories are read from
// the case's index when first needed: an interface's and a security
// group's under their resource term, the network ACLs once under their
// event terms.
type configHints struct {
	src     EventSource
	checked bool // whether the case holds interface items was looked up
	none    bool // it holds none: no lookups
	enis    map[string]*configHistory
	groups  map[string]*configHistory
	// Network ACL states by the subnet they are associated with (a
	// default ACL lists the subnets that have no other).
	aclLoaded bool
	bySubnet  map[string][]aclSpan
	// The last time written in a note, and its text.
	timeAt   time.Time
	timeText string
}

func newConfigHints(src EventSource) *configHints {
	return &configHints{src: src, enis: map[string]*configHistory{}, groups: map[string]*configHistory{}}
}

// annotate adds the Config explanation to a REJECTed flow record, and
// reports whether it did.
func (h *configHints) annotate(e *Event) (bool, error) {
	if e.Source != SourceVPCFlow || !strings.EqualFold(e.Action, "REJECT") || e.isGap() || e.Time.IsZero() {
		return false, nil
	}
	eni, _ := e.field("interface-id")
	if !strings.HasPrefix(eni, "eni-") {
		return false, nil
	}
	hint, err := h.explain(e, eni)
	if err != nil || hint == "" {
		return false, err
	}
	e.Annotations = append(e.Annotations, hint)
	return true, nil
}

// hasConfigHint reports an event annotated by configHints.
func hasConfigHint(e *Event) bool {
	for _, a := range e.Annotations {
		if strings.HasPrefix(a, ConfigHintPrefix) {
			return true
		}
	}
	return false
}

// explain returns the hint for a REJECT on interface eni, or "" when the
// Config history does not cover it or does not tell.
func (h *configHints) explain(e *Event, eni string) (string, error) {
	if !h.checked {
		h.checked = true
		if tl, ok := h.src.(TermLister); ok {
			found := false
			err := tl.TermValues(lowerTerm(TermEvent, configENI+" "), func(string, int) error {
				found = true
				return errStopTerms
			})
			if err != nil && !errors.Is(err, errStopTerms) {
				return "", fmt.Errorf("look up AWS Config history: %w", err)
			}
			h.none = !found
		}
	}
	if h.none {
		return "", nil
	}
	hist, err := h.history(h.enis, configENI, eni)
	if err != nil {
		return "", err
	}
	v, seen, _ := hist.at(e.Time)
	ni, _ := v.(*eniState)
	if ni == nil {
		return "", nil
	}
	src, okS := netipOf(e.SrcIP)
	dst, okD := netipOf(e.DstIP)
	if !okS || !okD {
		return "", nil
	}
	var egress bool
	switch d, _ := e.field("flow-direction"); {
	case d == "ingress":
	case d == "egress":
		egress = true
	case ni.has(dst) && !ni.has(src):
	case ni.has(src) && !ni.has(dst):
		egress = true
	default:
		return "", nil
	}
	remote := src
	if egress {
		remote = dst
	}
	proto, ok := flowProto(e)
	if !ok {
		return "", nil
	}
	t := traffic{egress: egress, remote: remote, proto: proto, port: e.DstPort}

	acl, aclAt, err := h.nacl(ni, e.Time)
	if err != nil {
		return "", err
	}
	if acl != nil {
		if v := acl.evaluate(egress, remote, proto, e.DstPort); v.known && !v.allow {
			rule := "the default rule * of network ACL " + acl.id
			if v.entry != nil && v.entry.num != naclDefaultRule {
				rule = "network ACL " + acl.id + " rule " + strconv.FormatInt(v.entry.num, 10)
			}
			return h.hintText(rule, "denies", t, aclAt), nil
		}
	}
	// Security groups are stateful: the reply of a connection they let
	// through is allowed whatever the rules say, so only a record that
	// opens a connection is held against them.
	if FlowDirectionHint(e) != FlowInitiator || len(ni.groups) == 0 {
		return "", nil
	}
	latest := seen
	for _, g := range ni.groups {
		hist, err := h.history(h.groups, configSG, g)
		if err != nil {
			return "", err
		}
		v, at, _ := hist.at(e.Time)
		sg, _ := v.(*sgState)
		if sg == nil {
			return "", nil // a group Config does not describe may allow it
		}
		if at.After(latest) {
			latest = at
		}
		rules := sg.in
		if egress {
			rules = sg.out
		}
		for i := range rules {
			if rules[i].allows(remote, proto, e.DstPort) != noMatch {
				return "", nil
			}
		}
	}
	return h.hintText("no security-group rule of "+ni.groupList, "allows", t, latest), nil
}

// errStopTerms ends a term listing early.
var errStopTerms = errors.New("enough terms")

// hintText is the annotation: what decided (rule), what it did (verb),
// the packet, and the time of the Config state the verdict rests on.
func (h *configHints) hintText(rule, verb string, t traffic, at time.Time) string {
	if !at.Equal(h.timeAt) || h.timeText == "" {
		h.timeAt, h.timeText = at, evidence.FormatTime(at)
	}
	b := make([]byte, 0, 160)
	b = append(b, ConfigHintPrefix...)
	b = append(b, rule...)
	b = append(b, ' ')
	b = append(b, verb...)
	b = append(b, ' ')
	b = t.append(b)
	b = append(b, " (configuration recorded "...)
	b = append(b, h.timeText...)
	b = append(b, ')')
	return string(b)
}

// traffic is the packet a REJECT logged, seen from the interface.
type traffic struct {
	egress bool
	remote netip.Addr
	proto  int
	port   int
}

// append writes "inbound tcp/22 from 203.0.113.7" or "outbound udp/53
// to 198.51.100.1".
func (t traffic) append(b []byte) []byte {
	if t.egress {
		b = append(b, "outbound "...)
	} else {
		b = append(b, "inbound "...)
	}
	switch t.proto {
	case protoTCP:
		b = strconv.AppendInt(append(b, "tcp/"...), int64(t.port), 10)
	case protoUDP:
		b = strconv.AppendInt(append(b, "udp/"...), int64(t.port), 10)
	case protoICMP:
		b = append(b, "icmp"...)
	case protoICMPv6:
		b = append(b, "icmpv6"...)
	default:
		b = strconv.AppendInt(append(b, "protocol "...), int64(t.proto), 10)
	}
	if t.egress {
		b = append(b, " to "...)
	} else {
		b = append(b, " from "...)
	}
	return t.remote.AppendTo(b)
}

// netipOf reads a logged address.
func netipOf(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// flowProto is a flow record's protocol number.
func flowProto(e *Event) (int, bool) {
	if v, ok := e.field("protocol"); ok {
		if n, ok := protoNumber(v); ok && n >= 0 {
			return n, true
		}
	}
	n, ok := protoNumber(e.Protocol)
	return n, ok && n >= 0
}

// history returns the recorded states of resource id of type typ, from
// the cache or read from the index.
func (h *configHints) history(cache map[string]*configHistory, typ, id string) (*configHistory, error) {
	key := strings.ToLower(id)
	if hist, ok := cache[key]; ok {
		return hist, nil
	}
	if len(h.enis)+len(h.groups) >= maxConfigResources {
		clear(h.enis)
		clear(h.groups)
	}
	hist := &configHistory{}
	err := h.src.EventsByTerm(lowerTerm(TermResource, id), time.Time{}, time.Time{}, func(se store.StoredEvent) error {
		ev, err := DecodeEvent(se.Data)
		if err != nil || ev.Time.IsZero() {
			return nil
		}
		it, ok := ConfigItemOf(&ev)
		if !ok || it.ResourceType != typ || !strings.EqualFold(it.ResourceID, id) {
			return nil
		}
		var v any
		if it.Exists() {
			switch typ {
			case configENI:
				if s, ok := parseENI(it.Config); ok {
					v = s
				}
			case configSG:
				if s, ok := parseSG(it.Config); ok {
					v = s
				}
			}
		}
		hist.add(ev.Time, it.Config, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read AWS Config history of %s: %w", id, err)
	}
	cache[key] = hist
	return hist, nil
}

// nacl returns the network ACL associated with the interface's subnet at
// t and when that state was recorded; nil when Config does not cover it.
func (h *configHints) nacl(ni *eniState, t time.Time) (*naclState, time.Time, error) {
	if !h.aclLoaded {
		if err := h.loadNACLs(); err != nil {
			return nil, time.Time{}, err
		}
	}
	pick := func(spans []aclSpan) *aclSpan {
		var best *aclSpan
		for i := range spans {
			if s := &spans[i]; s.holds(t) && (best == nil || s.from.After(best.from)) {
				best = s
			}
		}
		return best
	}
	if s := pick(h.bySubnet[strings.ToLower(ni.subnet)]); s != nil && ni.subnet != "" {
		return s.acl, s.from, nil
	}
	return nil, time.Time{}, nil
}

// loadNACLs reads every network ACL item of the case (they are few: one
// per ACL and change) and indexes their states by subnet.
func (h *configHints) loadNACLs() error {
	h.aclLoaded = true
	h.bySubnet = map[string][]aclSpan{}
	var rs []store.TermRange
	for _, st := range configStatuses {
		rs = append(rs, store.TermRange{Term: lowerTerm(TermEvent, configNACL+" "+st)})
	}
	acls := map[string]*configHistory{}
	var order []string
	total := 0
	err := h.src.EventsByTerms(rs, func(se store.StoredEvent, _ []int) error {
		ev, err := DecodeEvent(se.Data)
		if err != nil || ev.Time.IsZero() {
			return nil
		}
		it, ok := ConfigItemOf(&ev)
		if !ok || it.ResourceType != configNACL || it.ResourceID == "" {
			return nil
		}
		key := strings.ToLower(it.ResourceID)
		hist := acls[key]
		if hist == nil {
			hist = &configHistory{}
			acls[key] = hist
			order = append(order, key)
		}
		var v any
		if it.Exists() {
			if s, ok := parseNACL(it.Config); ok {
				v = s
			}
		}
		n := len(hist.states)
		if total >= maxConfigStates {
			hist.cut = true
			return nil
		}
		hist.add(ev.Time, it.Config, v)
		total += len(hist.states) - n
		return nil
	})
	if err != nil {
		return fmt.Errorf("read AWS Config history of network ACLs: %w", err)
	}
	for _, key := range order {
		hist := acls[key]
		for i, s := range hist.states {
			acl, _ := s.v.(*naclState)
			if acl == nil {
				continue
			}
			span := aclSpan{from: s.at, acl: acl}
			switch {
			case i+1 < len(hist.states):
				span.until = hist.states[i+1].at
			case hist.cut:
				span.until = s.at // covers nothing past the cut
			}
			for _, sub := range acl.subnets {
				k := strings.ToLower(sub)
				h.bySubnet[k] = append(h.bySubnet[k], span)
			}
		}
	}
	return nil
}
