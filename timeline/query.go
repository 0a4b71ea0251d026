package timeline

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/store"
)

// EventSource is the part of the case store a timeline query reads: index
// ranges by term and by time (store.Store implements it).
type EventSource interface {
	EventsByTerm(term string, from, to time.Time, fn func(store.StoredEvent) error) error
	// EventsByTerms merges several ranges: each event once, in time
	// order, with the indexes of the ranges that select it. An event's
	// Data is never changed by the source: fn may keep it (a query's
	// events keep their raw text in it) but not change it.
	EventsByTerms(rs []store.TermRange, fn func(store.StoredEvent, []int) error) error
	EventsByTime(from, to time.Time, fn func(store.StoredEvent) error) error
}

// Query says which events a timeline shows. At most one of IP, Principal
// and All is set; without one, a selector (Events, Resource, UserAgent,
// Outcome) is. Selectors combine with each other and with IP or
// Principal: an event must match all of them.
type Query struct {
	// IP selects every event where the address is the source, the
	// destination or another address of the record; a CIDR range
	// ("10.0.0.0/8", "2001:db8::/32") selects those of every address in it.
	IP string
	// Principal selects a user or role ARN, a user name, an access key id
	// or an assumed-role session ARN, the credentials it obtained, and the
	// network events of the addresses it used.
	Principal string
	// All selects every event.
	All bool
	// From and To bound event times to [From, To); zero is unbounded. For
	// a principal's network events, unset bounds default to the time the
	// principal used each address, widened by NetworkMargin.
	From, To time.Time
	// Sources keeps only events of these sources (SourceCloudTrail,
	// SourceVPCFlow, SourceELB); empty keeps all.
	Sources []string
	// NetworkMargin widens a principal's use of an address (default
	// DefaultNetworkMargin).
	NetworkMargin time.Duration

	// Events selects events by name (Event.EventName): names or globs
	// ("Delete*"), case-insensitive.
	Events []string
	// Resource selects events acting on a resource: an ARN, a name or id,
	// or a prefix of either, case-insensitive.
	Resource string
	// UserAgent keeps events whose user agent contains the text
	// (case-insensitive).
	UserAgent string
	// Outcome keeps events that succeeded (OutcomeSuccess) or failed
	// (OutcomeError); see OutcomeOf.
	Outcome string

	// pterms are the principal's index terms (Prepare fills them in).
	pterms []string
	// resource is Resource as lowerTerm lowers it (keep fills it in).
	resource string
}

// DefaultNetworkMargin is how far before its first and after its last use
// of an address a principal's network events are shown.
const DefaultNetworkMargin = time.Hour

// Limits that keep a principal query bounded.
const (
	// MaxCredentials is how many issued access keys a principal query follows.
	MaxCredentials = 10000
	// MaxAddresses is how many source addresses of a principal get their
	// network events included.
	MaxAddresses = 1000
)

// ErrBadQuery marks a query that cannot be run as given.
var ErrBadQuery = errors.New("bad timeline query")

// Sources lists the source names a query may filter on.
var Sources = []string{SourceCloudTrail, SourceVPCFlow, SourceELB, SourceS3Access, SourceConfig, SourceGuardDuty}

