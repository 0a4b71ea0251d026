package timeline

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"iter"
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
	if q.Principal != "" {
		r, err := resolvePrincipal(ctx, src, &q)
		if err != nil {
			return nil, err
		}
		c.Resolution = r
	}
	return c, nil
}

// Query returns the query as prepared (defaults filled in).
func (c *Correlation) Query() Query { return c.q }

// Run streams the events of the query to fn and summarises them.
func (c *Correlation) Run(ctx context.Context, fn func(*Match) error) (*Summary, error) {
	sum := newSummaryBuilder()
	ann := newNACLAnnotator(func(m *Match) error {
		sum.add(m)
		return fn(m)
	})
	var streams []*stream
	q := &c.q
	switch {
	case q.All:
		streams = append(streams, &stream{seq: timeSeq(c.src, q.From, q.To), why: func(*Event) (string, bool) { return "", true }})
	case q.IP != "":
		ip, _ := NormalizeIP(q.IP)
		streams = append(streams, &stream{seq: termSeq(c.src, TermIP+ip, q.From, q.To), why: ipWhy(ip)})
	default:
		streams = c.principalStreams()
	}
	err := merge(ctx, streams, func(ev *Event, why []string) error {
		if !q.wantSource(ev.Source) {
			return nil
		}
		return ann.push(&Match{Event: ev, Why: why})
	}, &sum.undecodable)
	if err == nil {
		err = ann.flush()
	}
	s := sum.summary()
	s.Resolution = c.Resolution
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

// principalStreams returns the index ranges of a resolved principal: its
// own events, the events of each credential it obtained, and the flow and
// ELB events of each address it used.
func (c *Correlation) principalStreams() []*stream {
	q, r := &c.q, c.Resolution
	var out []*stream
	for _, t := range principalTerms(q.Principal) {
		out = append(out, &stream{seq: termSeq(c.src, t, q.From, q.To), why: func(*Event) (string, bool) { return "own event", true }})
	}
	for _, cr := range r.Credentials {
		why := cr.Why
		out = append(out, &stream{seq: termSeq(c.src, TermAccessKey+cr.AccessKey, q.From, q.To), why: func(*Event) (string, bool) { return why, true }})
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
		out = append(out, &stream{seq: termSeq(c.src, TermIP+u.IP, from, to), why: func(e *Event) (string, bool) {
			return why, e.Source != SourceCloudTrail
		}})
	}
	return out
}

// principalTerms returns the index terms of a principal as given.
func principalTerms(p string) []string {
	p = strings.TrimSpace(p)
	return []string{TermPrincipal + strings.ToLower(p)}
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
	for _, t := range principalTerms(q.Principal) {
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
			var issued string
			for _, t := range se.Terms {
				switch {
				case strings.HasPrefix(t, TermIssued):
					issued = t[len(TermIssued):]
				case strings.HasPrefix(t, TermIP) && inWindow && hasPrincipalTerm(se.Terms):
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

// stream is one time-ordered index range of a query and the reason its
// events are included.
type stream struct {
	seq iter.Seq2[store.StoredEvent, error]
	// why returns the reason an event of this stream is included, and
	// false when the stream only brings it along (it is then left out
	// unless another stream includes it).
	why func(*Event) (string, bool)

	next func() (store.StoredEvent, error, bool)
	stop func()
	cur  store.StoredEvent
}

var errStopScan = errors.New("stop scan")

// termSeq yields the events under term in [from, to).
func termSeq(src EventSource, term string, from, to time.Time) iter.Seq2[store.StoredEvent, error] {
	return func(yield func(store.StoredEvent, error) bool) {
		err := src.EventsByTerm(term, from, to, func(e store.StoredEvent) error {
			if !yield(e, nil) {
				return errStopScan
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopScan) {
			yield(store.StoredEvent{}, err)
		}
	}
}

// timeSeq yields every event in [from, to).
func timeSeq(src EventSource, from, to time.Time) iter.Seq2[store.StoredEvent, error] {
	return func(yield func(store.StoredEvent, error) bool) {
		err := src.EventsByTime(from, to, func(e store.StoredEvent) error {
			if !yield(e, nil) {
				return errStopScan
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopScan) {
			yield(store.StoredEvent{}, err)
		}
	}
}

// eventLess orders stored events as the indexes do: time, then item, then
// record.
func eventLess(a, b *store.StoredEvent) bool {
	ta, tb := a.Time.UnixNano(), b.Time.UnixNano()
	if ta != tb {
		return ta < tb
	}
	if a.Item != b.Item {
		return a.Item < b.Item
	}
	return a.Record < b.Record
}

type streamHeap []*stream

func (h streamHeap) Len() int           { return len(h) }
func (h streamHeap) Less(i, j int) bool { return eventLess(&h[i].cur, &h[j].cur) }
func (h streamHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *streamHeap) Push(x any)        { *h = append(*h, x.(*stream)) }
func (h *streamHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// advance pulls the stream's next event; false at its end.
func (s *stream) advance() (bool, error) {
	e, err, ok := s.next()
	if !ok {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.cur = e
	return true, nil
}

// merge k-way merges the streams by (time, item, record), decodes each
// distinct event once, and passes it to emit with the reasons of every
// stream that includes it. Events no stream includes are dropped.
func merge(ctx context.Context, streams []*stream, emit func(*Event, []string) error, undecodable *int) error {
	h := make(streamHeap, 0, len(streams))
	defer func() {
		for _, s := range streams {
			if s.stop != nil {
				s.stop()
			}
		}
	}()
	for _, s := range streams {
		s.next, s.stop = iter.Pull2(s.seq)
		ok, err := s.advance()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, s)
		}
	}
	heap.Init(&h)
	var group []*stream
	n := 0
	for h.Len() > 0 {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		first := heap.Pop(&h).(*stream)
		group = append(group[:0], first)
		key := first.cur.Key()
		for h.Len() > 0 && h[0].cur.Key() == key && h[0].cur.Time.Equal(first.cur.Time) {
			group = append(group, heap.Pop(&h).(*stream))
		}
		ev, err := DecodeEvent(first.cur.Data)
		if err != nil {
			*undecodable++
		} else {
			var why []string
			include := false
			for _, s := range group {
				w, ok := s.why(&ev)
				if !ok {
					continue
				}
				include = true
				if w != "" && !containsString(why, w) {
					why = append(why, w)
				}
			}
			if include {
				if err := emit(&ev, why); err != nil {
					return err
				}
			}
		}
		for _, s := range group {
			ok, err := s.advance()
			if err != nil {
				return err
			}
			if ok {
				heap.Push(&h, s)
			}
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
