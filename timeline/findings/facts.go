package findings

import (
	"net/netip"
	"strings"

	"github.com/trailcase/trailcase/timeline"
)

// Summary facts are index terms the indexer adds to every event so that
// Summarise can count from the index instead of reading every event
// (summary_index.go). They live under their own prefix, which no query
// selector produces, and are stored, deleted, deduplicated, rebuilt and
// checked with the event's other terms. A value is kept as recorded
// (case and all); a value the index cannot hold as a term (one with a NUL
// byte or longer than maxFactValue) marks the event with factUnfit
// instead, and a case holding such a mark is summarised from its events.
const (
	factPrefix    = "\x02s"
	factAddress   = factPrefix + "a:" // source address (CloudTrail: sourceIPAddress as given) factSep source; every event has one
	factPrincipal = factPrefix + "p:" // CloudTrail principal
	factKey       = factPrefix + "k:" // CloudTrail access key id
	factName      = factPrefix + "n:" // CloudTrail event name
	factError     = factPrefix + "e:" // CloudTrail error code (outcome other than success)
	factAgent     = factPrefix + "u:" // CloudTrail and ELB user agent
	factKeyFrom   = factPrefix + "f:" // CloudTrail source address factSep access key id
	factEgress    = factPrefix + "g:" // accepted flow to a public address: its size class (egressClass)
	factDenied    = factPrefix + "d:" // CloudTrail call denied (isDenied): principal factSep source address
	factChange    = factPrefix + "c"  // IAM or logging change (isChange)
	factRole      = factPrefix + "r"  // call that issued a session
	factUnfit     = factPrefix + "x"  // a value that could not be a term
	factSep       = "\x1f"
	maxFactValue  = 1024
)

// FactTerms appends to terms the summary facts of ev (see factPrefix)
// and returns the result.
func FactTerms(ev *timeline.Event, terms []string) []string {
	var ts timeline.TermSet
	AddFactTerms(&ts, ev)
	return ts.AppendTo(terms)
}

// AddFactTerms adds the summary facts of ev (see factPrefix) to ts. The
// indexer calls it for every event, after Event.AddTerms: a fact never
// equals another term, so facts are added without looking for repeats.
func AddFactTerms(ts *timeline.TermSet, ev *timeline.Event) {
	unfit := false
	// add adds the fact prefix + a + b + c, or marks the event unfit when
	// that value cannot be a term.
	add := func(prefix, a, b, c string) {
		if len(a)+len(b)+len(c) > maxFactValue || strings.IndexByte(a, 0) >= 0 || strings.IndexByte(b, 0) >= 0 || strings.IndexByte(c, 0) >= 0 {
			unfit = true
			return
		}
		ts.Add(prefix, a, b, c)
	}
	if strings.Contains(ev.SrcIP, factSep) {
		unfit = true
	} else {
		add(factAddress, ev.SrcIP, factSep, ev.Source)
	}
	switch ev.Source {
	case timeline.SourceCloudTrail:
		for _, f := range [...]struct{ prefix, v string }{
			{factPrincipal, ev.Principal}, {factKey, ev.AccessKeyID}, {factName, ev.Action}, {factAgent, ev.UserAgent},
		} {
			if f.v != "" {
				add(f.prefix, f.v, "", "")
			}
		}
		if ev.Outcome != "success" && ev.Outcome != "" {
			add(factError, ev.Outcome, "", "")
		}
		if ev.AccessKeyID != "" && ev.SrcIP != "" {
			if strings.ContainsAny(ev.SrcIP, "\x00"+factSep) || strings.ContainsAny(ev.AccessKeyID, "\x00"+factSep) {
				unfit = true
			} else {
				add(factKeyFrom, ev.SrcIP, factSep, ev.AccessKeyID)
			}
		}
		if isDenied(ev) {
			if strings.Contains(ev.Principal, factSep) || strings.Contains(ev.SrcIP, factSep) {
				unfit = true
			} else {
				add(factDenied, ev.Principal, factSep, ev.SrcIP)
			}
		}
		if isChange(ev) {
			ts.Add(factChange)
		}
		if ev.IssuedSession != "" {
			ts.Add(factRole)
		}
	case timeline.SourceVPCFlow:
		if isEgress(ev) {
			c := egressClass(ev.Bytes)
			const hex = "0123456789abcdef"
			ts.Add(factEgress, hex[c>>12:c>>12+1], hex[c>>8&0xf:c>>8&0xf+1], hex[c>>4&0xf:c>>4&0xf+1], hex[c&0xf:c&0xf+1])
		}
	case timeline.SourceELB:
		if ev.UserAgent != "" {
			add(factAgent, ev.UserAgent, "", "")
		}
	}
	if unfit {
		ts.Add(factUnfit)
	}
}

// IsFactTerm reports whether t is a summary fact (see FactTerms).
func IsFactTerm(t string) bool { return strings.HasPrefix(t, factPrefix) }

// isDenied reports a CloudTrail call refused for want of permission.
func isDenied(ev *timeline.Event) bool {
	return ev.Outcome != "success" && (strings.Contains(ev.Outcome, "AccessDenied") || strings.Contains(ev.Outcome, "Unauthorized"))
}

// isEgress reports an accepted flow with bytes to an address outside
// private, loopback and link-local ranges.
func isEgress(ev *timeline.Event) bool {
	if ev.Action != "ACCEPT" || ev.Bytes <= 0 {
		return false
	}
	dst, err := netip.ParseAddr(ev.DstIP)
	return err == nil && !dst.IsPrivate() && !dst.IsLoopback() && !dst.IsLinkLocalUnicast()
}

// egressClass is a flow's size class: its bit length and the next 8 bits
// below the leading one, written as 4 hex digits, so classes sort as
// sizes do and each class spans 1/256 of a power of two. It is at most
// 0x3fff.
func egressClass(b int64) int {
	n := 0
	for v := b; v > 0; v >>= 1 {
		n++
	}
	var mant int64
	if n > 9 {
		mant = (b >> (n - 9)) & 0xff
	} else {
		mant = (b << (9 - n)) & 0xff
	}
	return n<<8 | int(mant)
}
