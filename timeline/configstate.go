package timeline

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The network configuration AWS Config records, as far as the REJECT
// hint needs it (confighint.go): a network interface's addresses, groups
// and subnet, a security group's rules, a network ACL's entries and
// subnets. Values are read from the configuration item's
// "configuration" member, in the shape Config writes it (the EC2 API's
// names, lower camel case).

// Resource types of AWS Config the REJECT hint reads.
const (
	configENI  = "AWS::EC2::NetworkInterface"
	configSG   = "AWS::EC2::SecurityGroup"
	configNACL = "AWS::EC2::NetworkAcl"
)

// configStatuses are the values of configurationItemStatus.
var configStatuses = []string{"OK", "ResourceDiscovered", "ResourceNotRecorded", "ResourceDeleted", "ResourceDeletedNotRecorded"}

// ConfigItemState is the part of a stored configuration item a reader of
// Config history needs: which resource, its status and its configuration.
type ConfigItemState struct {
	ResourceType string
	ResourceID   string
	Status       string
	// Config is the item's configuration (a JSON object); nil when the
	// item has none (deleted, not recorded).
	Config json.RawMessage
}

// Exists reports whether the item describes a resource as it was
// (not deleted, not "not recorded").
func (s *ConfigItemState) Exists() bool {
	return (s.Status == "OK" || s.Status == "ResourceDiscovered") && len(s.Config) > 0
}

// ConfigItemOf reads back the configuration item of a Config event (its
// raw record). ok is false for other events.
func ConfigItemOf(e *Event) (ConfigItemState, bool) {
	if e.Source != SourceConfig {
		return ConfigItemState{}, false
	}
	var it struct {
		ResourceType string          `json:"resourceType"`
		ResourceID   string          `json:"resourceId"`
		Status       string          `json:"configurationItemStatus"`
		Config       json.RawMessage `json:"configuration"`
	}
	if json.Unmarshal(e.Raw, &it) != nil {
		return ConfigItemState{}, false
	}
	s := ConfigItemState{ResourceType: it.ResourceType, ResourceID: it.ResourceID, Status: it.Status}
	c := bytes.TrimSpace(it.Config)
	if len(c) > 0 && c[0] == '"' {
		// Some exports (advanced queries, aggregators) give the
		// configuration as a JSON string.
		var inner string
		if json.Unmarshal(c, &inner) == nil {
			c = []byte(strings.TrimSpace(inner))
		}
	}
	if len(c) > 0 && c[0] == '{' {
		s.Config = c
	}
	return s, true
}

// cfgInt is a JSON number or a string holding one; set says a value was
// given (null and other types leave it unset).
type cfgInt struct {
	n   int64
	set bool
}

func (f *cfgInt) UnmarshalJSON(d []byte) error {
	s := strings.Trim(string(d), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = cfgInt{n: n, set: true}
	}
	return nil
}

// cfgString is a JSON string, or a number written as one.
type cfgString string

func (f *cfgString) UnmarshalJSON(d []byte) error {
	if len(d) > 0 && d[0] == '"' {
		var s string
		if json.Unmarshal(d, &s) == nil {
			*f = cfgString(s)
		}
		return nil
	}
	if _, err := strconv.ParseFloat(string(d), 64); err == nil {
		*f = cfgString(d)
	}
	return nil
}

// eniState is a network interface as Config recorded it.
type eniState struct {
	groups    []string // security group ids
	groupList string   // the ids, comma-separated
	subnet    string
	addrs     []netip.Addr
}

func parseENI(c json.RawMessage) (*eniState, bool) {
	var v struct {
		Groups []struct {
			GroupID cfgString `json:"groupId"`
		} `json:"groups"`
		SubnetID           cfgString `json:"subnetId"`
		PrivateIPAddress   cfgString `json:"privateIpAddress"`
		PrivateIPAddresses []struct {
			PrivateIPAddress cfgString `json:"privateIpAddress"`
			Association      *struct {
				PublicIP cfgString `json:"publicIp"`
			} `json:"association"`
		} `json:"privateIpAddresses"`
		Association *struct {
			PublicIP cfgString `json:"publicIp"`
		} `json:"association"`
		IPv6Addresses []struct {
			IPv6Address cfgString `json:"ipv6Address"`
		} `json:"ipv6Addresses"`
	}
	if json.Unmarshal(c, &v) != nil {
		return nil, false
	}
	s := &eniState{subnet: string(v.SubnetID)}
	for _, g := range v.Groups {
		if id := strings.TrimSpace(string(g.GroupID)); id != "" && !slices.Contains(s.groups, id) {
			s.groups = append(s.groups, id)
		}
	}
	s.groupList = strings.Join(s.groups, ", ")
	add := func(a cfgString) {
		if ip, err := netip.ParseAddr(strings.TrimSpace(string(a))); err == nil {
			ip = ip.Unmap().WithZone("")
			if !slices.Contains(s.addrs, ip) {
				s.addrs = append(s.addrs, ip)
			}
		}
	}
	add(v.PrivateIPAddress)
	for _, p := range v.PrivateIPAddresses {
		add(p.PrivateIPAddress)
		if p.Association != nil {
			add(p.Association.PublicIP)
		}
	}
	if v.Association != nil {
		add(v.Association.PublicIP)
	}
	for _, a := range v.IPv6Addresses {
		add(a.IPv6Address)
	}
	return s, len(s.groups) > 0 || s.subnet != "" || len(s.addrs) > 0
}

