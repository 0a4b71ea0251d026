package timeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// parseSource detects and parses one file of testdata/sources.
func parseSource(t *testing.T, name string, opts ParseOptions) (kind string, events []*Event, warnings []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sources", name))
	if err != nil {
		t.Fatal(err)
	}
	kind = Detect(name, b[:min(len(b), DetectHeadBytes)])
	if opts.Name == "" {
		opts.Name = name
	}
	err = Parse(context.Background(), kind, bytes.NewReader(b), opts, func(e *Event) error {
		checkEvent(t, e)
		events = append(events, e)
		return nil
	}, func(w Warning) { warnings = append(warnings, w.Message) })
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return kind, events, warnings
}

func TestSources(t *testing.T) {
	for _, tc := range []struct {
		file, kind string
		events     int
		warnings   []string // each is in some warning
		first      string   // source action outcome src_ip principal of the first event
	}{
		{"cw_export_flow.log", evidence.KindCloudWatchExport, 3, []string{`line 3: "not" is not an RFC 3339 time`, "line 4: 1 message(s) are neither"},
			"vpcflow ACCEPT ACCEPT 203.0.113.7 "},
		{"cw_export_cloudtrail.log", evidence.KindCloudWatchExport, 1, []string{"line 2"},
			"cloudtrail AuthorizeSecurityGroupIngress success 203.0.113.7 arn:aws:iam::111122223333:user/alice"},
		{"cw_subscription.json", evidence.KindCloudWatchSubscription, 3, []string{"payload 4", "line 4: invalid JSON"},
			"vpcflow ACCEPT ACCEPT 203.0.113.7 "},
		{"config_history.json", evidence.KindConfig, 3, []string{"item 3: not a configuration item", "item 4: configurationItemCaptureTime"},
			"config AWS::EC2::SecurityGroup ResourceDiscovered ResourceDiscovered  "},
		{"s3_access.log", evidence.KindS3Access, 2, []string{"line 3: time", "line 4: 2 fields"},
			"s3access REST.GET.OBJECT 200 203.0.113.7 arn:aws:iam::111122223333:user/alice"},
		{"guardduty.jsonl", evidence.KindGuardDuty, 2, []string{"finding 3: line 3: unexpected end of JSON", "finding 4: line 4: json"},
			"guardduty UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS High 203.0.113.7 web-role"},
		{"cloudtrail_history.csv", evidence.KindCloudTrailCSV, 2, []string{"row 3: line 4"},
			"cloudtrail AuthorizeSecurityGroupIngress success 203.0.113.7 arn:aws:iam::111122223333:user/alice"},
		{"cloudtrail_lake.json", evidence.KindCloudTrailLake, 2, []string{"row 3"},
			"cloudtrail CreateAccessKey success 203.0.113.7 arn:aws:iam::111122223333:user/alice"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			kind, events, warnings := parseSource(t, tc.file, ParseOptions{})
			if kind != tc.kind {
				t.Fatalf("kind %q, want %q", kind, tc.kind)
			}
			if len(events) != tc.events {
				t.Fatalf("%d events, want %d; warnings %q", len(events), tc.events, warnings)
			}
			all := strings.Join(warnings, "\n")
			for _, w := range tc.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("no warning with %q in\n%s", w, all)
				}
			}
			e := events[0]
			if got := strings.Join([]string{e.Source, e.Action, e.Outcome, e.SrcIP, e.Principal}, " "); got != tc.first {
				t.Errorf("first event %q, want %q", got, tc.first)
			}
			if e.Time.IsZero() || e.Record == 0 {
				t.Errorf("first event has no time or record: %+v", e)
			}
		})
	}
}

