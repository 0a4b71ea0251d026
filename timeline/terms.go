package timeline

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"strings"

	"github.com/trailcase/trailcase/evidence"
)

// Index term prefixes. A term is a prefix followed by a value.
const (
	// TermIP + an address in net/netip's form (IPv4-mapped IPv6 unmapped):
	// every IP the event touches.
	TermIP = "ip:"
	// TermPrincipal + a lower-case principal key: ARN, access key id,
	// user name, session issuer ARN, principal id.
	TermPrincipal = "p:"
	// TermAccessKey + the access key id (as recorded) the event was made with.
	TermAccessKey = "ak:"
	// TermIssued + the access key id (as recorded) the event issued
	// (AssumeRole and friends): the link role chaining follows.
	TermIssued = "issued:"
	// TermResource + a lower-case resource: each of Event.Resources, and
	// for an ARN also its name and, for IAM, the ARN without its path; S3
	// buckets and objects only as the bucket's name (resourceTerms).
	TermResource = "r:"
	// TermEvent + the lower-case event name (Event.Action) of the sources
	// whose action is a name: CloudTrail, S3 access logs, Config and
	// GuardDuty (not flow or ELB records).
	TermEvent = "ev:"
	// TermAntiForensics (the whole term) marks anti-forensic events.
	TermAntiForensics = "anti:"
)

// hiddenUserName is what CloudTrail writes for the user name of a failed
// sign-in with an unknown user: not a principal.
const hiddenUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Terms returns the index terms under which the event must be findable:
// TermIP for every IP address (CloudTrail sourceIPAddress only when it is
// an address; flow srcaddr, dstaddr, pkt-srcaddr, pkt-dstaddr, except for
// NODATA and SKIPDATA records; ELB client and targets; S3 access log
// remote IP; GuardDuty remote, local and instance addresses),
// TermPrincipal for CloudTrail identities, S3 access log requesters and
// GuardDuty access keys and users, TermAccessKey and TermIssued for
// CloudTrail identities, TermEvent for the event name, TermResource for
// the resources, and
// TermAntiForensics for anti-forensic events. Terms are unique.
func (e *Event) Terms() []string {
	var ts TermSet
	e.AddTerms(&ts)
	return ts.AppendTo(make([]string, 0, max(ts.Len(), 8)))
}

// AddTerms adds the event's Terms to ts, each once (a term ts holds
// already is not added again).
func (e *Event) AddTerms(ts *TermSet) {
	if !e.isGap() {
		ts.addIP(e.SrcIP)
		ts.addIP(e.DstIP)
		for _, s := range e.OtherIPs {
			ts.addIP(s)
		}
	}
	switch e.Source {
	case SourceCloudTrail, SourceS3Access, SourceGuardDuty:
		for _, s := range [...]string{e.Principal, e.IdentityARN, e.AccessKeyID, e.UserName, e.Issuer, e.PrincipalID} {
			if s != "" && s != "-" && s != hiddenUserName {
				ts.addLower(TermPrincipal, s)
			}
		}
	}
	if e.Source == SourceCloudTrail {
		if e.AccessKeyID != "" {
			ts.addUnique(TermAccessKey, e.AccessKeyID)
		}
		if e.IssuedAccessKey != "" {
			ts.addUnique(TermIssued, e.IssuedAccessKey)
		}
	}
	if indexNamesAndResources {
		if n := e.EventName(); n != "" {
			ts.addLower(TermEvent, n)
		}
		for _, r := range e.Resources {
			resourceTerms(r, func(t string) { ts.addUnique(t, "") })
		}
	}
	for _, a := range e.Annotations {
		if strings.HasPrefix(a, AntiForensicsPrefix) {
			ts.addUnique(TermAntiForensics, "")
			break
		}
	}
}

// TermSet collects the index terms of one event in one buffer, so that
// AppendTo makes them strings with a single allocation. The zero value is
// empty; Reset empties it for the next event and keeps its memory.
type TermSet struct {
	buf  []byte
	ends []int // where each term ends in buf
}

// Reset empties the set.
func (ts *TermSet) Reset() {
	ts.buf = ts.buf[:0]
	ts.ends = ts.ends[:0]
}

// Len is the number of terms in the set.
func (ts *TermSet) Len() int { return len(ts.ends) }

// Add adds the term made of parts, one after the other, whether or not
// the set holds it already.
func (ts *TermSet) Add(parts ...string) {
	for _, p := range parts {
		ts.buf = append(ts.buf, p...)
	}
	ts.ends = append(ts.ends, len(ts.buf))
}

// AppendTo appends the terms to dst, in the order they were added.
func (ts *TermSet) AppendTo(dst []string) []string {
	all := string(ts.buf)
	start := 0
	for _, end := range ts.ends {
		dst = append(dst, all[start:end])
		start = end
	}
	return dst
}

