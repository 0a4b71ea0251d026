package timeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

func parseCT(t *testing.T, in string) result {
	t.Helper()
	return parseBytes(t, evidence.KindCloudTrail, "ct.json", []byte(in))
}

func TestCloudTrailPrincipal(t *testing.T) {
	tests := []struct {
		name      string
		identity  string
		principal string
		issuer    string
		terms     []string
	}{
		{"root", `{"type":"Root","arn":"arn:aws:iam::1:root","accountId":"1","principalId":"1","userName":"root"}`,
			"arn:aws:iam::1:root", "", []string{"p:arn:aws:iam::1:root", "p:root", "p:1"}},
		{"iam user", `{"type":"IAMUser","arn":"arn:aws:iam::1:user/Bob","userName":"Bob","accessKeyId":"AKIAX","principalId":"AIDAX"}`,
			"arn:aws:iam::1:user/Bob", "", []string{"p:arn:aws:iam::1:user/bob", "p:bob", "p:akiax", "p:aidax", "ak:AKIAX"}},
		{"assumed role", `{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","accessKeyId":"ASIAY","principalId":"AROA:s","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/R","userName":"R"}}}`,
			"arn:aws:sts::1:assumed-role/R/s", "arn:aws:iam::1:role/R", []string{"p:arn:aws:sts::1:assumed-role/r/s", "p:arn:aws:iam::1:role/r", "p:asiay", "ak:ASIAY", "p:aroa:s"}},
		{"federated", `{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/Ann","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:user/Ann"}}}`,
			"arn:aws:sts::1:federated-user/Ann", "arn:aws:iam::1:user/Ann", []string{"p:arn:aws:sts::1:federated-user/ann", "p:arn:aws:iam::1:user/ann"}},
		{"service", `{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}`, "ec2.amazonaws.com", "", []string{"p:ec2.amazonaws.com"}},
		{"account", `{"type":"AWSAccount","accountId":"222","principalId":"AIDAZ"}`, "222:AIDAZ", "", []string{"p:222:aidaz", "p:aidaz"}},
		{"saml", `{"type":"SAMLUser","userName":"ann@example.com","identityProvider":"arn:aws:iam::1:saml-provider/idp"}`,
			"arn:aws:iam::1:saml-provider/idp:ann@example.com", "", []string{"p:ann@example.com"}},
		{"identity center", `{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-123","identityStoreArn":"arn:x"}}`, "u-123", "", []string{"p:u-123"}},
		{"unknown type", `{"type":"Unknown","principalId":"P1"}`, "P1", "", []string{"p:p1"}},
		{"hidden user", `{"type":"IAMUser","userName":"HIDDEN_DUE_TO_SECURITY_REASONS","accountId":"1"}`, "HIDDEN_DUE_TO_SECURITY_REASONS", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseCT(t, `{"Records":[{"eventTime":"2024-01-02T03:04:05Z","eventName":"GetCallerIdentity","eventID":"e1","sourceIPAddress":"::ffff:198.51.100.7","userIdentity":`+tt.identity+`}]}`)
			if r.err != nil || len(r.events) != 1 {
				t.Fatalf("%d events, err %v\n%s", len(r.events), r.err, r.warnText())
			}
			e := r.events[0]
			eq(t, "principal", e.Principal, tt.principal)
			eq(t, "issuer", e.Issuer, tt.issuer)
			terms := e.Terms()
			for _, want := range append(tt.terms, "ip:198.51.100.7") {
				if !slices.Contains(terms, want) {
					t.Errorf("terms %v lack %s", terms, want)
				}
			}
			if slices.Contains(terms, "p:hidden_due_to_security_reasons") {
				t.Errorf("terms %v index the hidden user name", terms)
			}
		})
	}
}

