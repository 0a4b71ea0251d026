package timeline

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// TestNoFieldMapEncodesTheSame parses flow logs with and without
// ParseOptions.NoFieldMap: the stored form, the index terms and the
// decoded events must not differ.
func TestNoFieldMapEncodesTheSame(t *testing.T) {
	logs := []string{
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
			"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
			"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n",
		"srcaddr dstaddr tcp-flags start action log-status extra\n10.0.0.1 10.0.0.2 18 1700000000 ACCEPT OK x\n",
		"srcaddr srcaddr start\n10.0.0.1 10.0.0.9 1700000000\n",                                      // a name twice: the map decides
		"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 50000 6 3 300 1700000000 1700000060 ACCEPT OK\n", // no header
	}
	for _, in := range logs {
		parse := func(lean bool) []*Event {
			var evs []*Event
			err := Parse(context.Background(), evidence.KindVPCFlow, bytes.NewReader([]byte(in)), ParseOptions{Name: "f", NoFieldMap: lean},
				func(e *Event) error { evs = append(evs, e); return nil }, func(Warning) {})
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		full, lean := parse(false), parse(true)
		if len(full) == 0 || len(full) != len(lean) {
			t.Fatalf("%q: %d events with the map, %d without", in, len(full), len(lean))
		}
		for i := range full {
			a, b := EncodeEvent(nil, full[i]), EncodeEvent(nil, lean[i])
			if !bytes.Equal(a, b) {
				t.Errorf("%q event %d: encodings differ", in, i)
			}
			if ta, tb := full[i].Terms(), lean[i].Terms(); !reflect.DeepEqual(ta, tb) {
				t.Errorf("%q event %d: terms %v vs %v", in, i, ta, tb)
			}
			if FlowDirectionHint(full[i]) != FlowDirectionHint(lean[i]) {
				t.Errorf("%q event %d: direction differs", in, i)
			}
			d, err := DecodeEvent(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Fields, full[i].Fields) {
				t.Errorf("%q event %d: decoded fields %v, want %v", in, i, d.Fields, full[i].Fields)
			}
		}
	}
}

// TestBorrowRawEncodesTheSame: with ParseOptions.BorrowRaw, events
// encoded during emit are the same as without it.
func TestBorrowRawEncodesTheSame(t *testing.T) {
	in := []byte(`{"Records":[` +
		`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"10.0.0.1","eventID":"a","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice"}},` +
		`{"eventTime":"2024-05-01T10:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","sourceIPAddress":"10.0.0.2","eventID":"b","responseElements":{"credentials":{"accessKeyId":"ASIAX"}}},` +
		`{"eventTime":"2024-05-01T10:00:02Z","eventName":"ConsoleLogin","eventID":"c","responseElements":{"ConsoleLogin":"Failure"}}]}`)
	encode := func(borrow bool) [][]byte {
		var out [][]byte
		err := Parse(context.Background(), evidence.KindCloudTrail, bytes.NewReader(in), ParseOptions{Name: "ct", BorrowRaw: borrow},
			func(e *Event) error { out = append(out, EncodeEvent(nil, e)); return nil }, func(Warning) {})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := encode(false), encode(true)
	if len(a) != 3 || len(a) != len(b) {
		t.Fatalf("%d and %d events", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("event %d differs", i)
		}
	}
}
