package timeline

import (
	"bytes"
	"encoding/json"
	"math/rand"
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

// The types resources were decoded with before requestParameters and
// resources[] were read by scanning, with a value of another type ignored
// (declParamsField, declResources): what TestResourcesAsDecoded compares
// the scanning with.
type (
	declResource struct {
		ARN ctName `json:"ARN"`
	}
	declNames  []string
	declItems  []string
	declParams struct {
		BucketName   ctName    `json:"bucketName"`
		Key          ctName    `json:"key"`
		InstanceID   ctName    `json:"instanceId"`
		InstanceIDs  declNames `json:"instanceIds"`
		InstancesSet declItems `json:"instancesSet"`
		RoleName     ctName    `json:"roleName"`
		UserName     ctName    `json:"userName"`
		PolicyArn    ctName    `json:"policyArn"`
		FunctionName ctName    `json:"functionName"`
		SecretID     ctName    `json:"secretId"`
		SnapshotID   ctName    `json:"snapshotId"`
		GroupID      ctName    `json:"groupId"`
	}
	declRecord struct {
		Resources         declResources   `json:"resources"`
		RequestParameters declParamsField `json:"requestParameters"`
	}
	declParamsField struct{ p *declParams }
	declResources   []declResource
	// strictRecord is declRecord without ignoring values of other types.
	strictRecord struct {
		Resources         []declResource `json:"resources"`
		RequestParameters *declParams    `json:"requestParameters"`
	}
	scanRecord struct {
		ctAffected
	}
)

// decodeAs is goccy/go-json, then encoding/json keeping what decoded.
func decodeAs(d []byte, v any) {
	if !ctUnmarshal(d, v) {
		_ = json.Unmarshal(d, v)
	}
}

func (f *declParamsField) UnmarshalJSON(d []byte) error {
	if d = bytes.TrimSpace(d); len(d) == 0 || d[0] != '{' {
		f.p = nil
		return nil
	}
	if f.p == nil {
		f.p = new(declParams)
	}
	q := *f.p
	if ctUnmarshal(d, &q) {
		*f.p = q
	} else {
		_ = json.Unmarshal(d, f.p)
	}
	return nil
}

func (l *declResources) UnmarshalJSON(d []byte) error {
	*l = nil
	var els []json.RawMessage
	if json.Unmarshal(d, &els) != nil {
		return nil
	}
	for _, el := range els {
		if el[0] == '{' {
			var r declResource
			decodeAs(el, &r)
			*l = append(*l, r)
		}
	}
	return nil
}

func (n *declNames) UnmarshalJSON(d []byte) error {
	var v []ctName
	if ctUnmarshal(d, &v) {
		for _, s := range v {
			*n = append(*n, string(s))
		}
	}
	return nil
}

func (n *declItems) UnmarshalJSON(d []byte) error {
	if len(d) == 0 || d[0] != '{' {
		return nil
	}
	var v struct {
		Items []struct {
			InstanceID ctName `json:"instanceId"`
		} `json:"items"`
	}
	if ctUnmarshal(d, &v) {
		for _, it := range v.Items {
			*n = append(*n, string(it.InstanceID))
		}
	}
	return nil
}

// decodeBoth decodes a record as ctDecode does (goccy/go-json, then
// encoding/json), returning what it says.
func decodeBoth(raw []byte, v any, reset func()) string {
	if ctUnmarshal(raw, v) {
		return "ok"
	}
	reset()
	if err := json.Unmarshal(raw, v); err != nil {
		return err.Error()
	}
	return "ok by encoding/json"
}

// declList is ctResources of the decoded record.
func declList(r *declRecord) []string {
	rs := make([]ctResource, len(r.Resources))
	for i, x := range r.Resources {
		rs[i].ARN = x.ARN
	}
	if r.RequestParameters.p == nil {
		return ctResources(rs, nil)
	}
	p := ctParams(*fieldsOf(r.RequestParameters.p))
	return ctResources(rs, &p)
}

// fieldsOf converts the declared parameters field by field.
func fieldsOf(d *declParams) *ctParamsFields {
	return &ctParamsFields{
		BucketName: d.BucketName, Key: d.Key, InstanceID: d.InstanceID,
		InstanceIDs: ctNames(d.InstanceIDs), InstancesSet: ctItems(d.InstancesSet),
		RoleName: d.RoleName, UserName: d.UserName, PolicyArn: d.PolicyArn, FunctionName: d.FunctionName,
		SecretID: d.SecretID, SnapshotID: d.SnapshotID, GroupID: d.GroupID,
	}
}

// randomParams writes a requestParameters value: mostly objects of the
// names resources are read from, in the usual and in odd shapes.
func randomParams(r *rand.Rand) string {
	ws := func() string { return []string{"", "", "", " ", "\n  "}[r.Intn(5)] }
	str := []string{`"b1"`, `"i-1"`, `"a\/b"`, `"x\u0041"`, `"bad\q"`, `" pad "`, `""`, `"-"`}
	vals := []string{`5`, `null`, `true`, `{"x":1}`, `[]`, `["i-2",7,"i-3"]`, `[{"a":"b"}]`, `"s"`,
		`{"items":[{"instanceId":"i-4"},{"instanceId":"i-5","x":[1]}]}`, `{"items":[{"instanceId":5},{}]}`,
		`{"items":null}`, `{"items":[1]}`, `{"items":{}}`, `{"items":[{"instanceId":"i-6"}],"items":[{"instanceId":"i-7"}]}`,
		`{"ITEMS":[{"InstanceID":"i-8"}]}`, `{"items":[null]}`, `{"it\u0065ms":[{"instanceId":"i-9"}]}`}
	keys := []string{"bucketName", "key", "instanceId", "instanceIds", "instancesSet", "roleName", "userName", "policyArn",
		"functionName", "secretId", "snapshotId", "groupId", "BUCKETNAME", "InstanceIds", "other", `bucket\u004eame`, "ſecretId", "keys"}
	switch r.Intn(12) {
	case 0:
		return []string{`null`, `"x"`, `5`, `[]`, `[{"bucketName":"b"}]`, `true`, ` null `}[r.Intn(7)]
	}
	var parts []string
	for range r.Intn(6) {
		v := str[r.Intn(len(str))]
		if r.Intn(3) == 0 {
			v = vals[r.Intn(len(vals))]
		}
		parts = append(parts, ws()+`"`+keys[r.Intn(len(keys))]+`"`+ws()+":"+ws()+v+ws())
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func randomResources(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return []string{`null`, `{}`, `"x"`, `[1]`, `[null]`, `[[]]`, `[ ]`}[r.Intn(7)]
	}
	var parts []string
	for range r.Intn(4) {
		k := []string{"ARN", "arn", "Arn", "type", `A\u0052N`}[r.Intn(5)]
		v := []string{`"arn:aws:s3:::b"`, `"arn:aws:iam::1:role/r"`, `5`, `null`, `"x\"y"`, `{"a":[1,{"b":"]"}]}`}[r.Intn(6)]
		parts = append(parts, `{"accountId":"1",`+` "`+k+`": `+v+`}`)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// TestResourcesAsDecoded checks that scanning requestParameters and
// resources[] gives the resources and errors that decoding them into
// structs gave, on random records of usual and odd shapes.
func TestResourcesAsDecoded(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	named, odd := 0, 0
	for range 20000 {
		raw := `{"eventName":"X","requestParameters":` + randomParams(r)
		if r.Intn(2) == 0 {
			raw += `,"resources":` + randomResources(r)
		}
		if r.Intn(20) == 0 {
			raw += `,"requestParameters":` + randomParams(r)
		}
		raw += `}`
		var d declRecord
		var s scanRecord
		wantErr := decodeBoth([]byte(raw), &d, func() { d = declRecord{} })
		gotErr := decodeBoth([]byte(raw), &s, func() { s = scanRecord{} })
		want, got := declList(&d), s.list()
		if wantErr != gotErr || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nscanned: %q, %s\ndecoded: %q, %s", raw, got, gotErr, want, wantErr)
		}
		if len(want) > 0 {
			named++
		}
		var strict strictRecord
		if json.Unmarshal([]byte(raw), &strict) != nil {
			odd++
		}
	}
	if named < 8000 || odd < 4000 {
		t.Fatalf("%d records with resources, %d of odd types: the test compares too little", named, odd)
	}
}
