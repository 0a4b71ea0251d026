package timeline

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/trailcase/trailcase/store"
)

// TermLister lists the index terms starting with a prefix, with the
// number of events under each (store.Store implements it). A query needs
// it to expand event-name globs, resource prefixes, CIDR ranges and role
// ARNs given without their path, and to suggest near terms.
type TermLister interface {
	TermValues(prefix string, fn func(term string, count int) error) error
}

// Outcomes a query may select.
const (
	OutcomeSuccess = "success"
	OutcomeError   = "error"
)

// Unknown says that the IP address or principal of a query is nowhere in
// the case's index, and which indexed values are nearest.
type Unknown struct {
	What        string   `json:"what"` // "IP address" or "principal"
	Value       string   `json:"value"`
	Suggestions []string `json:"suggestions"`
}

// Message is a one-line description for a person.
func (u *Unknown) Message() string {
	s := fmt.Sprintf("%s %q is not in the case", u.What, u.Value)
	if len(u.Suggestions) > 0 {
		s += "; did you mean " + strings.Join(u.Suggestions, ", ") + "?"
	}
	return s
}

// hasSelector reports whether the query selects by event, resource, user
// agent or outcome.
func (q *Query) hasSelector() bool {
	return len(q.Events) > 0 || q.Resource != "" || q.UserAgent != "" || q.Outcome != ""
}

// validateSelectors checks the selectors' syntax.
func (q *Query) validateSelectors() error {
	for _, g := range q.Events {
		if _, err := path.Match(strings.ToLower(g), ""); err != nil || strings.TrimSpace(g) == "" {
			return fmt.Errorf("%w: event name %q is not a valid glob", ErrBadQuery, g)
		}
	}
	if q.Resource != "" && strings.TrimSpace(q.Resource) == "" {
		return fmt.Errorf("%w: empty resource", ErrBadQuery)
	}
	switch q.Outcome {
	case "", OutcomeSuccess, OutcomeError:
	default:
		return fmt.Errorf("%w: outcome %q: want %s or %s", ErrBadQuery, q.Outcome, OutcomeSuccess, OutcomeError)
	}
	if q.IP != "" && strings.Contains(q.IP, "/") {
		if _, err := netip.ParsePrefix(strings.TrimSpace(q.IP)); err != nil {
			return fmt.Errorf("%w: %q is not an IP address or CIDR range", ErrBadQuery, q.IP)
		}
	}
	return nil
}

