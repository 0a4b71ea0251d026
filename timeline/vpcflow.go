package timeline

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// flowFieldOrder lists the VPC flow log fields in the order AWS numbers
// them (v2, v3, v4, v5, v7, v8). A headerless line with exactly the fields
// of one version is read in this order.
var flowFieldOrder = []string{
	// v2 (the default format)
	"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
	"protocol", "packets", "bytes", "start", "end", "action", "log-status",
	// v3
	"vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
	// v4
	"region", "az-id", "sublocation-type", "sublocation-id",
	// v5
	"pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
	// v7
	"ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
	"ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
	"ecs-task-arn", "ecs-task-id",
	// v8
	"reject-reason",
}

// headerlessCounts are the field counts of a headerless line that match a
// whole version of flowFieldOrder.
var headerlessCounts = map[int]bool{14: true, 21: true, 25: true, 29: true, 39: true, 40: true}

// flowKnownFields are the field names that mark a line as a header.
var flowKnownFields = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range flowFieldOrder {
		m[f] = true
	}
	for _, f := range []string{
		"resource-id", "encryption-status",
		// transit gateway flow logs
		"resource-type", "tgw-id", "tgw-attachment-id", "tgw-src-vpc-account-id",
		"tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id", "tgw-src-subnet-id",
		"tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id", "tgw-dst-az-id",
		"tgw-pair-attachment-id", "packets-lost-no-route", "packets-lost-blackhole",
		"packets-lost-mtu-exceeded", "packets-lost-ttl-expired",
	} {
		m[f] = true
	}
	return m
}()

// flowLayout maps the columns of a flow log to the event's fields.
type flowLayout struct {
	names                                         []string
	unique                                        bool // no name twice
	src, dst, sport, dport, proto, packets, bytes int
	start, end, action, status, account, region   int
	psrc, pdst                                    int
}

func newFlowLayout(names []string) *flowLayout {
	l := &flowLayout{names: names, unique: true}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			l.unique = false
		}
		seen[n] = true
	}
	for _, p := range []*int{&l.src, &l.dst, &l.sport, &l.dport, &l.proto, &l.packets, &l.bytes,
		&l.start, &l.end, &l.action, &l.status, &l.account, &l.region, &l.psrc, &l.pdst} {
		*p = -1
	}
	for i, n := range names {
		switch n {
		case "srcaddr":
			l.src = i
		case "dstaddr":
			l.dst = i
		case "srcport":
			l.sport = i
		case "dstport":
			l.dport = i
		case "protocol":
			l.proto = i
		case "packets":
			l.packets = i
		case "bytes":
			l.bytes = i
		case "start":
			l.start = i
		case "end":
			l.end = i
		case "action":
			l.action = i
		case "log-status":
			l.status = i
		case "account-id":
			l.account = i
		case "region":
			l.region = i
		case "pkt-srcaddr":
			l.psrc = i
		case "pkt-dstaddr":
			l.pdst = i
		}
	}
	return l
}

var headerlessLayouts = func() map[int]*flowLayout {
	m := map[int]*flowLayout{}
	for n := range headerlessCounts {
		m[n] = newFlowLayout(flowFieldOrder[:n])
	}
	return m
}()

