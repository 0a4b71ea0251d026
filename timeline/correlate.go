package timeline

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailcase/trailcase/store"
)

// Correlation is a prepared timeline query: for a principal, the
// credentials and addresses it resolved to.
type Correlation struct {
	src        EventSource
	q          Query
	Resolution *Resolution // nil unless the query is for a principal
	// unknown, for an IP address or principal query, says whether what
	// was asked for is in the case at all (query_select.go). It reads
	// every batch's list of the terms asked for, as the query itself
	// does; Run calls it only when the query found no event, for any
	// event found shows that one of the terms is indexed.
	unknown func() (*Unknown, error)
	// kept, for a principal query on a source that can, keeps the events
	// the principal's resolution read for Run, which reads them again.
	kept eventKeeper

	// Index terms the query expanded to (query_select.go).
	ipTerms, eventTerms, resourceTerms []string
	// resourcePrefix and cidr are read as prefix ranges of terms (when
	// the source can list terms): a resource prefix, a CIDR range.
	resourcePrefix string
	cidr           netip.Prefix
}

// Correlate runs q against src and calls fn for each event, in time order
// (oldest first), each event once. It reads only the index ranges the
// query needs (the time index for All) and holds a bounded number of
// events at a time. It returns a summary of what was produced.
func Correlate(ctx context.Context, src EventSource, q Query, fn func(*Match) error) (*Summary, error) {
	c, err := Prepare(ctx, src, q)
	if err != nil {
		return nil, err
	}
	return c.Run(ctx, fn)
}

// Prepare validates q and, for a principal, resolves the credentials it
// obtained (following issued access keys recursively) and the addresses
// it used, without reading the events themselves.
func Prepare(ctx context.Context, src EventSource, q Query) (*Correlation, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if q.NetworkMargin == 0 {
		q.NetworkMargin = DefaultNetworkMargin
	}
	q.From, q.To = q.From.UTC(), q.To.UTC()
	c := &Correlation{src: src, q: q}
	if err := c.expand(src); err != nil {
		return nil, err
	}
	if q.Principal != "" {
		if k, ok := src.(eventKeeper); ok {
			k.Remember(keptBytes)
			c.kept = k
		}
		r, err := resolvePrincipal(ctx, src, &c.q)
		if err != nil {
			c.forget()
			return nil, err
		}
		c.Resolution = r
	}
	return c, nil
}

// eventKeeper is a source that can keep the events its reads fetch for
// the reads after them (store.Store.Remember).
type eventKeeper interface {
	Remember(maxBytes int64)
	Forget()
}

// keptBytes bounds the events a principal's resolution keeps for Run:
// about four thousand CloudTrail records. A busier principal's are not
// kept: Run reads them all again, as it reads its network events.
const keptBytes = 8 << 20

// forget drops the events kept for Run.
func (c *Correlation) forget() {
	if c.kept != nil {
		c.kept.Forget()
		c.kept = nil
	}
}

// Query returns the query as prepared (defaults filled in).
func (c *Correlation) Query() Query { return c.q }

