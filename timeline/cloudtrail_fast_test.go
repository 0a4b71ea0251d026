package timeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
)

// ctSlow is the reference: encoding/json.
func ctSlow(raw []byte) (ctRecord, bool) {
	var r ctRecord
	return r, json.Unmarshal(raw, &r) == nil
}

func checkFastAgrees(t *testing.T, raw []byte) {
	t.Helper()
	var fast ctRecord
	ok := ctUnmarshal(raw, &fast)
	slow, slowOK := ctSlow(raw)
	if ok && !slowOK {
		t.Fatalf("fast path accepted what encoding/json rejects: %q", raw)
	}
	if ok && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path disagrees on %q\nfast %+v\nslow %+v", raw, fast, slow)
	}
	if !json.Valid(raw) && ok {
		t.Fatalf("fast path accepted invalid JSON %q", raw)
	}
}

func TestCTFastAgreesOnSamples(t *testing.T) {
	f, err := os.Open("testdata/samples/panther/aws_cloudtrail_rules_test_logs.jsonl")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n, fast := 0, 0
	for sc.Scan() {
		var line struct {
			Log json.RawMessage `json:"log"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		checkFastAgrees(t, line.Log)
		var r ctRecord
		if ctUnmarshal(line.Log, &r) {
			fast++
		}
		n++
	}
	if n < 400 || fast < n*9/10 {
		t.Fatalf("%d records, %d on the fast path", n, fast)
	}
}

func TestCTFastEdgeCases(t *testing.T) {
	for _, s := range []string{
		`{}`, `{"eventName":null}`, `{"eventName":"A\u0042\n"}`, `{"EventName":"x"}`, `{"eventName":1}`,
		`{"userIdentity":{"type":"IAMUser","arn":"a"},"x":[1,2.5e-3,-0,true,false,null,{"y":"z"}]}`,
		`{"eventName":"x",}`, `{"eventName":"x"} trailing`, `{"a":01}`, `{"a":1.}`, `{"a":"\x"}`,
		`{"a":"` + "\x01" + `"}`, `{"CloudTrailEvent":"{\"eventName\":\"Inner\"}"}`, `{"digestStartTime":"2024"}`,
		`{"userIdentity":{"type":5}}`, `{"eventName":"bad \xff utf8"}`, `{"a":[}`, `[1]`, ``, `{"a":tru}`,
	} {
		checkFastAgrees(t, []byte(s))
	}
}

func FuzzCTFast(f *testing.F) {
	f.Add([]byte(`{"eventName":"AssumeRole","userIdentity":{"arn":"x"},"requestParameters":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{"eventTime":"2024-05-01T10:00:00Z","x":-1.5E+3}`))
	seedCTFast(f)
	seedCTDetail(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkFastAgrees(t, raw)
		checkDetailAgrees(t, raw)
	})
}

// checkDetailAgrees compares the decoder (goccy/go-json) with
// encoding/json on raw and reports whether the decoder took it.
func checkDetailAgrees(t testing.TB, raw []byte) bool {
	t.Helper()
	var fast ctDetail
	ok := ctUnmarshal(raw, &fast)
	if !ok {
		return false
	}
	var slow ctDetail
	if err := json.Unmarshal(raw, &slow); err != nil {
		t.Fatalf("ctUnmarshal accepted %q, which encoding/json rejects: %v", raw, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("ctUnmarshal disagrees on %q\nfast %s\nslow %s", raw, detailString(&fast), detailString(&slow))
	}
	return true
}

// detailString shows a ctDetail with its pointers followed.
func detailString(d *ctDetail) string {
	rp, re := &d.RequestParameters, &d.ResponseElements
	s := fmt.Sprintf("request{validation %v attributes %#v (nil %v) bucket %q name %q key %q", flexString(rp.EnableLogFileValidation),
		rp.Attributes, rp.Attributes == nil, rp.BucketName, rp.Name, rp.Key)
	if la := rp.LoadBalancerAttributes; la != nil {
		s += " lb{"
		if la.AccessLog != nil {
			s += "accessLog " + flexString(la.AccessLog.Enabled)
		}
		s += "}"
	}
	s += fmt.Sprintf("} response{console %q", re.ConsoleLogin)
	if re.Credentials != nil {
		s += fmt.Sprintf(" credentials %+v", *re.Credentials)
	}
	if re.AssumedRoleUser != nil {
		s += fmt.Sprintf(" assumed %+v", *re.AssumedRoleUser)
	}
	if re.FederatedUser != nil {
		s += fmt.Sprintf(" federated %+v", *re.FederatedUser)
	}
	return s + "}"
}

func flexString(b *flexBool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprintf("%+v", *b)
}

// isDetailRecord reports whether raw is a record whose ctDetail the
// parser decodes.
func isDetailRecord(raw []byte) bool {
	var r ctRecord
	if !ctUnmarshal(raw, &r) && json.Unmarshal(raw, &r) != nil {
		return false
	}
	return detailEvents[r.EventName] || credentialEvents[r.EventName]
}

// TestCTDetailFastSamples checks the decoder against encoding/json on
// every object of every CloudTrail sample, and that the records whose
// details the parser reads take the fast path.
func TestCTDetailFastSamples(t *testing.T) {
	files := ctSampleFiles(t)
	if len(files) == 0 {
		t.Skip("no CloudTrail samples")
	}
	objects, records, fast := 0, 0, 0
	names := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range jsonObjects(gunzip(t, b)) {
			objects++
			ok := checkDetailAgrees(t, raw)
			if !isDetailRecord(raw) {
				continue
			}
			records++
			if ok {
				fast++
			} else {
				var r ctRecord
				_ = json.Unmarshal(raw, &r)
				names[r.EventName]++
			}
		}
	}
	t.Logf("%d files, %d objects, %d detail records, %d on the fast path; slow: %v", len(files), objects, records, fast, names)
	if records < 20 || fast < records*9/10 {
		t.Fatalf("%d detail records, %d on the fast path", records, fast)
	}
}

// ctDetailCases are crafted records around ctDetail. fast is whether
// the decoder must take them (1) or may leave them to encoding/json (0,
// -1).
var ctDetailCases = []struct {
	in   string
	fast int
}{
	{ctDetailAssumeRole, 1},
	{ctDetailConsoleLogin, 1},
	{`{}`, 1},
	{` { } `, 1},
	{`{"requestParameters":null,"responseElements":null}`, 1},
	{`{"requestParameters":{},"responseElements":{}}`, 1},
	{`{"requestParameters":{"bucketName":"a"},"requestParameters":{"name":"n","key":"k"}}`, 1},
	{`{"requestParameters":{"bucketName":"a"},"requestParameters":null}`, 1},
	{`{"requestParameters":{"bucketName":"a","bucketName":null,"name":"x","name":"y"}}`, 1},
	{`{"responseElements":{"credentials":{"accessKeyId":"A"}},"responseElements":{"credentials":{"sessionToken":"x"}}}`, 1},
	{`{"responseElements":{"credentials":{"accessKeyId":"A"},"credentials":null}}`, 1},
	{`{"responseElements":{"credentials":null,"credentials":{}}}`, 1},
	{`{"responseElements":{"assumedRoleUser":{"arn":"a","assumedRoleId":"x"},"federatedUser":{"arn":"f","federatedUserId":"y"}}}`, 1},
	{`{"responseElements":{"assumedRoleUser":{"arn":"a"},"assumedRoleUser":{"arn":null},"federatedUser":null}}`, 1},
	{`{"responseElements":{"ConsoleLogin":"Failure","ConsoleLogin":null}}`, 1},
	// flexBool values.
	{`{"requestParameters":{"enableLogFileValidation":true}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":false}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"true"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"false"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"TRUE"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"False"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"yes"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":""}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"\"false\""}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":"f\u0061lse"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":1}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":0}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":null}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":{"a":"false"}}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":["false"]}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":true,"enableLogFileValidation":"junk"}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":true,"enableLogFileValidation":null}}`, 1},
	{`{"requestParameters":{"enableLogFileValidation":null,"enableLogFileValidation":"FALSE"}}`, 1},
	// Attributes, a slice of structs.
	{`{"requestParameters":{"attributes":[{"key":"access_logs.s3.enabled","value":"false"},{"key":"idle_timeout.timeout_seconds","value":"60"},{"key":"x","value":true}]}}`, 1},
	{`{"requestParameters":{"attributes":[]}}`, 1},
	{`{"requestParameters":{"attributes":[ ]}}`, 1},
	{`{"requestParameters":{"attributes":null}}`, 1},
	{`{"requestParameters":{"attributes":[null]}}`, 1},
	{`{"requestParameters":{"attributes":[null,{"key":"a","value":null,"extra":[1,{"k":"v"}]}]}}`, 1},
	{`{"requestParameters":{"attributes":[{"key":"a","value":false},{"key":"b","value":true},{"key":"c"}],"attributes":[{"value":"x"}]}}`, 1},
	{`{"requestParameters":{"attributes":[{"key":"a","value":false},{"key":"b","value":true},{"key":"c"}],"attributes":[{"value":"x"}],"attributes":[{},{},null,{}]}}`, 1},
	{`{"requestParameters":{"attributes":[{"key":"a","value":false}],"attributes":[],"attributes":[{}]}}`, 1},
	{`{"requestParameters":{"attributes":[{"key":"a","value":false}],"attributes":null,"attributes":[{}]}}`, 1},
	{`{"requestParameters":{"attributes":[{"key":"a","key":null,"value":"true","value":"junk"}]}}`, 1},
	// loadBalancerAttributes.
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":{"enabled":false,"s3BucketName":"b","emitInterval":5}}}}`, 1},
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":{"enabled":"false"}},"loadBalancerAttributes":{"accessLog":{"s3BucketName":"b"}}}}`, 1},
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":{"enabled":"false"}},"loadBalancerAttributes":{"accessLog":null}}}`, 1},
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":{"enabled":false}},"loadBalancerAttributes":null}}`, 1},
	{`{"requestParameters":{"loadBalancerAttributes":{"crossZoneLoadBalancing":{"enabled":true}}}}`, 1},
	// Strings that need unescaping or repair.
	{`{"requestParameters":{"bucketName":"a\u00e9\"\\\/\b\f\n\r\t\ud83d\ude00"}}`, 1},
	{`{"requestParameters":{"bucketName":"\ud800 lone","name":"\udc00\ud800x"}}`, 1},
	{"{\"requestParameters\":{\"bucketName\":\"bad \xff utf8\",\"name\":\"caf\xc3\xa9\"}}", 1},
	// Members the fast path skips.
	{`{"eventName":"X","additionalEventData":{"x\"y":[1,-2.5e10,true,false,null,{"a\u0041":"\u0000"}]},"big":1e99999}`, 1},
	{`{"requestParameters":{"lifecycleConfiguration":{"rule":[{"iD":"r","expiration":{"days":1}}]},"Host":"b.s3.amazonaws.com"}}`, 1},
	{"{\"requestParameters\":{\"\xff\":1,\"bucket\xc3\xb1ame\":\"x\"}}", 1},
	{"{\r\n\t\"requestParameters\"\t:\r\n{\"bucketName\"\n:\n\"b\"\n}\n}", 1},
	{`{"x\u0041":1}`, -1},

	// Keys encoding/json would match case-insensitively.
	{`{"RequestParameters":{"bucketName":"x"}}`, 0},
	{`{"responseelements":{"ConsoleLogin":"Failure"}}`, 0},
	{`{"requestParameters":{"BucketName":"x"}}`, 0},
	{`{"requestParameters":{"Name":"x"}}`, 0},
	{`{"requestParameters":{"KEY":"x"}}`, 0},
	{`{"requestParameters":{"EnableLogFileValidation":false}}`, 0},
	{`{"requestParameters":{"Attributes":[]}}`, 0},
	{`{"requestParameters":{"attributes":[{"Key":"x"}]}}`, 0},
	{`{"requestParameters":{"attributes":[{"VALUE":false}]}}`, 0},
	{`{"requestParameters":{"loadbalancerattributes":{}}}`, 0},
	{`{"requestParameters":{"loadBalancerAttributes":{"AccessLog":{}}}}`, 0},
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":{"Enabled":false}}}}`, 0},
	{`{"responseElements":{"consoleLogin":"Failure"}}`, 0},
	{`{"responseElements":{"Credentials":{}}}`, 0},
	{`{"responseElements":{"credentials":{"AccessKeyId":"x"}}}`, 0},
	{`{"responseElements":{"AssumedRoleUser":{}}}`, 0},
	{`{"responseElements":{"assumedRoleUser":{"ARN":"x"}}}`, 0},
	{`{"responseElements":{"federatedUser":{"Arn":"x"}}}`, 0},
	{"{\"requestParameters\":{\"\xe2\x84\xaaey\":\"x\"}}", 0},                    // U+212A folds to k
	{"{\"responseElements\":{\"credential\xc5\xbf\":{}}}", 0},                    // U+017F folds to s
	{"{\"requestParameters\":{\"attributes\":[{\"\xe2\x84\xaaey\":\"x\"}]}}", 0}, // U+212A folds to k
	// Escaped keys.
	{`{"request\u0050arameters":{}}`, 0},
	{`{"requestParameters":{"bucket\u004eame":"x"}}`, 0},
	{`{"responseElements":{"credentials":{"access\u004beyId":"x"}}}`, 0},
	// Wrong types.
	{`{"requestParameters":"x"}`, 0},
	{`{"requestParameters":[]}`, 0},
	{`{"requestParameters":1}`, 0},
	{`{"responseElements":true}`, 0},
	{`{"requestParameters":{"bucketName":1}}`, 0},
	{`{"requestParameters":{"bucketName":{}}}`, 0},
	{`{"requestParameters":{"name":["x"]}}`, 0},
	{`{"requestParameters":{"key":false}}`, 0},
	{`{"requestParameters":{"attributes":{}}}`, 0},
	{`{"requestParameters":{"attributes":"x"}}`, 0},
	{`{"requestParameters":{"attributes":[1]}}`, 0},
	{`{"requestParameters":{"attributes":[{"key":"a"},"x"]}}`, 0},
	{`{"requestParameters":{"attributes":[[]]}}`, 0},
	{`{"requestParameters":{"attributes":[{"key":1}]}}`, 0},
	{`{"requestParameters":{"loadBalancerAttributes":[]}}`, 0},
	{`{"requestParameters":{"loadBalancerAttributes":"x"}}`, 0},
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":"x"}}}`, 0},
	{`{"requestParameters":{"loadBalancerAttributes":{"accessLog":true}}}`, 0},
	{`{"responseElements":{"credentials":"x"}}`, 0},
	{`{"responseElements":{"credentials":{"accessKeyId":5}}}`, 0},
	{`{"responseElements":{"assumedRoleUser":true}}`, 0},
	{`{"responseElements":{"federatedUser":{"arn":[]}}}`, 0},
	{`{"responseElements":{"ConsoleLogin":{}}}`, 0},
	{`{"responseElements":{"ConsoleLogin":1}}`, 0},
	{`[]`, 0},
	{`"x"`, 0},
	{`null`, 0},
	// Invalid JSON.
	{``, 0},
	{`{`, 0},
	{`{"requestParameters":{"bucketName":"a",}}`, 0},
	{`{"requestParameters":{"bucketName":"a"}`, 0},
	{`{"requestParameters":{"bucketName":"a"}} x`, 0},
	{`{"requestParameters":{"enableLogFileValidation":tru}}`, 0},
	{`{"requestParameters":{"enableLogFileValidation":nul}}`, 0},
	{`{"requestParameters":{"enableLogFileValidation":nullx}}`, 0},
	{`{"requestParameters":{"attributes":nullx}}`, 0},
	{`{"requestParameters":{"attributes":[{},]}}`, 0},
	{`{"requestParameters":{"attributes":[{"value":01}]}}`, 0},
	{`{"requestParameters":{"attributes":[{"value":"\x"}]}}`, 0},
	{`{"requestParameters":{"attributes":[{}}}`, 0},
	{`{"requestParameters":{"attributes":[null}}`, 0},
	{`{"responseElements":{"credentials":{"accessKeyId":"a" "x":1}}}`, 0},
	{`{"responseElements":{"credentials":{"accessKeyId":"a"}}}}`, 0},
	{"{\"requestParameters\":{\"bucketName\":\"a\x01\"}}", 0},
	{`{"x":[1,2}`, 0},
}

