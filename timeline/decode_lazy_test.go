package timeline

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// asDecoded is e as DecodeEvent gives it: its field list as the map.
func asDecoded(e Event) Event {
	if len(e.fieldNames) > 0 {
		e.Fields = make(map[string]string, len(e.fieldNames))
		for i, n := range e.fieldNames {
			e.Fields[n] = e.fieldValues[i]
		}
	}
	e.fieldNames, e.fieldValues = nil, nil
	return e
}

// checkDecodeInto decodes b with DecodeEventInto into a reused event
// and checks that it reads as DecodeEvent reads it, field by field.
func checkDecodeInto(t *testing.T, reused *Event, b []byte) {
	t.Helper()
	want, werr := DecodeEvent(b)
	// NormalisedOnly reads what DecodeEvent reads but for the fields and
	// the raw text (which it may not even look at).
	norm := Event{fieldValues: []string{"stale"}}
	nerr := DecodeEventInto(&norm, b, DecodeOptions{NormalisedOnly: true})
	if werr == nil {
		w := want
		if len(b) > 0 && (b[0] == codecV3 || b[0] == codecV4) {
			w.Fields, w.Raw = nil, nil
		}
		if got := asDecoded(norm); nerr != nil || !reflect.DeepEqual(got, w) {
			t.Fatalf("NormalisedOnly (%v):\n got %+v\nwant %+v", nerr, got, w)
		}
	}
	gerr := DecodeEventInto(reused, b, DecodeOptions{FieldList: true})
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("DecodeEvent: %v, DecodeEventInto: %v", werr, gerr)
	}
	if werr != nil {
		return
	}
	if got := asDecoded(*reused); !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded into\n got %+v\nwant %+v", got, want)
	}
	for k, v := range want.Fields {
		if got, ok := reused.Field(k); !ok || got != v {
			t.Fatalf("field %q: %q %v, want %q", k, got, ok, v)
		}
	}
	// Borrow reads the same event, its raw text a slice of the bytes
	// given (which then hold the text wherever the event does); without
	// Borrow the text is a copy.
	own := slices.Clone(b)
	var borrowed Event
	if err := DecodeEventInto(&borrowed, own, DecodeOptions{FieldList: true, Borrow: true}); err != nil {
		t.Fatalf("Borrow: %v", err)
	}
	if got := asDecoded(borrowed); !reflect.DeepEqual(got, want) {
		t.Fatalf("Borrow:\n got %+v\nwant %+v", got, want)
	}
	if len(b) > 0 && b[0] != '{' && len(want.Raw) > 0 {
		clear(own)
		if !slices.Equal([]byte(borrowed.Raw), make([]byte, len(want.Raw))) {
			t.Fatalf("Borrow: the raw text %q is a copy", borrowed.Raw)
		}
		other := slices.Clone(b)
		var copied Event
		if err := DecodeEventInto(&copied, other, DecodeOptions{FieldList: true}); err != nil {
			t.Fatal(err)
		}
		if clear(other); !slices.Equal(copied.Raw, want.Raw) {
			t.Fatalf("without Borrow the raw text %q is not a copy", copied.Raw)
		}
	}
	var without Event
	if err := DecodeEventInto(&without, b, DecodeOptions{FieldList: true, NoRaw: []string{reused.Source}}); err != nil || without.Raw != nil {
		t.Fatalf("NoRaw: %v, raw %q", err, without.Raw)
	}
	// slices.Equal: a reused event's empty list and a new event's nil
	// list are the same fields.
	if !slices.Equal(without.fieldValues, reused.fieldValues) || !slices.Equal(without.fieldNames, reused.fieldNames) {
		t.Fatalf("NoRaw changed the fields: %q %q, want %q %q", without.fieldNames, without.fieldValues, reused.fieldNames, reused.fieldValues)
	}
}

// The events of each parser, decoded into one reused event in turn, read
// as DecodeEvent reads them.
func TestDecodeEventInto(t *testing.T) {
	logs := []struct{ kind, text string }{
		{evidence.KindVPCFlow, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id custom-x\n" +
			"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK vpc-1 a\n" +
			"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1418530010 1418530070 - NODATA - -\n"},
		{evidence.KindVPCFlow, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"},
		{evidence.KindELBALB, `https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" "TID_1234abcd5678ef90"` + "\n"},
		{evidence.KindCloudTrail, `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.30","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/r","roleSessionName":"s"},"responseElements":{"credentials":{"accessKeyId":"ASIAX"}},"eventID":"e-1","eventType":"AwsApiCall","recipientAccountId":"111122223333"}]}`},
	}
	var reused Event
	n := 0
	for _, l := range logs {
		for _, noMap := range []bool{true, false} {
			err := Parse(context.Background(), l.kind, strings.NewReader(l.text), ParseOptions{Name: "f", NoFieldMap: noMap},
				func(e *Event) error {
					n++
					checkDecodeInto(t, &reused, EncodeEvent(nil, e))
					checkDecodeInto(t, &reused, encodeEvent(nil, e, codecV2))
					return nil
				}, func(Warning) {})
			if err != nil {
				t.Fatalf("%s: %v", l.kind, err)
			}
		}
	}
	if n < 10 {
		t.Fatalf("%d events parsed", n)
	}
}

func FuzzDecodeEventInto(f *testing.F) {
	e := Event{Source: "elb", Fields: map[string]string{"a": "b", "c": "line"}, Annotations: []string{"x"}, Raw: json.RawMessage(`"line"`)}
	f.Add(EncodeEvent(nil, &e))
	f.Add(encodeEvent(nil, &e, codecV2))
	line := Event{Source: "vpcflow", fieldNames: []string{"version", "srcaddr"}, fieldValues: []string{"2", "10.0.0.1"}, Raw: json.RawMessage(`"2 10.0.0.1"`)}
	f.Add(EncodeEvent(nil, &line))
	flow := Event{Source: "vpcflow", fieldNames: flowFieldOrder[:14], fieldValues: strings.Fields("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK"), Raw: json.RawMessage(`"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK"`)}
	f.Add(EncodeEvent(nil, &flow))
	for _, e := range flowEvents(f, "AWSLogs/1/vpcflowlogs/eu-west-1/f.log", flowLines) {
		f.Add(EncodeEvent(nil, &e)) // version 4
	}
	for _, e := range elbEvents(f, elbLines) {
		f.Add(EncodeEvent(nil, &e)) // version 4, ELB lines
	}
	f.Add([]byte{codecV3, hasTime, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		reused := Event{fieldValues: []string{"stale"}}
		checkDecodeInto(t, &reused, b)
	})
}