func TestSourcesDetails(t *testing.T) {
	_, cfg, _ := parseSource(t, "config_history.json", ParseOptions{})
	if got := cfg[1].Fields["changes"]; !strings.Contains(got, `+configuration.ipPermissions[]: {"fromPort":22,"ipProtocol":"tcp","ipRanges":["0.0.0.0/0"],"toPort":22}`) {
		t.Errorf("config change %q: want the added 0.0.0.0/0:22 rule", got)
	}
	if got := cfg[1].Fields["related_events"]; got != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("related events %q", got)
	}
	_, sub, _ := parseSource(t, "cw_subscription.json", ParseOptions{})
	if g, s := sub[2].Fields[FieldLogGroup], sub[2].Fields[FieldLogStream]; g != "aws-cloudtrail-logs" || s != "111122223333_CloudTrail_us-east-1" || sub[2].EventID == "" {
		t.Errorf("CloudTrail from a subscription: group %q stream %q event %+v", g, s, sub[2])
	}
	if g := sub[1].Fields[FieldLogGroup]; g != "vpc-flow-logs" || sub[1].Outcome != "REJECT" {
		t.Errorf("flow from a subscription: group %q, %+v", g, sub[1])
	}
	_, gd, _ := parseSource(t, "guardduty.jsonl", ParseOptions{})
	terms := strings.Join(gd[0].Terms(), " ")
	for _, want := range []string{"ip:203.0.113.7", "p:asiaexamplekey000001", "p:web-role"} {
		if !strings.Contains(terms, want) {
			t.Errorf("GuardDuty terms %q lack %q", terms, want)
		}
	}
	if terms := strings.Join(gd[1].Terms(), " "); !strings.Contains(terms, "ip:10.0.1.5") || !strings.Contains(terms, "ip:198.51.100.20") {
		t.Errorf("port probe terms %q", terms)
	}
	_, s3, _ := parseSource(t, "s3_access.log", ParseOptions{})
	if s3[1].Outcome != "403 AccessDenied" || s3[0].Bytes != 1048576 || s3[0].Fields["key"] != "customers/2024.csv" || s3[0].Fields["field_28"] != "extra-new-field" {
		t.Errorf("S3 access events %+v", s3[:2])
	}
	if terms := strings.Join(s3[0].Terms(), " "); !strings.Contains(terms, "p:arn:aws:iam::111122223333:user/alice") {
		t.Errorf("S3 access terms %q", terms)
	}
}

func TestCloudWatchFlowFormat(t *testing.T) {
	names, err := ParseFlowFormat("${srcaddr} ${dstaddr} ${action} ${start} ${end}")
	if err != nil {
		t.Fatal(err)
	}
	data := "2024-05-01T10:00:05.000Z 203.0.113.7 10.0.1.5 REJECT 1714557600 1714557660\n"
	var got []*Event
	err = Parse(context.Background(), evidence.KindCloudWatchExport, strings.NewReader(data),
		ParseOptions{Name: "exp/task/eni-1/000000.gz", FlowFormat: strings.Join(names, " ")},
		func(e *Event) error { got = append(got, e); return nil }, nil)
	if err != nil || len(got) != 1 || got[0].Action != "REJECT" || got[0].Fields[FieldLogStream] != "eni-1" {
		t.Fatalf("custom format: %v %+v", err, got)
	}
	if _, err := ParseFlowFormat("hello world"); err == nil {
		t.Error("ParseFlowFormat accepted no flow field")
	}
}

func TestFlowRegionFromKey(t *testing.T) {
	data := "2 111122223333 eni-0a1b2c3d4e5f60718 203.0.113.7 10.0.1.5 51234 22 6 10 840 1714557600 1714557660 ACCEPT OK\n"
	var got []*Event
	err := Parse(context.Background(), evidence.KindVPCFlow, strings.NewReader(data),
		ParseOptions{Name: "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2024/05/01/x.log.gz"},
		func(e *Event) error { got = append(got, e); return nil }, nil)
	if err != nil || len(got) != 1 || got[0].Region != "eu-west-1" {
		t.Fatalf("%v %+v", err, got)
	}
}

// TestS3AccessPantherSample reads the S3 access log lines of the shared
// compromised-root-credentials scenario (YAML list items).
func TestS3AccessPantherSample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "samples", "panther", "test_scenarios", "compromised-root-creds", "attacker_s3_access.yml"))
	if err != nil {
		t.Skip("shared samples not present:", err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "  - "); ok {
			lines = append(lines, v)
		}
	}
	data := strings.Join(lines, "\n") + "\n"
	if k := Detect("access.log", []byte(data)); k != evidence.KindS3Access {
		t.Fatalf("detected %q", k)
	}
	var n int
	err = Parse(context.Background(), evidence.KindS3Access, strings.NewReader(data), ParseOptions{Name: "panther"},
		func(e *Event) error {
			checkEvent(t, e)
			if e.SrcIP == "" || e.Time.IsZero() || e.Action == "" {
				t.Errorf("line %d: %+v", e.Record, e)
			}
			n++
			return nil
		}, func(w Warning) { t.Errorf("warning: %s", w.Message) })
	if err != nil || n != len(lines) {
		t.Fatalf("%d events of %d lines, err %v", n, len(lines), err)
	}
}