// has reports whether a is one of the interface's addresses.
func (s *eniState) has(a netip.Addr) bool { return slices.Contains(s.addrs, a) }

// Protocol numbers the rules use; protoAll is AWS's "-1".
const (
	protoAll    = -1
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// protoNumber reads a protocol as AWS writes it in rules and flow logs:
// a number, "-1" or "all", or a name.
func protoNumber(s string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "-1", "all":
		return protoAll, true
	case "tcp":
		return protoTCP, true
	case "udp":
		return protoUDP, true
	case "icmp":
		return protoICMP, true
	case "icmpv6", "ipv6-icmp":
		return protoICMPv6, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return n, true
}

// hasPorts reports a protocol whose rules name port ranges.
func hasPorts(proto int) bool { return proto == protoTCP || proto == protoUDP }

// isICMP reports a protocol whose rules name ICMP types.
func isICMP(proto int) bool { return proto == protoICMP || proto == protoICMPv6 }

// match is whether a rule applies to a packet: it does, it does not, or
// what Config recorded cannot tell.
type match int

const (
	noMatch match = iota
	matches
	mayMatch
)

// sgRule is one entry of ipPermissions or ipPermissionsEgress.
type sgRule struct {
	proto    int
	from, to int64 // ports (tcp, udp) or ICMP type and code; -1 for all
	prefixes []netip.Prefix
	// groupRefs and prefixLists: the rule also allows members of other
	// security groups or managed prefix lists, which Config's record of
	// this group does not resolve to addresses.
	groupRefs, prefixLists bool
	bad                    bool // a protocol that could not be read
}

// sgState is a security group as Config recorded it.
type sgState struct {
	in, out []sgRule
}

type configRange struct {
	CidrIP   cfgString `json:"cidrIp"`
	CidrIPv6 cfgString `json:"cidrIpv6"`
}

type configPermission struct {
	IPProtocol       cfgString         `json:"ipProtocol"`
	FromPort         cfgInt            `json:"fromPort"`
	ToPort           cfgInt            `json:"toPort"`
	IPRanges         []json.RawMessage `json:"ipRanges"` // strings in Config, objects in the EC2 API
	IPv4Ranges       []configRange     `json:"ipv4Ranges"`
	IPv6Ranges       []configRange     `json:"ipv6Ranges"`
	UserIDGroupPairs []json.RawMessage `json:"userIdGroupPairs"`
	PrefixListIDs    []json.RawMessage `json:"prefixListIds"`
}

func parseSG(c json.RawMessage) (*sgState, bool) {
	var v struct {
		In  []configPermission `json:"ipPermissions"`
		Out []configPermission `json:"ipPermissionsEgress"`
	}
	if json.Unmarshal(c, &v) != nil {
		return nil, false
	}
	return &sgState{in: sgRules(v.In), out: sgRules(v.Out)}, true
}

func sgRules(ps []configPermission) []sgRule {
	out := make([]sgRule, 0, len(ps))
	for _, p := range ps {
		r := sgRule{from: -1, to: -1}
		proto, ok := protoNumber(string(p.IPProtocol))
		r.proto, r.bad = proto, !ok
		if p.FromPort.set {
			r.from = p.FromPort.n
		}
		if p.ToPort.set {
			r.to = p.ToPort.n
		}
		addPrefix := func(s cfgString) {
			if pf, ok := parsePrefix(string(s)); ok && !slices.Contains(r.prefixes, pf) {
				r.prefixes = append(r.prefixes, pf)
			}
		}
		for _, raw := range p.IPRanges {
			var s cfgString
			if json.Unmarshal(raw, &s) == nil && s != "" {
				addPrefix(s)
				continue
			}
			var o configRange
			if json.Unmarshal(raw, &o) == nil {
				addPrefix(o.CidrIP)
			}
		}
		for _, o := range p.IPv4Ranges {
			addPrefix(o.CidrIP)
		}
		for _, o := range p.IPv6Ranges {
			addPrefix(o.CidrIPv6)
		}
		r.groupRefs = len(p.UserIDGroupPairs) > 0
		r.prefixLists = len(p.PrefixListIDs) > 0
		out = append(out, r)
	}
	return out
}

// parsePrefix reads a CIDR block (or a bare address).
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// portMatch says whether a rule's protocol and port (or ICMP type) range
// covers a packet's protocol and destination port. Flow records do not
// log ICMP types, so a rule for one ICMP type may or may not apply.
func portMatch(ruleProto int, bad bool, from, to int64, proto, port int) match {
	switch {
	case bad:
		return mayMatch
	case ruleProto == protoAll:
		return matches
	case ruleProto != proto:
		return noMatch
	case hasPorts(proto):
		if from < 0 || to < 0 || from <= int64(port) && int64(port) <= to {
			return matches
		}
		return noMatch
	case isICMP(proto):
		if from < 0 {
			return matches
		}
		return mayMatch
	}
	return matches
}

// allows says whether the rule allows a packet to or from remote.
func (r *sgRule) allows(remote netip.Addr, proto, port int) match {
	m := portMatch(r.proto, r.bad, r.from, r.to, proto, port)
	if m == noMatch {
		return noMatch
	}
	for _, p := range r.prefixes {
		if p.Contains(remote) {
			return m
		}
	}
	// Group references reach only addresses inside the VPC (or a peered
	// one): never a public address.
	if r.prefixLists || r.groupRefs && !isPublic(remote) {
		return mayMatch
	}
	return noMatch
}

// isPublic reports a global unicast address outside the private ranges.
func isPublic(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate() && !sharedAddressSpace.Contains(a)
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, used inside
// VPCs too.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// naclEntry is one rule of a network ACL.
type naclEntry struct {
	num      int64
	egress   bool
	allow    bool
	proto    int
	bad      bool
	from, to int64 // port range or ICMP type; -1 for all
	prefix   netip.Prefix
}

// naclState is a network ACL as Config recorded it.
type naclState struct {
	id      string
	subnets []string
	entries []naclEntry // by rule number
}

func parseNACL(c json.RawMessage) (*naclState, bool) {
	var v struct {
		ID           cfgString `json:"networkAclId"`
		Associations []struct {
			SubnetID cfgString `json:"subnetId"`
		} `json:"associations"`
		Entries []struct {
			RuleNumber    cfgInt    `json:"ruleNumber"`
			Protocol      cfgString `json:"protocol"`
			RuleAction    cfgString `json:"ruleAction"`
			Egress        bool      `json:"egress"`
			CidrBlock     cfgString `json:"cidrBlock"`
			IPv6CidrBlock cfgString `json:"ipv6CidrBlock"`
			PortRange     *struct {
				From cfgInt `json:"from"`
				To   cfgInt `json:"to"`
			} `json:"portRange"`
			ICMPTypeCode *struct {
				Type cfgInt `json:"type"`
			} `json:"icmpTypeCode"`
		} `json:"entries"`
	}
	if json.Unmarshal(c, &v) != nil {
		return nil, false
	}
	s := &naclState{id: string(v.ID)}
	for _, a := range v.Associations {
		if id := strings.TrimSpace(string(a.SubnetID)); id != "" && !slices.Contains(s.subnets, id) {
			s.subnets = append(s.subnets, id)
		}
	}
	for _, e := range v.Entries {
		if !e.RuleNumber.set {
			continue
		}
		n := naclEntry{num: e.RuleNumber.n, egress: e.Egress, from: -1, to: -1}
		n.allow = strings.EqualFold(string(e.RuleAction), "allow")
		if !n.allow && !strings.EqualFold(string(e.RuleAction), "deny") {
			continue
		}
		proto, ok := protoNumber(string(e.Protocol))
		n.proto, n.bad = proto, !ok
		pf, ok := parsePrefix(string(e.CidrBlock))
		if !ok {
			if pf, ok = parsePrefix(string(e.IPv6CidrBlock)); !ok {
				continue
			}
		}
		n.prefix = pf
		switch {
		case hasPorts(proto) && e.PortRange != nil && e.PortRange.From.set && e.PortRange.To.set:
			n.from, n.to = e.PortRange.From.n, e.PortRange.To.n
		case isICMP(proto) && e.ICMPTypeCode != nil && e.ICMPTypeCode.Type.set:
			n.from = e.ICMPTypeCode.Type.n
		}
		s.entries = append(s.entries, n)
	}
	slices.SortStableFunc(s.entries, func(a, b naclEntry) int {
		switch {
		case a.num < b.num:
			return -1
		case a.num > b.num:
			return 1
		}
		return 0
	})
	return s, s.id != ""
}

// naclDefaultRule is the number Config gives the default ("*") rule.
const naclDefaultRule = 32767

// verdict is what a network ACL does with a packet: the entry that
// decides (nil for the implicit default rule), whether it is allowed,
// and known=false when an entry Config recorded may or may not apply
// before one that does.
type verdict struct {
	entry *naclEntry
	allow bool
	known bool
}

// evaluate walks the entries of one direction in rule-number order; the
// first that applies decides, and without one the default rule denies.
func (s *naclState) evaluate(egress bool, remote netip.Addr, proto, port int) verdict {
	for i := range s.entries {
		e := &s.entries[i]
		if e.egress != egress || !e.prefix.Contains(remote) {
			continue
		}
		switch portMatch(e.proto, e.bad, e.from, e.to, proto, port) {
		case matches:
			return verdict{entry: e, allow: e.allow, known: true}
		case mayMatch:
			return verdict{}
		}
	}
	return verdict{known: true}
}