// Run streams the events of the query to fn and summarises them.
func (c *Correlation) Run(ctx context.Context, fn func(*Match) error) (*Summary, error) {
	defer c.forget()
	sum := newSummaryBuilder()
	ann := newNACLAnnotator(func(m *Match) error {
		sum.add(m)
		return fn(m)
	})
	q := &c.q
	hints := newConfigHints(c.src)
	n := 0
	// handle decodes a selected event and passes it on with the reasons
	// of the ranges that include it (whys[i] for range i). A text log's
	// fields are kept as their ordered list, read by Event.Field; with
	// own, se.Data is never changed by the source, so the event's Raw
	// may be a slice of it.
	var whys []func(*Event) (string, bool)
	handle := func(se store.StoredEvent, in []int, own bool) error {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ev := new(Event)
		if err := DecodeEventInto(ev, se.Data, DecodeOptions{FieldList: true, Borrow: own}); err != nil {
			sum.undecodable++
			return nil
		}
		if !q.wantSource(ev.Source) || !q.keep(ev) {
			return nil
		}
		var why []string
		include := in == nil // the whole case
		for _, i := range in {
			if whys[i] == nil { // the CIDR range
				include = true
				for _, w := range cidrWhys(c.cidr, indexTerms(se, ev), ev) {
					if !slices.Contains(why, w) {
						why = append(why, w)
					}
				}
				continue
			}
			w, ok := whys[i](ev)
			if !ok {
				continue
			}
			include = true
			if w != "" && !slices.Contains(why, w) {
				why = append(why, w)
			}
		}
		if !include {
			return nil
		}
		if _, err := hints.annotate(ev); err != nil {
			return err
		}
		return ann.push(&Match{Event: ev, Why: why})
	}
	var err error
	if ranges, w, ok := c.selection(); ok {
		whys = w
		err = c.src.EventsByTerms(ranges, func(se store.StoredEvent, in []int) error { return handle(se, in, true) })
	} else {
		err = c.src.EventsByTime(q.From, q.To, func(se store.StoredEvent) error { return handle(se, nil, false) })
	}
	if err == nil {
		err = ann.flush()
	}
	s := sum.summary()
	s.Resolution = c.Resolution
	if err == nil && s.Events == 0 && c.unknown != nil {
		s.Unknown, err = c.unknown()
	}
	return s, err
}

// ipWhy explains why an event touches ip.
func ipWhy(ip string) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		switch {
		case sameIP(e.SrcIP, ip) && sameIP(e.DstIP, ip):
			return "ip " + ip + " is source and destination", true
		case sameIP(e.SrcIP, ip):
			return "ip " + ip + " is the source", true
		case sameIP(e.DstIP, ip):
			return "ip " + ip + " is the destination", true
		}
		return "ip " + ip + " appears in the record", true
	}
}

// sameIP reports whether s is the address norm (already normalised).
func sameIP(s, norm string) bool {
	if s == "" {
		return false
	}
	n, ok := NormalizeIP(s)
	return ok && n == norm
}

// principalRanges returns the index ranges of a resolved principal: its
// own terms, the access keys it obtained and the addresses it used (for
// their network events, in the window it used them, widened by the
// network margin), each with the reason its events are included.
func (c *Correlation) principalRanges() ([]store.TermRange, []func(*Event) (string, bool)) {
	q, r := &c.q, c.Resolution
	var rs []store.TermRange
	var whys []func(*Event) (string, bool)
	for _, t := range q.principalTerms() {
		rs = append(rs, store.TermRange{Term: t, From: q.From, To: q.To})
		whys = append(whys, func(*Event) (string, bool) { return "own event", true })
	}
	for _, cr := range r.Credentials {
		why := cr.Why
		rs = append(rs, store.TermRange{Term: TermAccessKey + cr.AccessKey, From: q.From, To: q.To})
		whys = append(whys, func(*Event) (string, bool) { return why, true })
	}
	for _, u := range r.IPs {
		from, to := q.From, q.To
		if from.IsZero() {
			from = u.First.Add(-q.NetworkMargin)
		}
		if to.IsZero() {
			to = u.Last.Add(q.NetworkMargin + time.Nanosecond)
		}
		why := "network: IP " + u.IP + " used by principal"
		rs = append(rs, store.TermRange{Term: TermIP + u.IP, From: from, To: to})
		whys = append(whys, func(e *Event) (string, bool) {
			return why, e.Source != SourceCloudTrail
		})
	}
	return rs, whys
}

// credentialName names the call that issued credentials.
func credentialName(s string) string {
	if s == "" {
		return "credential issue"
	}
	return s
}

