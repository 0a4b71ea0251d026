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
	terms := make([]string, 0, 8)
	add := func(t string) {
		for _, have := range terms {
			if have == t {
				return
			}
		}
		terms = append(terms, t)
	}
	if !e.isGap() {
		for _, s := range [2]string{e.SrcIP, e.DstIP} {
			if t := ipTerm(s); t != "" {
				add(t)
			}
		}
		for _, s := range e.OtherIPs {
			if t := ipTerm(s); t != "" {
				add(t)
			}
		}
	}
	switch e.Source {
	case SourceCloudTrail, SourceS3Access, SourceGuardDuty:
		for _, s := range []string{e.Principal, e.IdentityARN, e.AccessKeyID, e.UserName, e.Issuer, e.PrincipalID} {
			if s != "" && s != "-" && s != hiddenUserName {
				add(lowerTerm(TermPrincipal, s))
			}
		}
	}
	if e.Source == SourceCloudTrail {
		if e.AccessKeyID != "" {
			add(TermAccessKey + e.AccessKeyID)
		}
		if e.IssuedAccessKey != "" {
			add(TermIssued + e.IssuedAccessKey)
		}
	}
	if indexNamesAndResources {
		if n := e.EventName(); n != "" {
			add(lowerTerm(TermEvent, n))
		}
		for _, r := range e.Resources {
			resourceTerms(r, add)
		}
	}
	for _, a := range e.Annotations {
		if strings.HasPrefix(a, AntiForensicsPrefix) {
			add(TermAntiForensics)
			break
		}
	}
	return terms
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
