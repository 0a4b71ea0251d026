package timeline

import (
	"encoding/json"
	"net/netip"
	"testing"
)

func TestSecurityGroupRules(t *testing.T) {
	sg, ok := parseSG(json.RawMessage(`{"groupId":"sg-1",
	"ipPermissions":[
		{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":["198.51.100.0/24"],"ipv4Ranges":[{"cidrIp":"198.51.100.0/24"}],"ipv6Ranges":[],"prefixListIds":[],"userIdGroupPairs":[]},
		{"ipProtocol":"6","fromPort":"8000","toPort":"8100","ipRanges":[{"cidrIp":"0.0.0.0/0"}]},
		{"ipProtocol":"tcp","fromPort":5432,"toPort":5432,"userIdGroupPairs":[{"groupId":"sg-2","userId":"1"}]},
		{"ipProtocol":"udp","fromPort":53,"toPort":53,"prefixListIds":[{"prefixListId":"pl-1"}]},
		{"ipProtocol":"icmp","fromPort":8,"toPort":-1,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]},
		{"ipProtocol":"-1","ipv6Ranges":[{"cidrIpv6":"2001:db8::/32"}]}
	],
	"ipPermissionsEgress":[]}`))
	if !ok {
		t.Fatal("not parsed")
	}
	for _, tc := range []struct {
		remote      string
		proto, port int
		want        match
	}{
		{"198.51.100.9", protoTCP, 22, matches},
		{"203.0.113.9", protoTCP, 22, noMatch},
		{"198.51.100.9", protoUDP, 22, noMatch},
		{"203.0.113.9", protoTCP, 8080, matches},
		{"203.0.113.9", protoTCP, 5432, noMatch}, // a group reference never holds a public address
		{"10.0.3.4", protoTCP, 5432, mayMatch},   // it may hold a private one
		{"203.0.113.9", protoUDP, 53, mayMatch},  // prefix lists are not resolved
		{"203.0.113.9", protoICMP, 0, mayMatch},  // flow records do not log the ICMP type
		{"2001:db8::5", 47, 0, matches},
		{"2001:db9::5", protoTCP, 443, noMatch},
	} {
		got := noMatch
		for i := range sg.in {
			if m := sg.in[i].allows(netip.MustParseAddr(tc.remote), tc.proto, tc.port); m > got {
				got = m
			}
		}
		if got != tc.want {
			t.Errorf("%s %d/%d: %v, want %v", tc.remote, tc.proto, tc.port, got, tc.want)
		}
	}
	if len(sg.out) != 0 {
		t.Errorf("egress rules %v", sg.out)
	}
}

func TestNetworkACLEntries(t *testing.T) {
	acl, ok := parseNACL(json.RawMessage(`{"networkAclId":"acl-1","associations":[{"subnetId":"subnet-1"},{"subnetId":"subnet-2"}],"entries":[
		{"ruleNumber":32767,"protocol":"-1","ruleAction":"deny","egress":false,"cidrBlock":"0.0.0.0/0"},
		{"ruleNumber":200,"protocol":"6","ruleAction":"allow","egress":false,"cidrBlock":"0.0.0.0/0","portRange":{"from":1024,"to":65535}},
		{"ruleNumber":100,"protocol":"6","ruleAction":"deny","egress":false,"cidrBlock":"203.0.113.0/24","portRange":{"from":22,"to":22}},
		{"ruleNumber":150,"protocol":"1","ruleAction":"deny","egress":false,"cidrBlock":"0.0.0.0/0","icmpTypeCode":{"type":8,"code":-1}},
		{"ruleNumber":160,"protocol":"1","ruleAction":"allow","egress":false,"cidrBlock":"0.0.0.0/0","icmpTypeCode":{"type":-1,"code":-1}},
		{"ruleNumber":100,"protocol":"-1","ruleAction":"allow","egress":true,"ipv6CidrBlock":"::/0"},
		{"ruleNumber":110,"protocol":"weird","ruleAction":"allow","egress":true,"cidrBlock":"0.0.0.0/0"}
	]}`))
	if !ok || len(acl.subnets) != 2 {
		t.Fatalf("parsed %v %+v", ok, acl)
	}
	for _, tc := range []struct {
		egress      bool
		remote      string
		proto, port int
		known       bool
		allow       bool
		rule        int64 // 0: the implicit default
	}{
		{false, "203.0.113.5", protoTCP, 22, true, false, 100},
		{false, "198.51.100.5", protoTCP, 22, true, false, 32767},
		{false, "198.51.100.5", protoTCP, 40000, true, true, 200},
		{false, "203.0.113.5", protoTCP, 40000, true, true, 200},
		{false, "198.51.100.5", protoICMP, 0, false, false, 0}, // rule 150 may apply
		{true, "2001:db8::1", protoUDP, 53, true, true, 100},
		{true, "198.51.100.5", protoUDP, 53, false, false, 0}, // rule 110's protocol is unreadable
	} {
		v := acl.evaluate(tc.egress, netip.MustParseAddr(tc.remote), tc.proto, tc.port)
		var rule int64
		if v.entry != nil {
			rule = v.entry.num
		}
		if v.known != tc.known || v.allow != tc.allow || rule != tc.rule {
			t.Errorf("%+v: got %+v (rule %d)", tc, v, rule)
		}
	}
	empty, _ := parseNACL(json.RawMessage(`{"networkAclId":"acl-2","entries":[]}`))
	if v := empty.evaluate(false, netip.MustParseAddr("192.0.2.1"), protoTCP, 80); !v.known || v.allow || v.entry != nil {
		t.Errorf("no entries: %+v, want the implicit default deny", v)
	}
}

