package timeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

func TestVPCFlow(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		events int
		warns  int
		check  func(t *testing.T, r result)
	}{
		{"custom order and unknown field",
			"srcaddr dstaddr start action log-status my-new-field\n198.51.100.1 10.0.0.5 1700000000 REJECT OK hello\n", 1, 0,
			func(t *testing.T, r result) {
				e := r.events[0]
				eq(t, "src", e.SrcIP, "198.51.100.1")
				eq(t, "unknown field kept", e.Fields["my-new-field"], "hello")
				eqTime(t, "time", e.Time, "2023-11-14T22:13:20Z")
				eq(t, "outcome", e.Outcome, "REJECT")
				eq(t, "record", e.Record, int64(2))
				if !json_valid(e.Raw) || string(e.Raw) != `"198.51.100.1 10.0.0.5 1700000000 REJECT OK hello"` {
					t.Errorf("raw = %s", e.Raw)
				}
			}},
		{"header change mid-file",
			"srcaddr dstaddr\n10.0.0.1 10.0.0.2\ndstaddr srcaddr\n10.0.0.1 10.0.0.2\n", 2, 0,
			func(t *testing.T, r result) {
				eq(t, "second src", r.events[1].SrcIP, "10.0.0.2")
			}},
		{"row does not match header",
			"version srcaddr dstaddr\n2 10.0.0.1\n2 10.0.0.1 10.0.0.2\n", 1, 1,
			func(t *testing.T, r result) {
				if !strings.Contains(r.warns[0].Message, `"flow.log" line 2: 2 fields, the header names 3`) {
					t.Errorf("warning %q", r.warns[0].Message)
				}
			}},
		{"headerless unknown width", "2 123 eni-1 10.0.0.1\n", 0, 1, nil},
		{"mapped v6 unmapped in terms",
			"2 123456789012 eni-1 ::ffff:10.1.2.3 10.0.0.2 1 2 17 1 100 1700000000 1700000060 ACCEPT OK\n", 1, 0,
			func(t *testing.T, r result) {
				terms := r.events[0].Terms()
				eq(t, "terms", strings.Join(terms, " "), "ip:10.1.2.3 ip:10.0.0.2")
				eq(t, "udp", r.events[0].Protocol, "udp")
			}},
		{"bad values kept with warnings",
			"2 1 eni-1 10.0.0.999 10.0.0.2 x 99999 6 1 1 soon 1700000060 ACCEPT OK\n", 1, 4,
			func(t *testing.T, r result) {
				e := r.events[0]
				eq(t, "src text", e.SrcIP, "10.0.0.999")
				eq(t, "no time", e.Time.IsZero(), true)
				eq(t, "terms", strings.Join(e.Terms(), " "), "ip:10.0.0.2")
			}},
		{"transit gateway",
			"version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route\n" +
				"6 TransitGateway 111 tgw-1 tgw-attach-1 222 333 10.1.0.1 10.2.0.1 4000 443 6 10 900 1700000000 1700000060 OK IPv4 0\n", 1, 0,
			func(t *testing.T, r result) {
				e := r.events[0]
				eq(t, "kind", e.Kind, evidence.KindVPCFlow)
				eq(t, "tgw-id", e.Fields["tgw-id"], "tgw-1")
				eq(t, "no action", e.Action, "")
				eq(t, "outcome", e.Outcome, "OK")
				eq(t, "dst", e.DstIP, "10.2.0.1")
			}},
		{"comment lines", "# a comment\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK #inline\n", 0, 2, nil},
		{"NUL bytes", "2 1 eni-1 10.0.0.1\x00 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n", 1, 1,
			func(t *testing.T, r result) {
				if !json_valid(r.events[0].Raw) {
					t.Errorf("raw %q not JSON", r.events[0].Raw)
				}
			}},
		{"overlong line", "2 1 eni-1 " + strings.Repeat("9", 2*MaxLineBytes) + "\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n", 1, 1,
			func(t *testing.T, r result) {
				eq(t, "record of the good line", r.events[0].Record, int64(2))
			}},
		{"CRLF and blank lines", "\r\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\r\n\r\n", 1, 0,
			func(t *testing.T, r result) {
				eq(t, "log-status", r.events[0].Fields["log-status"], "OK")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseBytes(t, evidence.KindVPCFlow, "flow.log", []byte(tt.in))
			if r.err != nil {
				t.Fatal(r.err)
			}
			if len(r.events) != tt.events || len(r.warns) != tt.warns {
				t.Fatalf("%d events, %d warnings; want %d, %d\n%s", len(r.events), len(r.warns), tt.events, tt.warns, r.warnText())
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestFlowDirectionHint(t *testing.T) {
	tests := []struct {
		name       string
		proto      string
		sport, dst int
		flags      string
		want       FlowDirection
	}{
		{"syn", "tcp", 40000, 22, "2", FlowInitiator},
		{"syn-ack", "tcp", 22, 40000, "18", FlowReply},
		{"syn-ack fin", "tcp", 22, 40000, "19", FlowReply},
		{"to ssh", "tcp", 40000, 22, "", FlowInitiator},
		{"from ssh", "tcp", 22, 40000, "", FlowReply},
		{"to app port", "tcp", 43416, 5001, "", FlowInitiator},
		{"both high", "udp", 40000, 50000, "", FlowUnknown},
		{"icmp", "icmp", 0, 0, "", FlowUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Event{Source: SourceVPCFlow, Protocol: tt.proto, SrcPort: tt.sport, DstPort: tt.dst, Fields: map[string]string{}}
			if tt.flags != "" {
				e.Fields["tcp-flags"] = tt.flags
			}
			eq(t, "direction", FlowDirectionHint(e), tt.want)
		})
	}
	if FlowDirectionHint(&Event{Source: SourceELB}) != FlowUnknown {
		t.Error("ELB event has a flow direction")
	}
}

func TestHeaderDetection(t *testing.T) {
	yes := []string{"version account-id interface-id", "srcaddr dstaddr pkt-srcaddr", "tgw-id srcaddr custom-new-thing"}
	no := []string{"2 123 eni-1", "i-0123 eni-1", "ACCEPT OK", "srcaddr 10.0.0.1", "made up words"}
	for _, s := range yes {
		if !isFlowHeader(strings.Fields(s)) {
			t.Errorf("%q not a header", s)
		}
	}
	for _, s := range no {
		if isFlowHeader(strings.Fields(s)) {
			t.Errorf("%q is a header", s)
		}
	}
	if !slices.Contains(flowFieldOrder, "reject-reason") || len(flowFieldOrder) != 40 {
		t.Errorf("flow field order has %d fields", len(flowFieldOrder))
	}
}