func TestCloudTrailCredentials(t *testing.T) {
	tests := []struct {
		name, record, key, session string
	}{
		{"AssumeRole", `{"eventName":"AssumeRole","responseElements":{"credentials":{"accessKeyId":"ASIA1","sessionToken":"x"},"assumedRoleUser":{"assumedRoleId":"AROA:s","arn":"arn:aws:sts::1:assumed-role/R/s"}}}`,
			"ASIA1", "arn:aws:sts::1:assumed-role/R/s"},
		{"GetSessionToken", `{"eventName":"GetSessionToken","responseElements":{"credentials":{"accessKeyId":"ASIA2"}}}`, "ASIA2", ""},
		{"GetFederationToken", `{"eventName":"GetFederationToken","responseElements":{"credentials":{"accessKeyId":"ASIA3"},"federatedUser":{"arn":"arn:aws:sts::1:federated-user/x"}}}`,
			"ASIA3", "arn:aws:sts::1:federated-user/x"},
		{"failed", `{"eventName":"AssumeRole","errorCode":"AccessDenied","responseElements":null}`, "", ""},
		{"odd response", `{"eventName":"AssumeRoleWithSAML","responseElements":"text"}`, "", ""},
		{"not issuing", `{"eventName":"ListUsers","responseElements":{"credentials":{"accessKeyId":"ASIA9"}}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := strings.Replace(tt.record, "{", `{"eventTime":"2024-01-02T03:04:05Z","eventID":"x","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","accessKeyId":"AKIA0"},`, 1)
			r := parseCT(t, rec)
			if r.err != nil || len(r.events) != 1 {
				t.Fatalf("%d events, err %v\n%s", len(r.events), r.err, r.warnText())
			}
			e := r.events[0]
			eq(t, "issued key", e.IssuedAccessKey, tt.key)
			eq(t, "issued session", e.IssuedSession, tt.session)
			eq(t, "has issued term", slices.Contains(e.Terms(), "issued:"+tt.key), tt.key != "")
			eq(t, "has ak term", slices.Contains(e.Terms(), "ak:AKIA0"), true)
		})
	}
}

func TestCloudTrailAntiForensics(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   string // "" = no annotation
	}{
		{"stop logging", `{"eventName":"StopLogging","requestParameters":{"name":"t"}}`, "anti-forensics: StopLogging stopped a trail's logging (succeeded)"},
		{"delete trail denied", `{"eventName":"DeleteTrail","errorCode":"AccessDenied"}`, "anti-forensics: DeleteTrail deleted a trail (denied: AccessDenied)"},
		{"delete trail failed", `{"eventName":"DeleteTrail","errorCode":"TrailNotFoundException"}`, "anti-forensics: DeleteTrail deleted a trail (failed: TrailNotFoundException)"},
		{"validation off", `{"eventName":"UpdateTrail","requestParameters":{"name":"t","enableLogFileValidation":false}}`, "anti-forensics: UpdateTrail turned log file validation off (succeeded)"},
		{"validation off as text", `{"eventName":"UpdateTrail","requestParameters":{"enableLogFileValidation":"false"}}`, "anti-forensics: UpdateTrail turned log file validation off (succeeded)"},
		{"validation on", `{"eventName":"UpdateTrail","requestParameters":{"enableLogFileValidation":true}}`, ""},
		{"update trail other", `{"eventName":"UpdateTrail","requestParameters":{"s3BucketName":"b"}}`, ""},
		{"event selectors", `{"eventName":"PutEventSelectors"}`, "anti-forensics: PutEventSelectors changed what a trail records (may stop logging of some events) (succeeded)"},
		{"flow logs", `{"eventName":"DeleteFlowLogs","errorCode":"Client.UnauthorizedOperation"}`, "anti-forensics: DeleteFlowLogs deleted VPC flow logs (denied: Client.UnauthorizedOperation)"},
		{"alb logs off", `{"eventName":"ModifyLoadBalancerAttributes","requestParameters":{"loadBalancerArn":"arn","attributes":[{"key":"idle_timeout.timeout_seconds","value":"60"},{"key":"access_logs.s3.enabled","value":"false"}]}}`,
			"anti-forensics: ModifyLoadBalancerAttributes turned load balancer access logs off (succeeded)"},
		{"alb logs on", `{"eventName":"ModifyLoadBalancerAttributes","requestParameters":{"attributes":[{"key":"access_logs.s3.enabled","value":"true"}]}}`, ""},
		{"clb logs off", `{"eventName":"ModifyLoadBalancerAttributes","requestParameters":{"loadBalancerName":"x","loadBalancerAttributes":{"accessLog":{"enabled":false}}}}`,
			"anti-forensics: ModifyLoadBalancerAttributes turned load balancer access logs off (succeeded)"},
		{"lifecycle on log bucket", `{"eventName":"PutBucketLifecycle","requestParameters":{"bucketName":"acme-cloudtrail-logs"}}`,
			`anti-forensics: PutBucketLifecycle on log bucket "acme-cloudtrail-logs" (succeeded)`},
		{"delete log object", `{"eventName":"DeleteObject","requestParameters":{"bucketName":"acme-archive","key":"AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json.gz"}}`,
			`anti-forensics: DeleteObject on log bucket "acme-archive" (succeeded)`},
		{"delete photo", `{"eventName":"DeleteObject","requestParameters":{"bucketName":"acme-photos","key":"cat.jpg"}}`, ""},
		{"delete bucket denied", `{"eventName":"DeleteBucket","errorCode":"AccessDenied","requestParameters":{"bucketName":"vpc-flow-logs-1"}}`,
			`anti-forensics: DeleteBucket on log bucket "vpc-flow-logs-1" (denied: AccessDenied)`},
		{"ordinary", `{"eventName":"DescribeInstances"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := strings.Replace(tt.record, "{", `{"eventTime":"2024-01-02T03:04:05Z","eventID":"x",`, 1)
			r := parseCT(t, rec)
			if r.err != nil || len(r.events) != 1 {
				t.Fatalf("%d events, err %v\n%s", len(r.events), r.err, r.warnText())
			}
			e := r.events[0]
			got := strings.Join(e.Annotations, "|")
			eq(t, "annotation", got, tt.want)
			eq(t, "anti term", slices.Contains(e.Terms(), TermAntiForensics), tt.want != "")
		})
	}
}