// ctDetailAssumeRole and ctDetailConsoleLogin are records in the shape
// CloudTrail writes them.
const (
	ctDetailAssumeRole = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},` +
		`"eventTime":"2024-12-12T16:04:32Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",` +
		`"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Admin","roleSessionName":"alice-session","durationSeconds":3600,"tags":[{"key":"team","value":"ops"}]},` +
		`"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLENEW","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKENIQoJb3JpZ2luX2VjEXAMPLETOKEN","expiration":"Dec 12, 2024, 5:04:32 PM"},` +
		`"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:alice-session","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice-session"}},` +
		`"requestID":"82c13187-0cc9-445e-9862-65d3ee2c6b7d","eventID":"044e210e-6c5e-3f3e-8f04-2311a826f287","readOnly":true,` +
		`"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/Admin"}],"eventType":"AwsApiCall","managementEvent":true,` +
		`"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"sts.us-east-1.amazonaws.com"}}`
	ctDetailConsoleLogin = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},` +
		`"eventTime":"2024-06-02T19:41:40Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9",` +
		`"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36","requestParameters":null,` +
		`"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"No"},` +
		`"errorMessage":"Failed authentication","eventID":"364ad368-42bf-4e05-a500-971ddfe8ebff","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,` +
		`"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"signin.aws.amazon.com"}}`
)

