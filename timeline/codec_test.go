package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

func TestCodecRoundTrip(t *testing.T) {
	evs := []Event{
		{},
		{Time: time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC), Source: SourceCloudTrail, Kind: "cloudtrail", Evidence: 7, Record: 42,
			Account: "111122223333", Region: "us-east-1", Principal: "arn:aws:iam::111122223333:user/alice", PrincipalType: "IAMUser",
			AccessKeyID: "AKIAEXAMPLE", UserName: "alice", SrcIP: "203.0.113.7", Action: "AssumeRole", Outcome: "success",
			EventID: "e-1", EventSource: "sts.amazonaws.com", UserAgent: "aws-cli/2", IssuedAccessKey: "ASIAX", IssuedSession: "arn:aws:sts::1:assumed-role/r/s",
			Annotations: []string{"anti-forensics: x"}, Raw: json.RawMessage(`{"eventName":"AssumeRole"}`)},
		{Time: time.Unix(1714557600, 0).UTC(), End: time.Unix(1714557660, 0).UTC(), Source: SourceVPCFlow, SrcIP: "10.0.0.1", SrcPort: 443,
			DstIP: "2001:db8::1", DstPort: 51515, Bytes: 1 << 40, Packets: -1, OtherIPs: []string{"10.0.0.9"},
			Fields: map[string]string{"action": "ACCEPT", "unknown-field": "x"}, Raw: json.RawMessage(`"2 1 eni-1 ..."`)},
	}
	for i, want := range evs {
		b := EncodeEvent(nil, &want)
		got, err := DecodeEvent(b)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d: round trip\n got %+v\nwant %+v", i, got, want)
		}
		if src := EventSourceOf(b); src != want.Source {
			t.Fatalf("%d: EventSourceOf = %q", i, src)
		}
		// Every truncation is an error, never a panic.
		for n := 0; n < len(b)-len(want.Raw); n++ {
			if _, err := DecodeEvent(b[:n]); err == nil && n < len(b)-len(want.Raw) {
				t.Fatalf("%d: truncated to %d bytes decoded without error", i, n)
			}
		}
	}
	// Events stored as JSON are still read.
	js, _ := json.Marshal(evs[1])
	if got, err := DecodeEvent(js); err != nil || got.Principal != evs[1].Principal {
		t.Fatalf("json event: %v %+v", err, got)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	e := Event{Source: "elb", Fields: map[string]string{"a": "b"}, Annotations: []string{"x"}, Raw: json.RawMessage(`"line"`)}
	f.Add(EncodeEvent(nil, &e))
	f.Add(encodeEvent(nil, &e, codecV2))
	line := Event{Source: "vpcflow", fieldNames: []string{"version", "srcaddr"}, fieldValues: []string{"2", "10.0.0.1"}, Raw: json.RawMessage(`"2 10.0.0.1"`)}
	f.Add(EncodeEvent(nil, &line))
	for _, e := range flowEvents(f, "AWSLogs/1/vpcflowlogs/eu-west-1/f.log", flowLines) {
		f.Add(EncodeEvent(nil, &e)) // version 4
	}
	for _, e := range elbEvents(f, elbLines) {
		f.Add(EncodeEvent(nil, &e)) // version 4, ELB lines
	}
	f.Add([]byte{codecV1, 0xff, 0xff})
	f.Add([]byte{codecV2, hasTime | hasEnd, 0x00})
	f.Add([]byte(`{"source":"vpcflow"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeEvent(b)
		if err != nil || len(b) == 0 || b[0] == '{' {
			return
		}
		again, err := DecodeEvent(EncodeEvent(nil, &ev))
		if err != nil || !reflect.DeepEqual(again, ev) {
			t.Fatalf("re-encode changed the event: %v", err)
		}
	})
}

// Version 3 writes a field's value as its place in the raw text when the
// raw text holds it byte for byte, and as a string when not (an escaped
// quote, a value the parser made); both read back, as do the same events
// in version 2.
func TestCodecV3FieldRefs(t *testing.T) {
	e := Event{Source: SourceELB, Kind: "elb-alb", Record: 3,
		Fields: map[string]string{
			"type": "https", "client:port": "203.0.113.7:4431", "request": `GET https://x/?q="a" HTTP/1.1`,
			"request_url": "https://x/", "user_agent": "curl/8.1", "made": "not in the line", "s": "-", "empty": "",
		},
		Raw: json.RawMessage(`"https 2024-05-01T10:00:00Z app/x 203.0.113.7:4431 \"GET https://x/?q=\"a\" HTTP/1.1\" \"curl/8.1\""`)}
	v3 := EncodeEvent(nil, &e)
	v2 := encodeEvent(nil, &e, codecV2)
	if v3[0] != codecV3 || len(v3) >= len(v2) {
		t.Fatalf("version %d, %d bytes (version 2: %d)", v3[0], len(v3), len(v2))
	}
	for _, b := range [][]byte{v3, v2} {
		got, err := DecodeEvent(b)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("version %d: %v\n got %+v\nwant %+v", b[0], err, got, e)
		}
	}
	// An event stored by version 2 is the same event as version 3 gives.
	if !SameStoredEvent(v2, v3) || !SameStoredEvent(v3, v3) {
		t.Fatal("versions 2 and 3 of one event are not the same event")
	}
	other := e
	other.Record = 4
	if SameStoredEvent(v2, EncodeEvent(nil, &other)) || SameStoredEvent(v3, EncodeEvent(nil, &other)) {
		t.Fatal("another event is the same event")
	}
	// A reference past the raw text is an error, never a value.
	short := append([]byte(nil), v3[:len(v3)-len(e.Raw)]...)
	short = append(short, e.Raw[:5]...)
	if _, err := DecodeEvent(short); err == nil {
		t.Fatal("a field past the raw text decoded")
	}
}

