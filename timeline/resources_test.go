package timeline

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCloudTrailResources(t *testing.T) {
	for _, tc := range []struct {
		name, params, resources string
		want                    []string
	}{
		{"s3 object", `{"bucketName":"logs","key":"a/b.txt"}`,
			`[{"ARN":"arn:aws:s3:::logs/a/b.txt","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::logs","type":"AWS::S3::Bucket"}]`,
			[]string{"arn:aws:s3:::logs/a/b.txt", "arn:aws:s3:::logs"}},
		{"s3 bucket", `{"bucketName":"logs"}`, ``, []string{"arn:aws:s3:::logs"}},
		{"ec2 instancesSet", `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`, ``, []string{"i-1", "i-2"}},
		{"ec2 instanceId", `{"instanceId":"i-3","groupId":"sg-9"}`, ``, []string{"i-3", "sg-9"}},
		{"ssm instanceIds", `{"instanceIds":["i-4",7]}`, ``, []string{"i-4"}},
		{"iam role", `{"roleName":"LambdaExec","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, ``,
			[]string{"LambdaExec", "arn:aws:iam::aws:policy/AdministratorAccess"}},
		{"iam user", `{"userName":"bob"}`, ``, []string{"bob"}},
		{"lambda", `{"functionName":"arn:aws:lambda:us-east-1:1:function:fn"}`, ``, []string{"arn:aws:lambda:us-east-1:1:function:fn"}},
		{"secrets manager", `{"secretId":"prod\/db"}`, ``, []string{"prod/db"}},
		{"snapshot", `{"snapshotId":"snap-1"}`, ``, []string{"snap-1"}},
		{"odd types ignored", `{"bucketName":5,"instanceId":{"x":1},"instancesSet":"x"}`, ``, nil},
		{"no parameters", `null`, ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := `{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventName":"X","eventID":"e","requestParameters":` + tc.params
			if tc.resources != "" {
				rec += `,"resources":` + tc.resources
			}
			r := parseCT(t, `{"Records":[`+rec+`}]}`)
			if r.err != nil || len(r.events) != 1 || len(r.warns) != 0 {
				t.Fatalf("parse: %v, %d events, warnings %s", r.err, len(r.events), r.warnText())
			}
			if got := r.events[0].Resources; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("resources = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSourceResources(t *testing.T) {
	for _, tc := range []struct {
		file string
		want string // a resource of some event
	}{
		{"s3_access.log", "arn:aws:s3:::"},
		{"config_history.json", "sg-"},
	} {
		_, evs, _ := parseSource(t, tc.file, ParseOptions{})
		found := false
		for _, e := range evs {
			for _, r := range e.Resources {
				found = found || strings.HasPrefix(r, tc.want)
			}
		}
		if !found {
			t.Errorf("%s: no event has a resource starting %q", tc.file, tc.want)
		}
	}
}

func TestResourceTerms(t *testing.T) {
	e := &Event{Source: SourceCloudTrail, Action: "GetRole", Resources: []string{
		"arn:aws:iam::111122223333:role/service-role/LambdaExec", "arn:aws:s3:::Logs/k", "i-1"}}
	terms := e.Terms()
	for _, want := range []string{
		"ev:getrole",
		"r:arn:aws:iam::111122223333:role/service-role/lambdaexec",
		"r:arn:aws:iam::111122223333:role/lambdaexec",
		"r:lambdaexec",
		"r:logs", "r:i-1",
	} {
		if !slices.Contains(terms, want) {
			t.Errorf("terms %q lack %q", terms, want)
		}
	}
	// S3 buckets and objects are indexed under the bucket's name only; a
	// role's name once.
	for _, not := range []string{"r:arn:aws:s3:::logs", "r:arn:aws:s3:::logs/k", "r:logs/k", "r:role/service-role/lambdaexec"} {
		if slices.Contains(terms, not) {
			t.Errorf("terms %q have %q", terms, not)
		}
	}
	if len(terms) != 6 {
		t.Errorf("terms %q: want 6", terms)
	}
	if slices.Contains((&Event{Source: SourceVPCFlow, Action: "ACCEPT"}).Terms(), "ev:accept") {
		t.Error("flow records get no event term")
	}
}

func TestS3Terms(t *testing.T) {
	for in, want := range map[string][2]string{
		"r:arn:aws:s3:::logs/a/b": {"r:logs/a/b", "r:logs"},
		"r:arn:aws:s3:::logs/":    {"r:logs/", "r:logs"},
		"r:arn:aws:s3:::lo":       {"r:lo", ""},
		"r:logs/a":                {"r:logs/a", "r:logs"},
		"r:logs":                  {"r:logs", ""},
		"r:/x":                    {"r:/x", ""},
		"r:arn:aws:iam::1:role/x": {"r:arn:aws:iam::1:role/x", ""},
		"r:arn:aws:s3":            {"r:arn:aws:s3", ""},
	} {
		if l, b := s3Terms(in); l != want[0] || b != want[1] {
			t.Errorf("s3Terms(%q) = %q, %q, want %q", in, l, b, want)
		}
	}
}

func TestCodecResources(t *testing.T) {
	e := Event{Time: time.Unix(1, 0).UTC(), Source: SourceCloudTrail, Resources: []string{"arn:aws:s3:::b", "i-1"}, Raw: json.RawMessage(`{}`)}
	got, err := DecodeEvent(EncodeEvent(nil, &e))
	if err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, e)
	}
	// An event without resources is stored as before the field existed,
	// and events stored then read back without resources.
	e.Resources = nil
	old := EncodeEvent(nil, &e)
	if old[1]&hasResources != 0 {
		t.Fatal("flag set without resources")
	}
	if got, err := DecodeEvent(old); err != nil || got.Resources != nil {
		t.Fatalf("old event: %v %+v", err, got)
	}
}