func TestConfigItemOf(t *testing.T) {
	for _, tc := range []struct {
		raw    string
		exists bool
	}{
		{`{"resourceType":"AWS::EC2::NetworkInterface","resourceId":"eni-1","configurationItemStatus":"OK","configuration":{"subnetId":"subnet-1"}}`, true},
		{`{"resourceType":"AWS::EC2::NetworkInterface","resourceId":"eni-1","configurationItemStatus":"OK","configuration":"{\"subnetId\":\"subnet-1\"}"}`, true},
		{`{"resourceType":"AWS::EC2::NetworkInterface","resourceId":"eni-1","configurationItemStatus":"ResourceDeleted","configuration":null}`, false},
		{`{"resourceType":"AWS::EC2::NetworkInterface","resourceId":"eni-1","configurationItemStatus":"ResourceNotRecorded"}`, false},
	} {
		it, ok := ConfigItemOf(&Event{Source: SourceConfig, Raw: json.RawMessage(tc.raw)})
		if !ok || it.Exists() != tc.exists || it.ResourceID != "eni-1" {
			t.Errorf("%s: %+v exists=%v", tc.raw, it, it.Exists())
		}
		if tc.exists {
			if ni, ok := parseENI(it.Config); !ok || ni.subnet != "subnet-1" {
				t.Errorf("%s: interface %+v", tc.raw, ni)
			}
		}
	}
	if _, ok := ConfigItemOf(&Event{Source: SourceCloudTrail, Raw: json.RawMessage(`{}`)}); ok {
		t.Error("a CloudTrail event read as a configuration item")
	}
}

// FuzzConfigState feeds configurations to the readers of interfaces,
// security groups and network ACLs, and evaluates what they read.
func FuzzConfigState(f *testing.F) {
	f.Add([]byte(`{"groups":[{"groupId":"sg-1"}],"subnetId":"s","privateIpAddress":"10.0.0.1","ipPermissions":[{"ipProtocol":"tcp","fromPort":1,"toPort":2,"ipRanges":["0.0.0.0/0"]}],"networkAclId":"acl-1","entries":[{"ruleNumber":1,"protocol":"6","ruleAction":"deny","cidrBlock":"0.0.0.0/0","portRange":{"from":1,"to":2}}]}`))
	f.Add([]byte(`{"ipPermissionsEgress":[{"ipProtocol":"icmp","fromPort":"x","userIdGroupPairs":[1],"ipRanges":[{"cidrIp":5}]}],"entries":[{"ruleNumber":"7","icmpTypeCode":{"type":"3"},"ipv6CidrBlock":"::/0","ruleAction":"allow"}]}`))
	addrs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("2001:db8::1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		ni, _ := parseENI(data)
		sg, _ := parseSG(data)
		acl, _ := parseNACL(data)
		for _, a := range addrs {
			for _, p := range []int{protoTCP, protoUDP, protoICMP, 47} {
				if ni != nil {
					ni.has(a)
				}
				if sg != nil {
					for i := range sg.in {
						sg.in[i].allows(a, p, 22)
					}
					for i := range sg.out {
						sg.out[i].allows(a, p, 22)
					}
				}
				if acl != nil {
					acl.evaluate(false, a, p, 22)
					acl.evaluate(true, a, p, 22)
				}
			}
		}
	})
}