// start returns where the next term begins.
func (ts *TermSet) start() int {
	if n := len(ts.ends); n > 0 {
		return ts.ends[n-1]
	}
	return 0
}

// endUnique ends the term begun at start, or drops it when the set holds
// it already.
func (ts *TermSet) endUnique(start int) {
	t := ts.buf[start:]
	from := 0
	for _, end := range ts.ends {
		if bytes.Equal(ts.buf[from:end], t) {
			ts.buf = ts.buf[:start]
			return
		}
		from = end
	}
	ts.ends = append(ts.ends, len(ts.buf))
}

// addUnique adds prefix + s unless the set holds it.
func (ts *TermSet) addUnique(prefix, s string) {
	start := ts.start()
	ts.buf = append(append(ts.buf, prefix...), s...)
	ts.endUnique(start)
}

// addLower adds prefix + strings.ToLower(s) unless the set holds it.
func (ts *TermSet) addLower(prefix, s string) {
	start := ts.start()
	ts.buf = append(ts.buf, prefix...)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			ts.buf = append(ts.buf[:start+len(prefix)], strings.ToLower(s)...)
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		ts.buf = append(ts.buf, c)
	}
	ts.endUnique(start)
}

// addIP adds the TermIP term of s (see ipTerm) unless s is no IP address
// or the set holds it.
func (ts *TermSet) addIP(s string) {
	if s == "" || s == "-" {
		return
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return
	}
	start := ts.start()
	ts.buf = append(ts.buf, TermIP...)
	if a.Is4() {
		// ParseAddr takes only the canonical dotted form of IPv4 (no
		// leading zeros): s is already the address's String.
		ts.buf = append(ts.buf, s...)
	} else {
		ts.buf = a.Unmap().WithZone("").AppendTo(ts.buf)
	}
	ts.endUnique(start)
}

// EventName returns the event's action when it is a name (a CloudTrail
// eventName, an S3 access log operation, a Config change, a GuardDuty
// finding type), or "" for flow and ELB records.
func (e *Event) EventName() string {
	switch e.Source {
	case SourceVPCFlow, SourceELB:
		return ""
	}
	return e.Action
}

// lowerTerm returns prefix + strings.ToLower(s) in one allocation when s
// is ASCII (principal keys nearly always are).
func lowerTerm(prefix, s string) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(s))
	b.WriteString(prefix)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return prefix + strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isGap reports a flow record that only says nothing was logged.
func (e *Event) isGap() bool {
	if e.Source != SourceVPCFlow {
		return false
	}
	if e.Outcome == "NODATA" || e.Outcome == "SKIPDATA" {
		return true
	}
	st, _ := e.field("log-status")
	return st == "NODATA" || st == "SKIPDATA"
}

// ipTerm returns the TermIP term of s, or "" when s is no IP address.
func ipTerm(s string) string {
	if s == "" || s == "-" {
		return ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	if a.Is4() {
		// ParseAddr takes only the canonical dotted form of IPv4 (no
		// leading zeros): s is already the address's String.
		return TermIP + s
	}
	return TermIP + a.Unmap().WithZone("").String()
}

// NormalizeIP returns the form of an address used in index terms, and
// whether s is an address.
func NormalizeIP(s string) (string, bool) {
	t := ipTerm(strings.TrimSpace(s))
	if t == "" {
		return "", false
	}
	return t[len(TermIP):], true
}

// DedupKey returns the key under which repeated copies of a CloudTrail
// record collapse (its eventID), or "" for events that are never merged.
func (e *Event) DedupKey() string {
	if e.Source != SourceCloudTrail || e.EventID == "" {
		return ""
	}
	return "cloudtrail:" + e.EventID
}

// ContentHash returns the SHA-256 of the raw record as found. Copies
// AWS delivers twice are byte for byte alike; copies written differently
// (an event-history export of the same record) are recognised on a
// collision by SameRecord.
func (e *Event) ContentHash() evidence.SHA256 {
	return evidence.SHA256(sha256.Sum256(e.Raw))
}

// SameRecord reports whether two raw CloudTrail records are the same
// record whatever their layout, member order or escapes.
func SameRecord(a, b []byte) bool {
	ca, err := canonicalJSON(a)
	if err != nil {
		return false
	}
	cb, err := canonicalJSON(b)
	return err == nil && bytes.Equal(ca, cb)
}

// SameStoredRecord compares two stored events (EncodeEvent form) with
// SameRecord; it is the store's test for events sharing a dedup key.
func SameStoredRecord(a, b []byte) bool {
	ea, err := DecodeEvent(a)
	if err != nil {
		return false
	}
	eb, err := DecodeEvent(b)
	return err == nil && SameRecord(ea.Raw, eb.Raw)
}