// ParseEventNames reads a comma-separated list of event names or globs.
func ParseEventNames(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// keep applies the selectors that are not read from the index (and those
// that are, when another selector drove the read): all must match.
func (q *Query) keep(e *Event) bool {
	if len(q.Events) > 0 {
		name := strings.ToLower(e.EventName())
		if name == "" || !slices.ContainsFunc(q.Events, func(g string) bool {
			ok, _ := path.Match(strings.ToLower(g), name)
			return ok
		}) {
			return false
		}
	}
	if q.Resource != "" {
		if q.resource == "" {
			q.resource = lowerTerm("", strings.TrimSpace(q.Resource))
		}
		if !hasResource(e, q.resource) {
			return false
		}
	}
	if q.UserAgent != "" && !strings.Contains(strings.ToLower(e.UserAgent), strings.ToLower(q.UserAgent)) {
		return false
	}
	return q.Outcome == "" || OutcomeOf(e) == q.Outcome
}

// hasResource reports whether one of the event's resource keys (its
// terms and its S3 objects) starts with prefix, in lower case and without
// the terms' own prefix.
func hasResource(e *Event, prefix string) bool {
	for _, r := range e.Resources {
		if !resourceNames(r, true, func(n string) bool { return !hasLowerPrefix(n, prefix) }) {
			return true
		}
	}
	return false
}

// hasLowerPrefix reports whether s as lowerTerm lowers it starts with p,
// without making the lower-case copy unless s is not ASCII where p is
// compared (a character outside ASCII may lower to one inside it).
func hasLowerPrefix(s, p string) bool {
	for i := 0; i < len(p); i++ {
		if i == len(s) {
			return false
		}
		c := s[i]
		if c >= 0x80 {
			return strings.HasPrefix(strings.ToLower(s), p)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// OutcomeOf says whether an event succeeded or failed: a CloudTrail call
// without error code, an HTTP status below 400 (S3 access logs, ELB), an
// accepted flow. Config items and GuardDuty findings have neither ("").
func OutcomeOf(e *Event) string {
	switch e.Source {
	case SourceCloudTrail:
		if e.Outcome == "success" {
			return OutcomeSuccess
		}
		return OutcomeError
	case SourceVPCFlow:
		switch e.Outcome {
		case "ACCEPT":
			return OutcomeSuccess
		case "REJECT":
			return OutcomeError
		}
	case SourceS3Access, SourceELB:
		code := e.Outcome
		if e.Source == SourceELB {
			code, _ = e.field("elb_status_code")
		}
		if i := strings.IndexByte(code, ' '); i >= 0 {
			code = code[:i]
		}
		if n, err := strconv.Atoi(code); err == nil {
			if n >= 400 {
				return OutcomeError
			}
			return OutcomeSuccess
		}
	}
	return ""
}

// expand resolves what a query needs from the index's terms before it
// runs: event-name globs, resource prefixes, CIDR ranges and role ARNs
// given without their path become lists of terms; an IP address or
// principal found nowhere gets suggestions. Without a TermLister only
// exact terms are used.
func (c *Correlation) expand(src EventSource) error {
	q := &c.q
	tl, _ := src.(TermLister)
	var err error
	if len(q.Events) > 0 {
		if c.eventTerms, err = eventTerms(tl, q.Events); err != nil {
			return err
		}
	}
	if q.Resource != "" {
		// S3 is indexed by bucket name; keep checks the ARN or object.
		list, bucket := s3Terms(lowerTerm(TermResource, strings.TrimSpace(q.Resource)))
		if tl != nil {
			// The store reads the prefix's terms as one range.
			c.resourcePrefix = list
			if bucket != "" && !strings.HasPrefix(bucket, list) {
				c.resourceTerms = []string{bucket}
			}
		} else {
			c.resourceTerms = []string{list}
			if bucket != "" && bucket != list {
				c.resourceTerms = append(c.resourceTerms, bucket)
			}
		}
	}
	switch {
	case strings.Contains(q.IP, "/"):
		// The store reads the range's addresses as one range of terms
		// (nothing without a TermLister: the terms cannot be listed).
		p, _ := netip.ParsePrefix(strings.TrimSpace(q.IP))
		if tl != nil {
			c.cidr = p.Masked()
		}
	case q.IP != "":
		ip, _ := NormalizeIP(q.IP)
		c.ipTerms = []string{TermIP + ip}
		terms := c.ipTerms
		c.unknown = func() (*Unknown, error) { return unknown(tl, "IP address", ip, TermIP, terms) }
	case q.Principal != "":
		if q.pterms, err = principalAliases(tl, q.Principal); err != nil {
			return err
		}
		value, terms := strings.TrimSpace(q.Principal), q.pterms
		c.unknown = func() (*Unknown, error) { return unknown(tl, "principal", value, TermPrincipal, terms) }
	}
	return nil
}

// eventTerms returns the event terms the globs match.
func eventTerms(tl TermLister, globs []string) ([]string, error) {
	var out []string
	for _, g := range globs {
		g = strings.ToLower(strings.TrimSpace(g))
		lit := g
		if i := strings.IndexAny(g, `*?[\`); i >= 0 {
			lit = g[:i]
		} else {
			out = append(out, TermEvent+g)
			continue
		}
		if tl == nil {
			continue
		}
		err := tl.TermValues(TermEvent+lit, func(t string, _ int) error {
			if ok, _ := path.Match(g, t[len(TermEvent):]); ok && !slices.Contains(out, t) {
				out = append(out, t)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cidrLead returns the leading text the IP terms of the addresses in p
// share: the whole octets of an IPv4 range (up to three: the fourth is
// not followed by a dot), the first group of an IPv6 range that has one
// (the text of an IPv6 address starts with "::" only when its first
// group is 0).
func cidrLead(p netip.Prefix) string {
	lead := TermIP
	a := p.Addr()
	switch {
	case a.Is4() && p.Bits() >= 8:
		o := strings.Split(a.String(), ".")
		lead += strings.Join(o[:min(p.Bits()/8, 3)], ".") + "."
	case a.Is6() && p.Bits() >= 16 && a.As16()[0]|a.As16()[1] != 0:
		b := a.As16()
		lead += strconv.FormatUint(uint64(b[0])<<8|uint64(b[1]), 16) + ":"
	}
	return lead
}

// cidrMatch reports whether an IP term is of an address in p.
func cidrMatch(p netip.Prefix) func(term []byte) bool {
	return func(t []byte) bool {
		ip, err := netip.ParseAddr(string(t[len(TermIP):]))
		return err == nil && p.Contains(ip)
	}
}

// cidrWhys returns the reasons an event is in a CIDR range's timeline:
// for each of its IP terms in the range, in term order, why that address
// touches it.
func cidrWhys(p netip.Prefix, terms []string, e *Event) []string {
	var ips []string
	match := cidrMatch(p)
	for _, t := range terms {
		if strings.HasPrefix(t, TermIP) && match([]byte(t)) && !slices.Contains(ips, t) {
			ips = append(ips, t)
		}
	}
	slices.Sort(ips)
	whys := make([]string, 0, len(ips))
	for _, t := range ips {
		w, _ := ipWhy(t[len(TermIP):])(e)
		whys = append(whys, w)
	}
	return whys
}

// principalAliases returns the principal terms of p: p itself and, for an
// IAM role or user ARN given without its path, the ARNs indexed with a
// path and the same name (arn:aws:iam::1:role/X finds
// arn:aws:iam::1:role/service-role/X).
func principalAliases(tl TermLister, p string) ([]string, error) {
	own := lowerTerm(TermPrincipal, strings.TrimSpace(p))
	out := []string{own}
	arn, ok := strings.CutPrefix(own, TermPrincipal)
	parts := strings.SplitN(arn, ":", 6)
	if !ok || tl == nil || len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return out, nil
	}
	typ, name, ok := strings.Cut(parts[5], "/")
	if !ok || name == "" || strings.Contains(name, "/") || (typ != "role" && typ != "user") {
		return out, nil
	}
	err := tl.TermValues(TermPrincipal+strings.Join(parts[:5], ":")+":"+typ+"/", func(t string, _ int) error {
		if t != own && strings.HasSuffix(t, "/"+name) {
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// unknown returns nil when one of terms is indexed; else an Unknown with
// the nearest indexed values under prefix.
func unknown(tl TermLister, what, value, prefix string, terms []string) (*Unknown, error) {
	if tl == nil {
		return nil, nil
	}
	for _, t := range terms {
		found := false
		err := tl.TermValues(t, func(have string, _ int) error {
			found = found || have == t
			return nil
		})
		if err != nil || found {
			return nil, err
		}
	}
	near := nearest{want: strings.ToLower(value)}
	if err := near.widen(tl, prefix, suggestScan); err != nil {
		return nil, err
	}
	return &Unknown{What: what, Value: value, Suggestions: near.values()}, nil
}

// boundedTermLister is a TermLister that can stop reading a prefix's
// terms once it has found enough of them (store.Store).
type boundedTermLister interface {
	TermValuesUpTo(prefix string, limit int, fn func(term string, count int) error) error
}

// suggestScan bounds the indexed values a "did you mean" reads: the
// hint widens its range past one holding this many values no further.
const suggestScan = 4096

// widen reads the indexed values under prefix that share the longest
// leading part with the value wanted, then ever shorter parts, so that
// the values nearest in the index's order come first. It stops when no
// value further out can be nearer (the hint is full with values one edit
// away, and a value further out shares a shorter leading part) or once a
// range held limit values or more, of which a lister that can stop reads
// no more than limit: the cost follows the values near the one wanted,
// not the size of the case. A value that differs from the one wanted in
// its first characters may then go unsuggested.
func (n *nearest) widen(tl TermLister, prefix string, limit int) error {
	read := "" // the range already read, inside the next one
	for k := len(n.want); k >= 0; k-- {
		p := prefix + n.want[:k]
		count := 0
		each := func(t string, _ int) error {
			count++
			if read == "" || !strings.HasPrefix(t, read) {
				n.add(t[len(prefix):])
			}
			return nil
		}
		var err error
		if b, ok := tl.(boundedTermLister); ok {
			err = b.TermValuesUpTo(p, limit, each)
		} else {
			err = tl.TermValues(p, each)
		}
		if err != nil {
			return err
		}
		read = p
		if count >= limit || (len(n.best) == maxSuggestions && n.best[len(n.best)-1].dist <= 1) {
			return nil
		}
	}
	return nil
}

// selection returns the index ranges the query reads, with the reason of
// each, or ok false when it reads the whole case by time (All, or only
// selectors that are not indexed). An IP address or principal drives the
// read; else a resource, else event names; the other selectors filter.
func (c *Correlation) selection() (rs []store.TermRange, whys []func(*Event) (string, bool), ok bool) {
	q := &c.q
	add := func(terms []string, why func(string) func(*Event) (string, bool)) {
		for _, t := range terms {
			rs = append(rs, store.TermRange{Term: t, From: q.From, To: q.To})
			whys = append(whys, why(t))
		}
	}
	plain := func(string) func(*Event) (string, bool) {
		return func(*Event) (string, bool) { return "", true }
	}
	switch {
	case q.All:
		return nil, nil, false
	case c.cidr.IsValid():
		// One range over the terms of the addresses in the range; the
		// reasons come from each event's own terms (see cidrWhys).
		rs = append(rs, store.TermRange{Term: cidrLead(c.cidr), From: q.From, To: q.To, Prefix: true, Match: cidrMatch(c.cidr)})
		whys = append(whys, nil)
	case q.IP != "":
		add(c.ipTerms, func(t string) func(*Event) (string, bool) { return ipWhy(t[len(TermIP):]) })
	case q.Principal != "":
		rs, whys = c.principalRanges()
	case q.Resource != "":
		if c.resourcePrefix != "" {
			rs = append(rs, store.TermRange{Term: c.resourcePrefix, From: q.From, To: q.To, Prefix: true})
			whys = append(whys, plain(""))
		}
		add(c.resourceTerms, plain)
	case len(q.Events) > 0:
		add(c.eventTerms, plain)
	default:
		return nil, nil, false
	}
	return rs, whys, true
}
