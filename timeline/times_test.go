package timeline

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// A time a case cannot hold (its time keys and stored events use Unix
// nanoseconds) is dropped with a warning instead of being stored wrapped
// around to another century.
func TestEventTimeRange(t *testing.T) {
	const flowHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	flow := func(start, end string) string {
		return flowHeader + "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 " + start + " " + end + " ACCEPT OK\n"
	}
	ct := func(at string) string {
		return `{"Records":[{"eventTime":"` + at + `","eventName":"X","eventID":"1"}]}`
	}
	alb := func(at string) string { return strings.Replace(albLine, "2024-05-01T10:00:00.123456Z", at, 1) }
	tests := []struct {
		name, kind, data string
		time, end        time.Time // want
		warn             string    // a warning holding this, or none
	}{
		{"cloudtrail year 1000", evidence.KindCloudTrail, ct("1000-01-02T03:04:05Z"), time.Time{}, time.Time{}, `"x" record 1: line 1: eventTime 1000-01-02T03:04:05Z is outside the years 1678 to 2261`},
		{"cloudtrail year 0", evidence.KindCloudTrail, ct("0000-01-02T03:04:05Z"), time.Time{}, time.Time{}, "eventTime 0000-01-02T03:04:05Z is outside"},
		{"cloudtrail 2262", evidence.KindCloudTrail, ct("2262-01-01T00:00:00Z"), time.Time{}, time.Time{}, "is outside the years"},
		{"cloudtrail last second", evidence.KindCloudTrail, ct("2261-12-31T23:59:59.999999999Z"), time.Date(2261, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Time{}, ""},
		{"cloudtrail first second", evidence.KindCloudTrail, ct("1678-01-01T00:00:00Z"), time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, ""},
		{"flow year 9999", evidence.KindVPCFlow, flow("253402300799", "1714557660"), time.Time{}, time.Unix(1714557660, 0).UTC(), `"x" line 2: start 9999-12-31T23:59:59Z is outside`},
		{"flow end year 3000", evidence.KindVPCFlow, flow("1714557600", "32503680000"), time.Unix(1714557600, 0).UTC(), time.Time{}, "end 3000-01-01T00:00:00Z is outside"},
		{"flow at the epoch", evidence.KindVPCFlow, flow("0", "0"), time.Unix(0, 0).UTC(), time.Unix(0, 0).UTC(), ""},
		{"alb year 0001", evidence.KindELBALB, alb("0001-01-01T00:00:00.000000Z"), time.Time{}, time.Time{}, `"x" line 1: time 0001-01-01T00:00:00Z is outside`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var evs []*Event
			var warns []string
			err := Parse(context.Background(), tt.kind, strings.NewReader(tt.data), ParseOptions{Name: "x"},
				func(e *Event) error { evs = append(evs, e); return nil },
				func(w Warning) { warns = append(warns, w.Message) })
			if err != nil || len(evs) != 1 {
				t.Fatalf("%d events, err %v, warnings %q", len(evs), err, warns)
			}
			e := evs[0]
			if !e.Time.Equal(tt.time) || e.Time.IsZero() != tt.time.IsZero() || !e.End.Equal(tt.end) || e.End.IsZero() != tt.end.IsZero() {
				t.Errorf("time %v end %v, want %v %v", e.Time, e.End, tt.time, tt.end)
			}
			switch {
			case tt.warn == "" && len(warns) > 0:
				t.Errorf("unexpected warnings %q", warns)
			case tt.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tt.warn)):
				t.Errorf("warnings %q, want one holding %q", warns, tt.warn)
			}
			// What is kept is what is stored.
			got, err := DecodeEvent(EncodeEvent(nil, e))
			if err != nil || !got.Time.Equal(e.Time) || got.Time.IsZero() != e.Time.IsZero() || !got.End.Equal(e.End) || got.End.IsZero() != e.End.IsZero() {
				t.Errorf("stored as %v %v (%v), parsed %v %v", got.Time, got.End, err, e.Time, e.End)
			}
		})
	}
}

// Version 1 stored events (a missing time written as 0) are still read.
func TestCodecV1(t *testing.T) {
	want := Event{Time: time.Date(2024, 5, 1, 10, 0, 0, 5, time.UTC), Source: SourceVPCFlow, SrcIP: "10.0.0.1", Raw: []byte(`"line"`)}
	v2 := encodeEvent(nil, &want, codecV2)
	if v2[0] != codecV2 || v2[1] != hasTime {
		t.Fatalf("header % x", v2[:2])
	}
	v1 := append([]byte{codecV1}, v2[2:]...)
	got, err := DecodeEvent(v1)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("v1: %v\n got %+v\nwant %+v", err, got, want)
	}
	if src := EventSourceOf(v1); src != SourceVPCFlow {
		t.Errorf("EventSourceOf(v1) = %q", src)
	}
	// An unknown flag is an unknown encoding, not a guess.
	bad := bytes.Clone(v2)
	bad[1] |= 0x80
	if _, err := DecodeEvent(bad); err == nil || !strings.Contains(err.Error(), "unknown encoding") {
		t.Errorf("unknown flag: %v", err)
	}
	if src := EventSourceOf(bad); src != "" {
		t.Errorf("EventSourceOf(unknown flag) = %q", src)
	}
}