// ParseSources reads a comma-separated list of sources ("cloudtrail,elb").
func ParseSources(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		ok := false
		for _, k := range Sources {
			if f == k {
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("%w: unknown source %q (want %s)", ErrBadQuery, f, strings.Join(Sources, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// Validate checks that the query can run.
func (q *Query) Validate() error {
	n := 0
	if q.IP != "" {
		n++
	}
	if strings.TrimSpace(q.Principal) != "" {
		n++
	}
	if q.All {
		n++
	}
	if n > 1 || n == 0 && !q.hasSelector() {
		return fmt.Errorf("%w: give exactly one of an IP address, a principal or all (or select by event, resource, user agent or outcome)", ErrBadQuery)
	}
	if err := q.validateSelectors(); err != nil {
		return err
	}
	if q.IP != "" && !strings.Contains(q.IP, "/") {
		if _, ok := NormalizeIP(q.IP); !ok {
			return fmt.Errorf("%w: %q is not an IP address", ErrBadQuery, q.IP)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return fmt.Errorf("%w: from %s is not before to %s", ErrBadQuery, q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339))
	}
	if q.NetworkMargin < 0 {
		return fmt.Errorf("%w: negative network margin", ErrBadQuery)
	}
	for _, s := range q.Sources {
		if _, err := ParseSources(s); err != nil {
			return err
		}
	}
	return nil
}

// wantSource reports whether the query keeps events of source s.
func (q *Query) wantSource(s string) bool {
	if len(q.Sources) == 0 {
		return true
	}
	for _, k := range q.Sources {
		if k == s {
			return true
		}
	}
	return false
}

// principalTerms returns the index terms of the principal: as prepared
// (with its aliases), or as given.
func (q *Query) principalTerms() []string {
	if len(q.pterms) > 0 {
		return q.pterms
	}
	return []string{lowerTerm(TermPrincipal, strings.TrimSpace(q.Principal))}
}

// Match is one event of a timeline and why it is in it.
type Match struct {
	Event *Event
	// Why says why the event was selected ("own event", "via AssumeRole
	// by …", "network: IP … used by principal"); empty for All.
	Why []string
	// Findings are the titles of the rules the event matched, when the
	// caller ran them (see timeline/findings.Annotator).
	Findings []string
}

// Count is a value and how many events carry it.
type Count struct {
	Value string `json:"value"`
	N     int    `json:"count"`
}

// Summary describes the events a timeline query produced.
type Summary struct {
	Events   int            `json:"events"`
	BySource map[string]int `json:"by_source"`
	First    time.Time      `json:"first,omitzero"`
	Last     time.Time      `json:"last,omitzero"`
	// Principals are the CloudTrail principals of the events, most
	// frequent first: for an IP query, who acted from that address.
	Principals []Count `json:"principals"`
	// IPs are the addresses seen as source or destination, most frequent
	// first.
	IPs []Count `json:"ips"`
	// OtherPrincipals and OtherIPs count the values not listed (past
	// the tracking limit, events rather than values are counted).
	OtherPrincipals int `json:"other_principals,omitempty"`
	OtherIPs        int `json:"other_ips,omitempty"`
	// AntiForensics counts events annotated as anti-forensic.
	AntiForensics int `json:"anti_forensics"`
	// NACLHints counts flow records annotated with the network ACL hint.
	NACLHints int `json:"nacl_hints"`
	// ConfigHints counts REJECTed flow records the case's AWS Config
	// history explains (annotations starting with ConfigHintPrefix).
	ConfigHints int `json:"config_hints"`
	// Undecodable counts stored events that could not be read back.
	Undecodable int `json:"undecodable,omitempty"`
	// Resolution is how a principal query was resolved; nil otherwise.
	Resolution *Resolution `json:"resolution,omitempty"`
	// Unknown is set when the IP address or principal asked for is not
	// in the case.
	Unknown *Unknown `json:"unknown,omitempty"`
}

// Resolution is what a principal query found before reading the events:
// the credentials the principal obtained and the addresses it used.
type Resolution struct {
	Principal   string       `json:"principal"`
	Credentials []Credential `json:"credentials"`
	IPs         []IPUse      `json:"ips"`
	// First and Last bound the principal's own and delegated CloudTrail
	// events (its active window).
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// Truncated is set when MaxCredentials or MaxAddresses was reached.
	Truncated bool `json:"truncated,omitempty"`
}

// Credential is an access key the principal obtained, directly or through
// credentials it had obtained before (role chaining).
type Credential struct {
	AccessKey string    `json:"access_key"`
	Session   string    `json:"session,omitempty"` // issued session ARN
	How       string    `json:"how"`               // AssumeRole, GetSessionToken, …
	By        string    `json:"by"`                // principal that made the call
	With      string    `json:"with,omitempty"`    // access key the call was made with
	At        time.Time `json:"at"`
	Evidence  uint64    `json:"evidence"`
	Record    int64     `json:"record"`
	Depth     int       `json:"depth"` // 1 = obtained by the principal itself
	// Why is the reason given for events made with this key.
	Why string `json:"why"`
}

// IPUse is an address the principal's CloudTrail events came from.
type IPUse struct {
	IP     string    `json:"ip"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Events int       `json:"events"`
}