func TestCTDetailFastCases(t *testing.T) {
	for _, tt := range ctDetailCases {
		if got := checkDetailAgrees(t, []byte(tt.in)); tt.fast == 1 && !got {
			t.Errorf("ctUnmarshal(%s) = false, want true", tt.in)
		}
	}
}

// TestCTDetailFastValues checks specific results of the fast path.
func TestCTDetailFastValues(t *testing.T) {
	decode := func(in string) *ctDetail {
		t.Helper()
		var d ctDetail
		if !ctUnmarshal([]byte(in), &d) {
			t.Fatalf("fast path refused %s", in)
		}
		return &d
	}
	d := decode(ctDetailAssumeRole)
	if c, u := d.ResponseElements.Credentials, d.ResponseElements.AssumedRoleUser; c == nil || c.AccessKeyID != "ASIAEXAMPLENEW" ||
		u == nil || u.ARN != "arn:aws:sts::111122223333:assumed-role/Admin/alice-session" || d.ResponseElements.FederatedUser != nil {
		t.Errorf("AssumeRole: %s", detailString(d))
	}
	if d := decode(ctDetailConsoleLogin); d.ResponseElements.ConsoleLogin != "Failure" || d.RequestParameters.Attributes != nil {
		t.Errorf("ConsoleLogin: %s", detailString(d))
	}
	for _, tt := range []struct {
		in   string
		want *flexBool
	}{
		{`true`, &flexBool{true, true}},
		{`"TRUE"`, &flexBool{true, true}},
		{`false`, &flexBool{true, false}},
		{`"False"`, &flexBool{true, false}},
		{`"no"`, &flexBool{}},
		{`0`, &flexBool{}},
		{`{}`, &flexBool{}},
		{`null`, nil},
		{`false,"enableLogFileValidation":"junk"`, &flexBool{true, false}},
		{`false,"enableLogFileValidation":null`, nil},
	} {
		d := decode(`{"requestParameters":{"enableLogFileValidation":` + tt.in + `}}`)
		if !reflect.DeepEqual(d.RequestParameters.EnableLogFileValidation, tt.want) {
			t.Errorf("enableLogFileValidation %s: got %s, want %s", tt.in, flexString(d.RequestParameters.EnableLogFileValidation), flexString(tt.want))
		}
	}
	// A repeated array decodes into the elements already there, even
	// those past the length the previous array left.
	d = decode(`{"requestParameters":{"attributes":[{"key":"a","value":false},{"key":"b","value":true},{"key":"c"}],"attributes":[{"value":"x"}],"attributes":[{},null,{"value":"false"}]}}`)
	want := ctAttributes{{"a", flexBool{true, false}}, {"b", flexBool{true, true}}, {"c", flexBool{true, false}}}
	if !reflect.DeepEqual(d.RequestParameters.Attributes, want) {
		t.Errorf("repeated attributes: got %+v, want %+v", d.RequestParameters.Attributes, want)
	}
	if a := decode(`{"requestParameters":{"attributes":[{"key":"a"}],"attributes":[]}}`).RequestParameters.Attributes; a == nil || len(a) != 0 {
		t.Errorf("empty attributes: got %#v, want an empty slice", a)
	}
	d = decode(`{"requestParameters":{"loadBalancerAttributes":{"accessLog":{"enabled":"false"}},"loadBalancerAttributes":{"accessLog":{"s3BucketName":"b"}}}}`)
	if la := d.RequestParameters.LoadBalancerAttributes; la == nil || la.AccessLog == nil || !la.AccessLog.Enabled.isFalse() {
		t.Errorf("repeated loadBalancerAttributes: %s", detailString(d))
	}
}

// seedCTDetail adds the crafted detail records and sample records whose
// details the parser reads to a fuzz target.
func seedCTDetail(f *testing.F) {
	for _, tt := range ctDetailCases {
		f.Add([]byte(tt.in))
	}
	for _, p := range ctSampleFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		n := 0
		for _, raw := range jsonObjects(gunzip(f, b)) {
			if n < 20 && isDetailRecord(raw) {
				f.Add(raw)
				n++
			}
		}
	}
}

// BenchmarkCTDetail compares the fast path with encoding/json on records
// whose details the parser reads.
func BenchmarkCTDetail(b *testing.B) {
	for _, rec := range []struct{ name, raw string }{{"AssumeRole", ctDetailAssumeRole}, {"ConsoleLogin", ctDetailConsoleLogin}} {
		raw := []byte(rec.raw)
		b.Run(rec.name+"/fast", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				var d ctDetail
				if !ctUnmarshal(raw, &d) {
					b.Fatal("fast path refused the record")
				}
			}
		})
		b.Run(rec.name+"/json", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				var d ctDetail
				if err := json.Unmarshal(raw, &d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