// resolvePrincipal walks the principal's own events, then the events of
// every access key it obtained (recursively, each key once), collecting
// issued keys, source addresses and the active window. It reads only the
// index ranges of the principal and of the keys.
func resolvePrincipal(ctx context.Context, src EventSource, q *Query) (*Resolution, error) {
	r := &Resolution{Principal: strings.TrimSpace(q.Principal), Credentials: []Credential{}, IPs: []IPUse{}}
	ips := map[string]*IPUse{}
	visited := map[string]bool{}
	type task struct {
		term      string
		parentWhy string // reason of the key the events were made with; "" for own events
		depth     int
	}
	queue := []task{}
	for _, t := range q.principalTerms() {
		queue = append(queue, task{term: t})
	}
	for len(queue) > 0 {
		tk := queue[0]
		queue = queue[1:]
		err := src.EventsByTerm(tk.term, time.Time{}, time.Time{}, func(se store.StoredEvent) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			inWindow := (q.From.IsZero() || !se.Time.Before(q.From)) && (q.To.IsZero() || se.Time.Before(q.To))
			terms := se.StoredTerms()
			if se.Termless() {
				var ev Event
				if err := DecodeEventInto(&ev, se.Data, DecodeOptions{NormalisedOnly: true}); err != nil {
					return nil // an event that does not decode links nothing
				}
				terms = indexTerms(se, &ev)
			}
			var issued string
			for _, t := range terms {
				switch {
				case strings.HasPrefix(t, TermIssued):
					issued = t[len(TermIssued):]
				case strings.HasPrefix(t, TermIP) && inWindow && hasPrincipalTerm(terms):
					ip := t[len(TermIP):]
					u := ips[ip]
					if u == nil {
						if len(ips) >= MaxAddresses {
							r.Truncated = true
							continue
						}
						u = &IPUse{IP: ip, First: se.Time, Last: se.Time}
						ips[ip] = u
					}
					u.Events++
					if se.Time.Before(u.First) {
						u.First = se.Time
					}
					if se.Time.After(u.Last) {
						u.Last = se.Time
					}
				}
			}
			if inWindow {
				if r.First.IsZero() || se.Time.Before(r.First) {
					r.First = se.Time
				}
				if se.Time.After(r.Last) {
					r.Last = se.Time
				}
			}
			if issued == "" || visited[issued] || !q.To.IsZero() && !se.Time.Before(q.To) {
				return nil // keys issued after the window cannot act in it
			}
			if len(visited) >= MaxCredentials {
				r.Truncated = true
				return nil
			}
			visited[issued] = true
			ev, err := DecodeEvent(se.Data)
			if err != nil {
				return nil // unreadable: its key cannot be described, nor followed safely
			}
			cr := Credential{AccessKey: issued, Session: ev.IssuedSession, How: credentialName(ev.Action),
				By: ev.Principal, With: ev.AccessKeyID, At: ev.Time, Evidence: ev.Evidence, Record: ev.Record, Depth: tk.depth + 1}
			cr.Why = "via " + cr.How + " by " + cr.By
			if tk.parentWhy != "" {
				cr.Why += " (chained: " + tk.parentWhy + ")"
			}
			r.Credentials = append(r.Credentials, cr)
			queue = append(queue, task{term: TermAccessKey + issued, parentWhy: cr.Why, depth: tk.depth + 1})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("resolve principal %q: %w", r.Principal, err)
		}
	}
	for _, u := range ips {
		r.IPs = append(r.IPs, *u)
	}
	sort.Slice(r.IPs, func(i, j int) bool {
		if !r.IPs[i].First.Equal(r.IPs[j].First) {
			return r.IPs[i].First.Before(r.IPs[j].First)
		}
		return r.IPs[i].IP < r.IPs[j].IP
	})
	return r, nil
}

// hasPrincipalTerm reports a CloudTrail event (only those carry principal
// terms): the addresses a principal used come from its API calls.
func hasPrincipalTerm(terms []string) bool {
	for _, t := range terms {
		if strings.HasPrefix(t, TermPrincipal) {
			return true
		}
	}
	return false
}

// indexTerms returns the index terms of stored event se, decoded as ev:
// those stored with it, or, for an event stored without them (schema 6),
// ev's Terms. (The summary facts, which the indexer also files it under,
// are not among those: the timeline never reads them from an event.)
func indexTerms(se store.StoredEvent, ev *Event) []string {
	if !se.Termless() {
		return se.StoredTerms()
	}
	return ev.Terms()
}
