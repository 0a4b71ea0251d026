package timeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// result is what one Parse call produced.
type result struct {
	events []*Event
	warns  []Warning
	err    error
}

func (r result) warnText() string {
	var b strings.Builder
	for _, w := range r.warns {
		b.WriteString(w.Message)
		b.WriteByte('\n')
	}
	return b.String()
}

func parseBytes(t testing.TB, kind, name string, b []byte) result {
	t.Helper()
	var r result
	r.err = Parse(context.Background(), kind, bytes.NewReader(b), ParseOptions{Evidence: 7, Name: name},
		func(e *Event) error { r.events = append(r.events, e); return nil },
		func(w Warning) { r.warns = append(r.warns, w) })
	return r
}

// gunzip returns b decompressed when it is gzip (first member only).
func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sample reads a file copied under testdata/samples.
func sample(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return gunzip(t, b)
}

// sharedSamples is the shared sample folder (files that may not be copied).
const sharedSamples = "../../shared/samples"

// shared reads a file in place from the shared sample folder, skipping
// the test when the folder is absent.
func shared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedSamples, filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return gunzip(t, b)
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestParseISOTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = invalid
	}{
		{"2020-01-11T16:55:20.356586Z", "2020-01-11T16:55:20.356586Z"},
		{"2018-12-20T02:59:40", "2018-12-20T02:59:40Z"},
		{"2014-03-06T17:10:34Z", "2014-03-06T17:10:34Z"},
		{"2022-02-08 09:23:37+11:00", "2022-02-07T22:23:37Z"},
		{"2022-02-08T09:23:37-02:30", "2022-02-08T11:53:37Z"},
		{"2021-02-31T00:00:00Z", ""},
		{"2021-13-01T00:00:00Z", ""},
		{"2021-01-01T00:00:00.Z", ""},
		{"2021-01-01T00:00:00X", ""},
		{"not a time at all!!", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseISOTime(tt.in)
			if tt.want == "" {
				if ok {
					t.Fatalf("parseISOTime(%q) = %v, want invalid", tt.in, got)
				}
				return
			}
			if !ok || !got.Equal(mustTime(t, tt.want)) || got.Location() != time.UTC {
				t.Fatalf("parseISOTime(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestSplitHostPort(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
		ok   bool
	}{
		{"192.168.1.10:44325", "192.168.1.10", 44325, true},
		{"2a02:a33c:4538:1:bcf4:5264:e01c:f215:50718", "2a02:a33c:4538:1:bcf4:5264:e01c:f215", 50718, true},
		{"[fe80::202:b3ff:fe1e:8329]:443", "fe80::202:b3ff:fe1e:8329", 443, true},
		{"[2001:db8::1]:80", "2001:db8::1", 80, true},
		{"-", "", 0, true},
		{"12.34.178.90.32:40860", "12.34.178.90.32", 40860, false},
		{"10.0.0.1:99999", "10.0.0.1", 0, false},
		{"10.0.0.1", "10.0.0.1", 0, false},
		{"[::1]", "::1", 0, false},
		{"[::1:80", "[::1:80", 0, false},
		{"{Attacker IP}:00000", "{Attacker IP}", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, p, ok := splitHostPort(tt.in)
			if h != tt.host || p != tt.port || ok != tt.ok {
				t.Fatalf("splitHostPort(%q) = %q, %d, %v; want %q, %d, %v", tt.in, h, p, ok, tt.host, tt.port, tt.ok)
			}
		})
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, `"plain"`},
		{"a\"b\\c", `"a\"b\\c"`},
		{"nul\x00tab\tnl\n", `"nul\u0000tab\tnl\n"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"ünï", `"ünï"`},
		{"\u2028", `"\u2028"`},
	}
	for _, tt := range tests {
		if got := string(jsonString([]byte(tt.in))); got != tt.want {
			t.Errorf("jsonString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestLineReaderCapsLongLines(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 3*MaxLineBytes) + "\nafter\r\nlast"
	lr := newLineReader(strings.NewReader(in))
	type got struct {
		line string
		long bool
	}
	var all []got
	for {
		b, long, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, got{string(b), long})
	}
	want := []got{{"short", false}, {"", true}, {"after", false}, {"last", false}}
	if len(all) != len(want) {
		t.Fatalf("got %d lines, want %d", len(all), len(want))
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("line %d = %q long=%v, want %q long=%v", i+1, all[i].line, all[i].long, want[i].line, want[i].long)
		}
	}
	if lr.line != 4 {
		t.Errorf("line count %d, want 4", lr.line)
	}
}

func TestParseUnknownKinds(t *testing.T) {
	for _, kind := range []string{evidence.KindUnknown, evidence.KindCloudTrailDigest} {
		r := parseBytes(t, kind, "x", []byte(`{"digestStartTime":"2020-01-01T00:00:00Z"}`))
		if r.err != nil || len(r.events) != 0 || len(r.warns) != 0 {
			t.Errorf("%s: %d events, %d warnings, err %v; want nothing", kind, len(r.events), len(r.warns), r.err)
		}
	}
	r := parseBytes(t, "syslog", "x", []byte("hello"))
	if !errors.Is(r.err, ErrUnknownKind) || !strings.Contains(r.err.Error(), `"x"`) {
		t.Errorf("unknown kind: err = %v, want ErrUnknownKind naming the file", r.err)
	}
}

func TestParseStopsOnEmitError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	in := "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"
	err := Parse(context.Background(), evidence.KindVPCFlow, strings.NewReader(in), ParseOptions{},
		func(*Event) error { n++; return stop }, nil)
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d events, want stop after 1", err, n)
	}
}

func TestParseCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := strings.Repeat("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n", 5000)
	err := Parse(ctx, evidence.KindVPCFlow, strings.NewReader(in), ParseOptions{}, func(*Event) error { return nil }, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
