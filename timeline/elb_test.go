package timeline

import (
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

const albLine = `https 2024-05-01T10:00:00.123456Z app/web/abc 203.0.113.7:51000 10.0.1.5:8080 0.001 0.020 0.000 200 200 120 3400 "GET https://shop.example.com:443/search?q=a b HTTP/1.1" "curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1 "Root=1-x" "shop.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/c" 1 2024-05-01T10:00:00.100000Z "forward" "-" "-" "10.0.1.5:8080 10.0.1.6:8080" "200 200" "-" "-" TID_1 "-" "-" "-"`

func TestSplitELB(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`a "b c" d`, []string{"a", "b c", "d"}},
		{`"- - - " "-"`, []string{"- - - ", "-"}},
		{`"say "hi" there" x`, []string{`say "hi`, `there"`, "x"}},
		{`"q"x" y`, []string{`q"x`, "y"}},
		{`"unterminated x`, []string{"unterminated x"}},
		{`a  b`, []string{"a", "b"}},
		{`""`, []string{""}},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range splitELB(nil, tt.in) {
			got = append(got, tok.v)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitELB(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitRequest(t *testing.T) {
	tests := []struct{ in, m, u, p string }{
		{"GET http://h/ HTTP/1.1", "GET", "http://h/", "HTTP/1.1"},
		{"GET http://h/a b HTTP/1.1", "GET", "http://h/a b", "HTTP/1.1"},
		{"- - - ", "-", "-", "-"},
		{"- http://h:80-/ ", "-", "http://h:80-/", ""},
		{"GET", "GET", "", ""},
	}
	for _, tt := range tests {
		m, u, p := splitRequest(tt.in)
		if m != tt.m || u != tt.u || p != tt.p {
			t.Errorf("splitRequest(%q) = %q %q %q", tt.in, m, u, p)
		}
	}
}

func TestELB(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		events int
		warns  int
		check  func(t *testing.T, r result)
	}{
		{"alb all fields", albLine, 1, 0, func(t *testing.T, r result) {
			e := r.events[0]
			eq(t, "source", e.Source, SourceELB)
			eq(t, "account", e.Account, "123456789012")
			eq(t, "region", e.Region, "eu-west-1")
			eq(t, "url", e.Fields["request_url"], "https://shop.example.com:443/search?q=a b")
			eq(t, "targets", strings.Join(e.OtherIPs, ","), "10.0.1.6")
			eq(t, "terms", strings.Join(e.Terms(), " "), "ip:203.0.113.7 ip:10.0.1.5 ip:10.0.1.6")
			eq(t, "transformed_host", e.Fields["transformed_host"], "-")
			eq(t, "conn_trace_id", e.Fields["conn_trace_id"], "TID_1")
		}},
		{"alb extra trailing fields", albLine + ` "new" field 42`, 1, 0, func(t *testing.T, r result) {
			eq(t, "fields", len(r.events[0].Fields), len(albFields)+3)
		}},
		{"alb short (old) line", `http 2016-08-10T22:08:42.945958Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -`, 1, 0,
			func(t *testing.T, r result) {
				eq(t, "no trace", r.events[0].Fields["trace_id"], "")
			}},
		{"alb too short", `http 2016-08-10T22:08:42.945958Z app/x 1.2.3.4:1`, 0, 1, nil},
		{"control lines skipped", "Enable AccessLog for ELB: app/x/y at 2024-01-01T00:00:00.000Z\n" + albLine + "\n", 1, 0, func(t *testing.T, r result) {
			eq(t, "record", r.events[0].Record, int64(2))
		}},
		{"mixed kinds", albLine + "\n" +
			`2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -` + "\n" +
			`2024-10-04T17:05:15.514108Z 2001:db8::5 36280 443 TLSv1.3 TLS_AES_128_GCM_SHA256 4.036 "-" - - Success TID_2` + "\n" +
			`tls 2.0 2018-12-20T02:59:40 net/n/1 l 72.21.218.154:51341 172.100.100.185:443 5 - 98 246 - - - - - - - - - - 2018-12-20T02:59:30`, 4, 0,
			func(t *testing.T, r result) {
				kinds := []string{}
				for _, e := range r.events {
					kinds = append(kinds, e.Kind)
				}
				eq(t, "kinds", strings.Join(kinds, ","), "elb-alb,elb-clb,elb-alb-conn,elb-nlb")
				eq(t, "conn v6", r.events[2].SrcIP, "2001:db8::5")
				eq(t, "nlb no handshake", r.events[3].Outcome, "no handshake")
			}},
		{"garbage client", strings.Replace(albLine, "203.0.113.7:51000", "203.0.113.7.8:51000", 1), 1, 1, func(t *testing.T, r result) {
			eq(t, "kept as text", r.events[0].SrcIP, "203.0.113.7.8")
			eq(t, "terms", strings.Join(r.events[0].Terms(), " "), "ip:10.0.1.5 ip:10.0.1.6")
		}},
		{"8 KiB user agent", strings.Replace(albLine, `"curl/8.0"`, `"`+strings.Repeat("Mozilla ", 1024)+`"`, 1), 1, 0, func(t *testing.T, r result) {
			eq(t, "ua length", len(r.events[0].UserAgent), 8*1024)
		}},
		{"NUL bytes", strings.Replace(albLine, "curl/8.0", "cu\x00rl", 1), 1, 0, func(t *testing.T, r result) {
			eq(t, "ua", r.events[0].UserAgent, "cu\x00rl")
			if !json_valid(r.events[0].Raw) {
				t.Error("raw is not JSON")
			}
		}},
		{"bad time kept", albLine + "\n" + `h2 2024-99-01T10:00:00Z app/web/abc 1.2.3.4:1 - -1 -1 -1 400 - 0 0 "- - - " "-" - - - "-" "-" "-" - - "-" "-" "-" "-" "-" "-" "-"`, 2, 1, func(t *testing.T, r result) {
			eq(t, "zero time", r.events[1].Time.IsZero(), true)
		}},
		{"not ELB", "hello world\n" + albLine, 1, 1, func(t *testing.T, r result) {
			if !strings.Contains(r.warns[0].Message, `"elb.log" line 1: not an ELB log line`) {
				t.Errorf("warning %q", r.warns[0].Message)
			}
		}},
		{"overlong line", `http ` + strings.Repeat("x", MaxLineBytes+10) + "\n" + albLine, 1, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseBytes(t, evidence.KindELBALB, "elb.log", []byte(tt.in))
			if r.err != nil {
				t.Fatal(r.err)
			}
			if len(r.events) != tt.events || len(r.warns) != tt.warns {
				t.Fatalf("%d events, %d warnings; want %d, %d\n%s", len(r.events), len(r.warns), tt.events, tt.warns, r.warnText())
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}
