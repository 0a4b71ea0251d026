package timeline

import (
	"reflect"
	"slices"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

func TestEventHistoryResources(t *testing.T) {
	const head = "Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,Source IP address,AWS region,Error code,CloudTrail event\n"
	record := `"{""eventVersion"":""1.08"",""eventTime"":""2024-05-01T10:00:00Z"",""eventName"":""AuthorizeSecurityGroupIngress"",""eventID"":""e1"",""requestParameters"":{""groupId"":""sg-0123456789abcdef0""}}"`
	for _, tc := range []struct {
		name, kind, in string
		want           []string
	}{
		{"csv columns only", evidence.KindCloudTrailCSV,
			head + `e2,2024-05-01T10:04:00Z,alice,TerminateInstances,"AWS::EC2::Instance, AWS::EC2::Instance","i-0aaaaaaaaaaaaaaa1, i-0bbbbbbbbbbbbbbb2",AKIAIOSFODNN7EXAMPLE,203.0.113.7,us-east-1,,` + "\n",
			[]string{"i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"}},
		{"csv no resources", evidence.KindCloudTrailCSV,
			head + `e3,2024-05-01T10:04:00Z,alice,DeleteTrail,,,AKIAIOSFODNN7EXAMPLE,203.0.113.7,us-east-1,AccessDenied,` + "\n", nil},
		{"csv record and columns", evidence.KindCloudTrailCSV,
			head + `e1,2024-05-01T10:00:00Z,alice,AuthorizeSecurityGroupIngress,"AWS::EC2::SecurityGroup, AWS::EC2::Vpc","sg-0123456789abcdef0, vpc-0a1b2c3d",AKIAIOSFODNN7EXAMPLE,203.0.113.7,us-east-1,,` + record + "\n",
			[]string{"sg-0123456789abcdef0", "vpc-0a1b2c3d"}},
		{"json entry", evidence.KindCloudTrail,
			`{"EventId":"e4","EventName":"TerminateInstances","Resources":[{"ResourceType":"AWS::EC2::Instance","ResourceName":"i-01234567890123456"},{"ResourceType":"AWS::EC2::Instance","ResourceName":7}],"CloudTrailEvent":"{\"eventTime\":\"2024-05-01T10:00:00Z\",\"eventName\":\"TerminateInstances\",\"eventID\":\"e4\",\"requestParameters\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-01234567890123456\"}]}}}"}` + "\n",
			[]string{"i-01234567890123456"}},
		{"json download", evidence.KindCloudTrail,
			`{"Events":[{"EventId":"e5","Resources":[{"ResourceType":"AWS::IAM::AccessKey","ResourceName":"AKIAIOSFODNN7EXAMPLE"},{"ResourceType":"AWS::IAM::User","ResourceName":"bob"}],"CloudTrailEvent":"{\"eventTime\":\"2024-05-01T10:00:00Z\",\"eventName\":\"CreateAccessKey\",\"eventID\":\"e5\",\"requestParameters\":{\"userName\":\"bob\"}}"}]}`,
			[]string{"bob", "AKIAIOSFODNN7EXAMPLE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := parseBytes(t, tc.kind, "history", []byte(tc.in))
			if r.err != nil || len(r.events) != 1 || len(r.warns) != 0 {
				t.Fatalf("parse: %v, %d events, warnings %s", r.err, len(r.events), r.warnText())
			}
			e := r.events[0]
			if !reflect.DeepEqual(e.Resources, tc.want) {
				t.Fatalf("resources = %q, want %q", e.Resources, tc.want)
			}
			terms := e.Terms()
			for _, w := range tc.want {
				if !slices.Contains(terms, lowerTerm(TermResource, w)) {
					t.Errorf("terms %q lack %s", terms, w)
				}
			}
		})
	}
}
