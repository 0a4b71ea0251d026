package timeline

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// flowEvents parses a flow log as acquire does (fields as an ordered
// list) and returns copies of its events.
func flowEvents(t testing.TB, name, text string) []Event {
	t.Helper()
	var out []Event
	err := Parse(context.Background(), evidence.KindVPCFlow, strings.NewReader(text), ParseOptions{Evidence: 7, Name: name, NoFieldMap: true},
		func(e *Event) error {
			out = append(out, *e)
			return nil
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const flowLines = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
	"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1418530010 1418530070 - NODATA\n" +
	"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\n"

// A flow record's line gives the event back: version 4 is written, and
// reads as the version 3 form of the same event reads.
func TestFlowLineRoundTrip(t *testing.T) {
	logs := map[string]string{
		"AWSLogs/1/vpcflowlogs/eu-west-1/2024/01/01/f.log": flowLines,
		"headerless.log": "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 51515 17 1 76 1418530010 1418530070 ACCEPT OK\n",
		"custom.log": "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status region custom-x\n" +
			"5 vpc-1 subnet-1 i-1 eni-1 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.99 6 568 8 1566848875 1566848933 ACCEPT 2 OK us-east-2 x\n" +
			"5 vpc-1 subnet-1 i-1 eni-1 123456789010 IPv4 52.213.180.42 10.0.0.62 99999 http 52.213.180.42 10.0.0.99 47 568 8 99999999999999 x REJECT 2 OK - y\n",
	}
	n := 0
	for name, text := range logs {
		for _, e := range flowEvents(t, name, text) {
			n++
			v4 := EncodeEvent(nil, &e)
			if v4[0] != codecV4 {
				t.Fatalf("%s record %d: written in version %d", name, e.Record, v4[0])
			}
			v3 := encodeEvent(nil, &e, codecV3)
			if len(v4) >= len(v3) {
				t.Errorf("%s record %d: version 4 takes %d bytes, version 3 %d", name, e.Record, len(v4), len(v3))
			}
			got, err := DecodeEvent(v4)
			want, werr := DecodeEvent(v3)
			if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s record %d (%v, %v):\n got %+v\nwant %+v", name, e.Record, err, werr, got, want)
			}
			var reused Event
			checkDecodeInto(t, &reused, v4)
		}
	}
	if n != 6 {
		t.Fatalf("%d events", n)
	}
}

// Whatever the line does not give back is kept: an event with any other
// value than its line's is written in version 3, or reads back the same.
func TestFlowLineEveryValue(t *testing.T) {
	base := flowEvents(t, "AWSLogs/1/vpcflowlogs/eu-west-1/f.log", flowLines)[0]
	if b := EncodeEvent(nil, &base); b[0] != codecV4 {
		t.Fatalf("written in version %d", b[0])
	}
	checkEveryValue(t, base, map[string]string{"version": "3"}, "OK", "OK ")
}

// Lines cutting at single spaces does not give back are written in
// version 3.
func TestFlowLineFallsBack(t *testing.T) {
	for _, line := range []string{
		"2 123456789010 eni-1  10.0.0.1 10.0.0.2 443 51515 17 1 76 1418530010 1418530070 ACCEPT OK",
		"2\t123456789010 eni-1 10.0.0.1 10.0.0.2 443 51515 17 1 76 1418530010 1418530070 ACCEPT OK",
		`2 123456789010 eni-"1 10.0.0.1 10.0.0.2 443 51515 17 1 76 1418530010 1418530070 ACCEPT OK`,
		"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 51515 17 1 76 1418530010 1418530070 ACCEPT OK ",
	} {
		for _, e := range flowEvents(t, "f.log", line+"\n") {
			b := EncodeEvent(nil, &e)
			if b[0] != codecV3 {
				t.Errorf("%q: written in version %d", line, b[0])
			}
			got, err := DecodeEvent(b)
			if err != nil || got.SrcIP != e.SrcIP || string(got.Raw) != string(e.Raw) || len(got.Fields) != len(e.fieldNames) {
				t.Errorf("%q: read back as %+v (%v)", line, got, err)
			}
		}
	}
}

// What a stored version 4 event reads as is part of the case: this one,
// written when version 4 was made, must read so for good.
func TestFlowLinePinned(t *testing.T) {
	// version 4, flags, head length; form 1, "vpcflow" twice, evidence 7,
	// record 2, "eu-west-1", list 1 of 14 names, no annotations; the line.
	const stored = "0403200107767063666c6f7707767063666c6f7707040965" +
		"752d776573742d31010e0022" +
		"322031323334353637383930313020656e692d31323335623863613132333435363738392031" +
		"37322e33312e31362e313339203137322e33312e31362e323120323036343120323220362032" +
		"3020343234392031343138353330303130203134313835333030373020414343455054204f4b" +
		"22"
	b, err := hex.DecodeString(stored)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	got.Fields, got.Raw = nil, nil
	js, _ := json.Marshal(got)
	const want = `{"time":"2014-12-14T04:06:50Z","source":"vpcflow","kind":"vpcflow","evidence":7,"record":2,"account":"123456789010","region":"eu-west-1","src_ip":"172.31.16.139","src_port":20641,"dst_ip":"172.31.16.21","dst_port":22,"action":"ACCEPT","outcome":"ACCEPT","protocol":"tcp","bytes":4249,"packets":20,"end":"2014-12-14T04:07:50Z"}`
	if string(js) != want {
		// flowNormal, or a helper it calls, reads lines differently now:
		// cases already stored would change what they say. Keep the old
		// reading for form 1 and give the new one a form of its own.
		t.Fatalf("a stored flow line reads as\n%s\nwant\n%s", js, want)
	}
}

// Stored events that are not quite version 4 are refused, not misread.
func TestFlowLineMalformed(t *testing.T) {
	e := flowEvents(t, "f.log", flowLines)[0]
	good := EncodeEvent(nil, &e)
	for name, b := range map[string][]byte{
		"unknown form":     append([]byte{codecV4, good[1], good[2], 9}, good[4:]...),
		"line cut short":   good[:len(good)-30],
		"no closing quote": good[:len(good)-1],
		"unknown flag":     append([]byte{codecV4, 0x80}, good[2:]...),
		"a field short":    []byte(strings.Replace(string(good), " OK", "", 1)),
		"time lost":        []byte(strings.Replace(string(good), "1418530010", "-000000000", 1)),
	} {
		if _, err := DecodeEvent(b); err == nil {
			t.Errorf("%s: read", name)
		}
		var into Event
		if err := DecodeEventInto(&into, b, DecodeOptions{FieldList: true}); err == nil {
			t.Errorf("%s: read into", name)
		}
	}
}

// elbLines are lines of every ELB kind, with the odd ones the parser
// aligns (a placeholder holding a space, fields missing and extra).
const elbLines = `http 2024-01-01T00:00:00.000000Z app/lb/1 10.0.0.1:1 10.0.0.2:80 0.1 0.1 0.1 200 200 10 20 "GET http://x/ HTTP/1.1" "ua" - - arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1
https 2024-01-01T00:00:01.000000Z app/lb/1 {Attacker IP}:0 10.0.0.2:80 0.1 0.1 0.1 403 - 10 20 "GET http://x/a b HTTP/1.1" "ua \\ \"q\"" c p arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1 "Root=1" "d" "arn" 0 2024-01-01T00:00:01.000000Z "forward" "-" "-" "10.0.0.2:80 10.0.0.3:80" "200 200" "-" "-" x y z w v u
2024-01-01T00:00:02.000000Z lb 10.0.0.1:2 10.0.0.2:80 0.1 0.1 0.1 200 200 1 2 "GET http://y/ HTTP/1.1" "ua" - -
tls 2.0 2024-01-01T00:00:03 net/lb/1 g 10.0.0.1:3 10.0.0.2:443 5 6 7 8 - arn:aws:acm:us-east-1:1:certificate/c - ECDHE TLSv12 - d.example h2 h2 "h2","http/1.1" 2024-01-01T00:00:03
tls 2.0 2024-01-01T00:00:04 net/lb/1 g 10.0.0.1:4 10.0.0.2:443 5 6 7 8 alert
2024-01-01T00:00:05.000000Z 10.0.0.1 5 443 TLSv1.2 ECDHE 1 - - - Success tr
`

// elbEvents parses ELB lines as acquire does and returns copies of their
// events.
func elbEvents(t testing.TB, text string) []Event {
	t.Helper()
	var out []Event
	err := Parse(context.Background(), evidence.KindELBALB, strings.NewReader(text), ParseOptions{Evidence: 7, Name: "elb.log", NoFieldMap: true},
		func(e *Event) error {
			c := *e
			c.fieldNames, c.fieldValues = slices.Clone(e.fieldNames), slices.Clone(e.fieldValues)
			out = append(out, c)
			return nil
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// An ELB record's line gives the event back: version 4 is written, and
// reads as the version 3 form of the same event reads, whichever way the
// parser kept its fields.
func TestELBLineRoundTrip(t *testing.T) {
	evs := elbEvents(t, elbLines)
	if len(evs) != 6 {
		t.Fatalf("%d events", len(evs))
	}
	for _, e := range evs {
		v4 := EncodeEvent(nil, &e)
		if v4[0] != codecV4 {
			t.Fatalf("record %d (%s): written in version %d", e.Record, e.Kind, v4[0])
		}
		v3 := encodeEvent(nil, &e, codecV3)
		if len(v4) >= len(v3) {
			t.Errorf("record %d: version 4 takes %d bytes, version 3 %d", e.Record, len(v4), len(v3))
		}
		got, err := DecodeEvent(v4)
		want, werr := DecodeEvent(v3)
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d (%v, %v):\n got %+v\nwant %+v", e.Record, err, werr, got, want)
		}
		var reused Event
		checkDecodeInto(t, &reused, v4)
		// The same event with its fields as a map is stored alike.
		m := e
		m.Fields = map[string]string{}
		for i, k := range e.fieldNames {
			m.Fields[k] = e.fieldValues[i]
		}
		m.fieldNames, m.fieldValues = nil, nil
		if b := EncodeEvent(nil, &m); !bytes.Equal(b, v4) {
			t.Fatalf("record %d: stored otherwise from a field map", e.Record)
		}
	}
}

// Whatever an ELB line does not give back is kept.
func TestELBLineEveryValue(t *testing.T) {
	base := elbEvents(t, elbLines)[0]
	if b := EncodeEvent(nil, &base); b[0] != codecV4 {
		t.Fatalf("written in version %d", b[0])
	}
	checkEveryValue(t, base, map[string]string{"type": "h2"}, "200 200", "200 201")
	// A field value changed after parsing.
	e := base
	e.fieldValues = slices.Clone(base.fieldValues)
	e.fieldValues[0] += "x"
	if b := EncodeEvent(nil, &e); b[0] != codecV3 {
		t.Fatalf("a changed field: written in version %d", b[0])
	}
}

// What a stored ELB line reads as is part of the case, as for flow lines.
func TestELBLinePinned(t *testing.T) {
	// Version 4, flags, head length; form 2, "elb", "elb-alb", evidence 7,
	// record 2, no annotations; the line as a JSON string.
	const stored = "0401100203656c6207656c622d616c6207040022" +
		"687474707320323032342d30312d30315430303a30303a30312e3030303030305a206170702f" +
		"6c622f31207b41747461636b65722049507d3a302031302e302e302e323a383020302e312030" +
		"2e3120302e3120343033202d203130203230205c2247455420687474703a2f2f782f61206220" +
		"485454502f312e315c22205c227561205c5c5c5c205c5c5c22715c5c5c225c22206320702061" +
		"726e3a6177733a656c61737469636c6f616462616c616e63696e673a75732d656173742d313a" +
		"313a74617267657467726f75702f742f31205c22526f6f743d315c22205c22645c22205c2261" +
		"726e5c22203020323032342d30312d30315430303a30303a30312e3030303030305a205c2266" +
		"6f72776172645c22205c222d5c22205c222d5c22205c2231302e302e302e323a38302031302e" +
		"302e302e333a38305c22205c22323030203230305c22205c222d5c22205c222d5c2220782079" +
		"207a20772076207522"
	b, err := hex.DecodeString(stored)
	if err != nil {
		t.Fatal(err)
	}
	if e := elbEvents(t, elbLines)[1]; !bytes.Equal(EncodeEvent(nil, &e), b) {
		t.Errorf("the line is stored otherwise now: cases already stored keep this form")
	}
	got, err := DecodeEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	got.Fields, got.Raw = nil, nil
	js, _ := json.Marshal(got)
	const want = `{"time":"2024-01-01T00:00:01Z","source":"elb","kind":"elb-alb","evidence":7,"record":2,"account":"1","region":"us-east-1","src_ip":"{Attacker IP}","dst_ip":"10.0.0.2","dst_port":80,"other_ips":["10.0.0.3"],"action":"GET http://x/a b HTTP/1.1","outcome":"403","user_agent":"ua \\\\ \\\"q\\\"","protocol":"https","bytes":30}`
	if string(js) != want {
		// The ELB parser reads lines differently now: see TestFlowLinePinned.
		t.Fatalf("a stored ELB line reads as\n%s\nwant\n%s", js, want)
	}
}

// Stored ELB lines that no longer give their event are refused.
func TestELBLineMalformed(t *testing.T) {
	e := elbEvents(t, elbLines)[0]
	good := EncodeEvent(nil, &e)
	for name, b := range map[string][]byte{
		"an unknown escape": []byte(strings.Replace(string(good), `\"ua\"`, `\"u\ta\"`, 1)),
		"a quote unescaped": []byte(strings.Replace(string(good), `\"ua\"`, `"ua"`, 1)),
		"no longer ELB":     []byte(strings.Replace(string(good), `"http 2024`, `"2 1 eni-1 `, 1)),
		"another kind":      []byte(strings.Replace(string(good), `"http 2024-01-01T00:00:00.000000Z app/lb/1 `, `"2024-01-01T00:00:00.000000Z lb `, 1)),
		"time lost":         []byte(strings.Replace(string(good), "2024-01-01T00:00:00.000000Z", "-", 1)),
		"no closing quote":  good[:len(good)-1],
	} {
		if bytes.Equal(b, good) {
			t.Fatalf("%s: nothing changed", name)
		}
		if _, err := DecodeEvent(b); err == nil {
			t.Errorf("%s: read", name)
		}
		var into Event
		if err := DecodeEventInto(&into, b, DecodeOptions{NormalisedOnly: true}); err == nil {
			t.Errorf("%s: read into", name)
		}
	}
}

// checkEveryValue changes each exported value of base in turn (Fields to
// fields, the raw text's from to to) and checks that the event stored
// reads back as its version 3 form does.
func checkEveryValue(t *testing.T, base Event, fields map[string]string, from, to string) {
	t.Helper()
	typ := reflect.TypeFor[Event]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		e := base
		e.fieldValues = slices.Clone(base.fieldValues)
		v := reflect.ValueOf(&e).Elem().Field(i)
		switch v.Interface().(type) {
		case string:
			v.SetString(v.String() + "x")
		case int, int64:
			v.SetInt(v.Int() + 1)
		case uint64:
			v.SetUint(v.Uint() + 1)
		case time.Time:
			v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
		case []string:
			v.Set(reflect.ValueOf(append(v.Interface().([]string), "x")))
		case map[string]string:
			e.Fields = fields
		case json.RawMessage:
			e.Raw = json.RawMessage(strings.Replace(string(e.Raw), from, to, 1))
		default:
			t.Fatalf("field %s of type %s: add it to this test", f.Name, f.Type)
		}
		b := EncodeEvent(nil, &e)
		got, err := DecodeEvent(b)
		want, werr := DecodeEvent(encodeEvent(nil, &e, codecV3))
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s changed, written in version %d (%v, %v):\n got %+v\nwant %+v", f.Name, b[0], err, werr, got, want)
		}
	}
}
