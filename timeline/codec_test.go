package timeline

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
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