// The parsers' field names are those of the stored lists: a parser that
// names its fields otherwise needs a new list, or its events store every
// name again.
func TestFieldListsCoverParsers(t *testing.T) {
	sortedWith := func(names []string, extra ...string) []string {
		out := slices.Concat(names, extra)
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		names []string
		want  uint64
	}{
		{flowFieldOrder[:14], 1}, {flowFieldOrder, 1}, {sortedWith(flowFieldOrder[:21]), 2},
		{sortedWith(albFields, "request_method", "request_url", "request_protocol"), 3},
		{sortedWith(albFields[:29], "request_method", "request_url", "request_protocol"), 3},
		{sortedWith(clbFields, "request_method", "request_url", "request_protocol"), 4},
		{sortedWith(nlbFields), 5}, {sortedWith(connFields), 6},
		{[]string{"srcaddr", "dstaddr"}, 0},
	} {
		if got := fieldListOf(tc.names, 0); got != tc.want {
			t.Errorf("%d names from %q: list %d, want %d", len(tc.names), tc.names[0], got, tc.want)
		}
		if tc.want != 0 && !slices.Equal(fieldList(tc.want, uint64(len(tc.names))), tc.names) {
			t.Errorf("list %d of %d names does not read back", tc.want, len(tc.names))
		}
	}
	if fieldList(0, 14) != nil || fieldList(1, 41) != nil || fieldList(7, 1) != nil {
		t.Error("a list that does not exist")
	}
}

// BenchmarkDecodeEvent decodes a flow record, an ALB request and a
// CloudTrail record as version 2 and version 3 store them.
func BenchmarkDecodeEvent(b *testing.B) {
	logs := []struct{ kind, name, text string }{
		{evidence.KindVPCFlow, "flow", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"},
		{evidence.KindELBALB, "alb", `https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" "TID_1234abcd5678ef90"` + "\n"},
		{evidence.KindCloudTrail, "cloudtrail", `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.30","requestParameters":{"bucketName":"b","key":"k"},"responseElements":null,"eventID":"e-1","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}]}`},
	}
	for _, l := range logs {
		var ev *Event
		err := Parse(context.Background(), l.kind, strings.NewReader(l.text), ParseOptions{Name: "f", NoFieldMap: true},
			func(e *Event) error { ev = e; return nil }, func(Warning) {})
		if err != nil || ev == nil {
			b.Fatalf("%s: %v", l.name, err)
		}
		forms := [][]byte{encodeEvent(nil, ev, codecV2), encodeEvent(nil, ev, codecV3)}
		if data := EncodeEvent(nil, ev); data[0] == codecV4 {
			forms = append(forms, data)
		}
		for _, data := range forms {
			b.Run(fmt.Sprintf("%s/v%d", l.name, data[0]), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := DecodeEvent(data); err != nil {
						b.Fatal(err)
					}
				}
			})
			// As findings and export read: into a reused event, fields
			// as a list.
			b.Run(fmt.Sprintf("%s/v%d/into", l.name, data[0]), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				var e Event
				for b.Loop() {
					if err := DecodeEventInto(&e, data, DecodeOptions{FieldList: true}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