func TestCloudTrailShapes(t *testing.T) {
	rec := func(id string) string {
		return `{"eventVersion":"1.08","eventTime":"2024-01-02T03:04:05Z","eventName":"ListBuckets","eventID":"` + id + `","sourceIPAddress":"203.0.113.9"}`
	}
	tests := []struct {
		name   string
		in     string
		ids    string // event ids in order
		warns  int
		errSub string
	}{
		{"records", `{"Records":[` + rec("a") + `,` + rec("b") + `]}`, "a,b", 0, ""},
		{"records after other keys", `{"x":{"y":[1,2,{"z":"]"}]},"Records":[` + rec("a") + `],"after":true}`, "a", 0, ""},
		{"empty records", `{"Records":[]}`, "", 0, ""},
		{"per line", rec("a") + "\n" + rec("b") + "\n\n" + rec("c") + "\n", "a,b,c", 0, ""},
		{"bare array", `[` + rec("a") + `, ` + rec("b") + `]`, "a,b", 0, ""},
		{"concatenated files", `{"Records":[` + rec("a") + `]}{"Records":[` + rec("b") + `]}`, "a,b", 0, ""},
		{"byte order mark", "\xef\xbb\xbf" + `{"Records":[` + rec("a") + `]}`, "a", 0, ""},
		{"event history array", `{"Events":[{"EventId":"h1","CloudTrailEvent":"{\"eventTime\":\"2024-01-02T03:04:05Z\",\"eventName\":\"X\",\"eventID\":\"h1\"}"}],"NextToken":"t"}`, "h1", 0, ""},
		{"event history per line", `{"EventId":"h1","EventTime":"2024-01-02 14:04:05+11:00","CloudTrailEvent":"{\"eventTime\":\"2024-01-02T03:04:05Z\",\"eventID\":\"h1\",\"eventName\":\"X\"}"}` + "\n" +
			`{"EventId":"h2","CloudTrailEvent":"{\"eventTime\":\"2024-01-02T03:04:06Z\",\"eventID\":\"h2\",\"eventName\":\"Y\"}"}`, "h1,h2", 0, ""},
		{"embedded record invalid", `{"EventId":"h1","CloudTrailEvent":"{not json"}` + "\n" + rec("b"), "b", 1, ""},
		{"digest line skipped", `{"digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}` + "\n" + rec("a"), "a", 0, ""},
		{"not a record", `{"hello":"world"}` + "\n" + rec("a"), "a", 1, ""},
		{"non-object element", `{"Records":[1,` + rec("a") + `]}`, "a", 1, ""},
		{"bad record in the middle", `{"Records":[` + rec("a") + `,{"eventTime":"2024-01-02T03:04:05Z","eventName":"x` + "\n" + `y"},` + rec("c") + `]}`, "a,c", 1, ""},
		{"garbage line", rec("a") + "\n" + "garbage here\n" + rec("c"), "a,c", 1, ""},
		{"broken line", rec("a") + "\n" + `{"eventTime": ]` + "\n" + rec("c"), "a,c", 1, ""},
		{"type mismatch kept", `{"eventTime":"2024-01-02T03:04:05Z","eventName":"X","eventID":"t","userAgent":5}`, "t", 1, ""},
		{"bad time kept", `{"eventTime":"yesterday","eventName":"X","eventID":"t"}`, "t", 1, ""},
		{"truncated", `{"Records":[` + rec("a") + `,` + rec("b")[:40], "a", 1, ""},
		{"truncated wrapper garbage", `{"Records":[` + rec("a") + ` x ` + rec("b") + `]}`, "a", 1, ""},
		{"not json", "hello world\n", "", 0, "not JSON"},
		{"only broken", `{"Records":[`, "", 1, "no CloudTrail record"},
		{"empty", "", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseCT(t, tt.in)
			if tt.errSub != "" {
				if r.err == nil || !strings.Contains(r.err.Error(), tt.errSub) || !strings.Contains(r.err.Error(), `"ct.json"`) {
					t.Fatalf("err = %v, want one naming the file and %q", r.err, tt.errSub)
				}
			} else if r.err != nil {
				t.Fatalf("err = %v", r.err)
			}
			var ids []string
			for _, e := range r.events {
				ids = append(ids, e.EventID)
			}
			eq(t, "ids", strings.Join(ids, ","), tt.ids)
			if len(r.warns) != tt.warns {
				t.Fatalf("%d warnings, want %d:\n%s", len(r.warns), tt.warns, r.warnText())
			}
			for _, w := range r.warns {
				if !strings.HasPrefix(w.Message, `"ct.json"`) {
					t.Errorf("warning %q does not name the file", w.Message)
				}
			}
		})
	}
}