// isFlowHeader reports whether tokens name flow log fields: each looks
// like a field name and at least one is known.
func isFlowHeader(tokens []string) bool {
	known := false
	for _, t := range tokens {
		if t == "" || t[0] < 'a' || t[0] > 'z' {
			return false
		}
		for i := 1; i < len(t); i++ {
			c := t[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
		if flowKnownFields[t] {
			known = true
		}
	}
	return known
}

// splitFields splits s on runs of spaces and tabs, reusing dst.
func splitFields(dst []string, s string) []string {
	dst = dst[:0]
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		dst = append(dst, s[i:j])
		i = j
	}
	return dst
}

// vpcFlow reads a text flow log: header-driven, or the default format when
// there is no header.
func (p *parser) vpcFlow(r io.Reader) error {
	var layout *flowLayout
	var tokens []string
	var header string
	var custom *flowLayout
	if names, err := ParseFlowFormat(p.opts.FlowFormat); err == nil {
		custom = newFlowLayout(names)
	}
	region := flowKeyRegion(p.opts.Name)
	return p.eachLine(r, func(n int64, b []byte) error {
		line := string(b)
		tokens = splitFields(tokens, line)
		if len(tokens) == 0 {
			return nil
		}
		if hasComment(tokens) {
			p.warnf(n, "line", "contains a comment (#): skipped")
			return nil
		}
		if isFlowHeader(tokens) {
			if line != header {
				header = line
				layout = newFlowLayout(append([]string(nil), tokens...))
			}
			return nil
		}
		l := layout
		if l == nil && custom != nil && len(tokens) == len(custom.names) {
			l = custom
		}
		if l == nil {
			l = headerlessLayouts[len(tokens)]
			if l == nil {
				p.warnf(n, "line", "%d fields and no header line: not a known flow log format: skipped", len(tokens))
				return nil
			}
		} else if len(tokens) != len(l.names) {
			p.warnf(n, "line", "%d fields, the header names %d: skipped", len(tokens), len(l.names))
			return nil
		}
		e := p.flowEvent(l, tokens, n)
		if e.Region == "" {
			e.Region = region
		}
		e.Raw = p.rawText(b)
		return p.send(e)
	})
}

// flowKeyRegion returns the region in a flow log's S3 key
// (…/vpcflowlogs/<region>/… or …/aws-region=<region>/…), or "".
func flowKeyRegion(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.Index(name, "/vpcflowlogs/"); i >= 0 {
		rest := name[i+len("/vpcflowlogs/"):]
		if j := strings.IndexByte(rest, '/'); j > 0 {
			return rest[:j]
		}
	}
	if i := strings.Index(name, "aws-region="); i >= 0 {
		rest := name[i+len("aws-region="):]
		if j := strings.IndexByte(rest, '/'); j > 0 {
			return rest[:j]
		}
	}
	return ""
}

func hasComment(tokens []string) bool {
	for _, t := range tokens {
		if t[0] == '#' {
			return true
		}
	}
	return false
}

// flowEvent builds the event of one flow record from its values.
func (p *parser) flowEvent(l *flowLayout, vals []string, rec int64) *Event {
	e := p.event()
	e.Source, e.Kind, e.Record = SourceVPCFlow, evidence.KindVPCFlow, rec
	if l.unique {
		e.fieldNames, e.fieldValues = l.names, p.values(vals)
	}
	if !l.unique || !p.opts.NoFieldMap {
		e.Fields = make(map[string]string, len(vals))
		for i, v := range vals {
			e.Fields[l.names[i]] = v
		}
	}
	flowNormal(e, l, vals, p, rec)
	return e
}

// flowNormal sets the normalised fields of a flow record's event from
// its values, vals, named by l: account, region, addresses, action and
// outcome, ports, protocol, counts and times. What does not read is told
// to p (when not nil) as a warning about record rec and left unset.
//
// A stored event of version 4 is read back through this function (see
// codec_line.go): what it makes of a line is part of the stored form.
func flowNormal(e *Event, l *flowLayout, vals []string, p *parser, rec int64) {
	get := func(i int) string {
		if i < 0 {
			return ""
		}
		return dash(vals[i])
	}
	warnf := func(format string, args ...any) {
		if p != nil {
			p.warnf(rec, "line", format, args...)
		}
	}
	e.Account, e.Region = get(l.account), get(l.region)
	e.SrcIP, e.DstIP, e.Action = get(l.src), get(l.dst), get(l.action)
	status := get(l.status)
	switch {
	case status == "NODATA" || status == "SKIPDATA":
		e.Outcome = status
	case e.Action != "":
		e.Outcome = e.Action
	default:
		e.Outcome = status
	}
	gap := status == "NODATA" || status == "SKIPDATA"
	for _, a := range [2]string{e.SrcIP, e.DstIP} {
		if p != nil && a != "" && !gap && !isIP(a) {
			warnf("address %s is not an IP address: kept as text", quoteShort(a))
		}
	}
	for _, i := range [2]int{l.psrc, l.pdst} {
		if a := get(i); a != "" && a != e.SrcIP && a != e.DstIP {
			e.OtherIPs = append(e.OtherIPs, a)
		}
	}
	if v := get(l.sport); v != "" {
		if n, ok := parsePort(v); ok {
			e.SrcPort = n
		} else {
			warnf("srcport %s is not a port", quoteShort(v))
		}
	}
	if v := get(l.dport); v != "" {
		if n, ok := parsePort(v); ok {
			e.DstPort = n
		} else {
			warnf("dstport %s is not a port", quoteShort(v))
		}
	}
	if v := get(l.proto); v != "" {
		e.Protocol = protocolName(v)
	}
	if v := get(l.packets); v != "" {
		e.Packets, _ = atoi(v)
	}
	if v := get(l.bytes); v != "" {
		e.Bytes, _ = atoi(v)
	}
	if v := get(l.start); v != "" {
		if t, ok := unixTime(v); !ok {
			warnf("start %s is not a Unix time: event kept without a time", quoteShort(v))
		} else if eventTime(t) {
			e.Time = t
		} else {
			warnf(timeRangeWarning, "start", t.Format(time.RFC3339Nano))
		}
	}
	if v := get(l.end); v != "" {
		if t, ok := unixTime(v); !ok {
			warnf("end %s is not a Unix time", quoteShort(v))
		} else if eventTime(t) {
			e.End = t
		} else {
			warnf(timeRangeWarning, "end", t.Format(time.RFC3339Nano))
		}
	}
}

// maxUnixTime is the last second of year 9999: later times cannot be
// written as RFC 3339.
const maxUnixTime = 253402300799

// unixTime reads Unix seconds.
func unixTime(v string) (time.Time, bool) {
	n, ok := atoi(v)
	if !ok || n > maxUnixTime {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// protocolName names the common IANA protocol numbers.
func protocolName(v string) string {
	switch v {
	case "1":
		return "icmp"
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "47":
		return "gre"
	case "50":
		return "esp"
	case "58":
		return "icmpv6"
	}
	return v
}

// FlowDirection says which side of a connection a flow record shows.
type FlowDirection int

// Flow directions.
const (
	FlowUnknown   FlowDirection = iota
	FlowInitiator               // from the side that opened the connection
	FlowReply                   // the reply direction
)

// ephemeralPortStart is where client (ephemeral) ports usually begin.
const ephemeralPortStart = 32768

// FlowDirectionHint guesses whether a flow record is the initiating or the
// reply direction of a connection: from TCP flags (SYN alone: initiator;
// SYN-ACK: reply) when logged, else from the ports (a well-known or
// service port on the destination side means the initiator). The guess is
// what lets a REJECT on the reply direction point to a network ACL.
func FlowDirectionHint(e *Event) FlowDirection {
	if e.Source != SourceVPCFlow || e.isGap() {
		return FlowUnknown
	}
	if f, ok := e.field("tcp-flags"); ok {
		if n, err := strconv.Atoi(f); err == nil {
			switch {
			case n&18 == 18:
				return FlowReply
			case n&2 == 2:
				return FlowInitiator
			}
		}
	}
	if e.Protocol != "tcp" && e.Protocol != "udp" {
		return FlowUnknown
	}
	s, d := e.SrcPort, e.DstPort
	switch {
	case s == 0 || d == 0:
		return FlowUnknown
	case d < 1024 && s >= 1024, d < ephemeralPortStart && s >= ephemeralPortStart:
		return FlowInitiator
	case s < 1024 && d >= 1024, s < ephemeralPortStart && d >= ephemeralPortStart:
		return FlowReply
	}
	return FlowUnknown
}
