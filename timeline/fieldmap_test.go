package timeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// TestReuseEventEncodesTheSame parses the ELB and flow log samples, and
// lines of odd shapes, as the indexer does (NoFieldMap, BorrowRaw and
// ReuseEvent, everything taken during emit) and plainly: the stored
// form, the terms, the decoded fields and the direction hint must not
// differ.
func TestReuseEventEncodesTheSame(t *testing.T) {
	type input struct {
		kind string
		data []byte
	}
	var inputs []input
	for _, pat := range []string{"testdata/samples/*/*.log", "testdata/samples/*/*/*.log", "testdata/samples/**/testdata/*.log*", "testdata/sources/*.log"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			kind := evidence.KindELBALB
			if strings.Contains(f, "vpc") || strings.Contains(f, "flow") {
				kind = evidence.KindVPCFlow
			}
			inputs = append(inputs, input{kind, readSample(t, f)})
		}
	}
	// Odd ELB lines: fields missing and extra, a placeholder with a space,
	// an NLB line with and without its ALPN list.
	inputs = append(inputs, input{evidence.KindELBALB, []byte(
		`http 2024-01-01T00:00:00.000000Z app/lb/1 10.0.0.1:1 10.0.0.2:80 0.1 0.1 0.1 200 200 10 20 "GET http://x/ HTTP/1.1" "ua" - - arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1` + "\n" +
			`https 2024-01-01T00:00:01.000000Z app/lb/1 {Attacker IP}:0 10.0.0.2:80 0.1 0.1 0.1 403 - 10 20 "GET http://x/a b HTTP/1.1" "ua" c p arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1 "Root=1" "d" "arn" 0 2024-01-01T00:00:01.000000Z "forward" "-" "-" "10.0.0.2:80 10.0.0.3:80" "200 200" "-" "-" x y z w v u` + "\n" +
			`2024-01-01T00:00:02.000000Z lb 10.0.0.1:2 10.0.0.2:80 0.1 0.1 0.1 200 200 1 2 "GET http://y/ HTTP/1.1" "ua" - -` + "\n" +
			`tls 2.0 2024-01-01T00:00:03 net/lb/1 g 10.0.0.1:3 10.0.0.2:443 5 6 7 8 - arn:aws:acm:us-east-1:1:certificate/c - ECDHE TLSv12 - d.example h2 h2 "h2","http/1.1" 2024-01-01T00:00:03` + "\n" +
			`tls 2.0 2024-01-01T00:00:04 net/lb/1 g 10.0.0.1:4 10.0.0.2:443 5 6 7 8 alert` + "\n" +
			`2024-01-01T00:00:05.000000Z 10.0.0.1 5 443 TLSv1.2 ECDHE 1 - - - Success tr` + "\n")})
	if len(inputs) < 10 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	type seen struct {
		enc    []byte
		terms  []string
		fields map[string]string
		dir    FlowDirection
	}
	parse := func(in input, lean bool) []seen {
		var out []seen
		opts := ParseOptions{Name: "f", NoFieldMap: lean, BorrowRaw: lean, ReuseEvent: lean}
		err := Parse(context.Background(), in.kind, bytes.NewReader(in.data), opts, func(e *Event) error {
			enc := EncodeEvent(nil, e)
			d, err := DecodeEvent(enc)
			if err != nil {
				return err
			}
			out = append(out, seen{enc, e.Terms(), d.Fields, FlowDirectionHint(e)})
			return nil
		}, func(Warning) {})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	events := 0
	for i, in := range inputs {
		plain, lean := parse(in, false), parse(in, true)
		if len(plain) != len(lean) {
			t.Fatalf("input %d: %d events plainly, %d lean", i, len(plain), len(lean))
		}
		for j := range plain {
			if !reflect.DeepEqual(plain[j], lean[j]) {
				t.Errorf("input %d event %d differs:\nplain %+v\nlean  %+v", i, j, plain[j], lean[j])
			}
		}
		events += len(plain)
	}
	if events < 50 {
		t.Errorf("only %d events compared", events)
	}
	if testing.Verbose() {
		t.Logf("%d inputs, %d events", len(inputs), events)
	}
}

// readSample reads a sample file, inflating it when it is gzip.
func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}