func TestCloudTrailRecordNumbers(t *testing.T) {
	in := `{"Records":[` + "\n" +
		`{"eventTime":"2024-01-02T03:04:05Z","eventName":"A","eventID":"1"},` + "\n" +
		`{"eventTime":"2024-01-02T03:04:05Z","eventName":"B` + "\n" + `","eventID":"2"},` + "\n" +
		`{"eventTime":"2024-01-02T03:04:05Z","eventName":"C","eventID":"3"}]}`
	r := parseCT(t, in)
	if len(r.events) != 2 || len(r.warns) != 1 {
		t.Fatalf("%d events, %d warnings", len(r.events), len(r.warns))
	}
	eq(t, "first record", r.events[0].Record, int64(1))
	eq(t, "third record", r.events[1].Record, int64(3))
	eq(t, "warning record", r.warns[0].Record, int64(2))
	if !strings.Contains(r.warns[0].Message, "record 2: invalid JSON at line 3") {
		t.Errorf("warning %q does not give record 2, line 3", r.warns[0].Message)
	}
}

func TestCloudTrailOversizedRecord(t *testing.T) {
	big := `{"eventTime":"2024-01-02T03:04:05Z","eventName":"Big","eventID":"big","requestParameters":{"x":"` + strings.Repeat("a", maxRecordBytes) + `"}}`
	in := `{"Records":[` + big + `,{"eventTime":"2024-01-02T03:04:05Z","eventName":"Small","eventID":"s"}]}`
	r := parseCT(t, in)
	if r.err != nil || len(r.events) != 1 || r.events[0].EventID != "s" || len(r.warns) != 1 {
		t.Fatalf("%d events, %d warnings, err %v", len(r.events), len(r.warns), r.err)
	}
	if !strings.Contains(r.warns[0].Message, "larger than") {
		t.Errorf("warning %q", r.warns[0].Message)
	}
}

func TestContentHash(t *testing.T) {
	a := parseCT(t, `{"eventTime":"2024-01-02T03:04:05Z","eventName":"X","eventID":"1","requestParameters":{"b":[1,2],"a":"x/y<"}}`).events[0]
	// The same record as an event-history export writes it: other order,
	// layout and escapes.
	b := parseCT(t, `{"CloudTrailEvent":"{\"requestParameters\": {\"a\": \"x\\/y\\u003c\", \"b\": [1, 2]}, \"eventID\": \"1\", \"eventName\": \"X\", \"eventTime\": \"2024-01-02T03:04:05Z\"}"}`).events[0]
	c := parseCT(t, `{"eventTime":"2024-01-02T03:04:05Z","eventName":"X","eventID":"1","requestParameters":{"b":[2,1],"a":"x/y<"}}`).events[0]
	eq(t, "dedup keys", a.DedupKey(), b.DedupKey())
	if !SameRecord(a.Raw, b.Raw) {
		t.Error("the same record in another layout is not the same record")
	}
	if SameRecord(a.Raw, c.Raw) || a.ContentHash() == c.ContentHash() {
		t.Error("different records are alike")
	}
	if !SameStoredRecord(EncodeEvent(nil, a), EncodeEvent(nil, b)) {
		t.Error("stored forms of the same record differ")
	}
	if a.ContentHash().IsZero() {
		t.Error("zero hash")
	}
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b":1,"a":{"d":[true,null],"c":"x"}}`, `{"a":{"c":"x","d":[true,null]},"b":1}`},
		{` [ 1 , "\u00e9\/" , {} , [] ] `, `[1,"é/",{},[]]`},
		{`"a\nb"`, `"a\nb"`},
		{`{"a":1,"a":2}`, `{"a":1,"a":2}`},
	}
	for _, tt := range tests {
		got, err := canonicalJSON([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"a":}`, `[1,`, `{"a" 1}`, `"open`, ``, `{}x`} {
		if _, err := canonicalJSON([]byte(bad)); err == nil {
			t.Errorf("canonicalJSON(%q) succeeded", bad)
		}
	}
}
