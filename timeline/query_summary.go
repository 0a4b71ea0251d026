package timeline

import (
	"sort"
	"strings"
)

// maxDistinct bounds how many distinct principals and addresses a summary
// tracks; the rest are only counted.
const maxDistinct = 10000

// maxListed is how many principals and addresses a summary lists.
const maxListed = 50

type summaryBuilder struct {
	s           Summary
	principals  map[string]int
	ips         map[string]int
	undecodable int
}

func newSummaryBuilder() *summaryBuilder {
	return &summaryBuilder{s: Summary{BySource: map[string]int{}}, principals: map[string]int{}, ips: map[string]int{}}
}

func (b *summaryBuilder) add(m *Match) {
	e := m.Event
	s := &b.s
	s.Events++
	s.BySource[e.Source]++
	if !e.Time.IsZero() {
		if s.First.IsZero() || e.Time.Before(s.First) {
			s.First = e.Time
		}
		if e.Time.After(s.Last) {
			s.Last = e.Time
		}
	}
	if e.Principal != "" {
		bump(b.principals, e.Principal, &s.OtherPrincipals)
	}
	for _, a := range [2]string{e.SrcIP, e.DstIP} {
		if n, ok := NormalizeIP(a); ok {
			bump(b.ips, n, &s.OtherIPs)
		}
	}
	for _, a := range e.Annotations {
		switch {
		case strings.HasPrefix(a, AntiForensicsPrefix):
			s.AntiForensics++
		case a == NACLHint:
			s.NACLHints++
		case strings.HasPrefix(a, ConfigHintPrefix):
			s.ConfigHints++
		}
	}
}

func bump(m map[string]int, k string, other *int) {
	if _, ok := m[k]; !ok && len(m) >= maxDistinct {
		*other = *other + 1
		return
	}
	m[k]++
}

func (b *summaryBuilder) summary() *Summary {
	s := b.s
	s.Undecodable = b.undecodable
	s.Principals = topCounts(b.principals)
	s.IPs = topCounts(b.ips)
	if len(b.principals) > maxListed {
		s.OtherPrincipals += len(b.principals) - maxListed
	}
	if len(b.ips) > maxListed {
		s.OtherIPs += len(b.ips) - maxListed
	}
	return &s
}

// topCounts returns the most frequent values first (ties by value), at
// most maxListed.
func topCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Value: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Value < out[j].Value
	})
	if len(out) > maxListed {
		out = out[:maxListed]
	}
	return out
}
