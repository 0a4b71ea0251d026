package timeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trailcase/trailcase/evidence"
)

// ctSampleFiles lists the CloudTrail files under testdata/samples and,
// when present, ../../shared/samples.
func ctSampleFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, root := range []string{filepath.Join("testdata", "samples"), filepath.Join("..", "..", "shared", "samples")} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := strings.ToLower(p)
			if strings.Contains(name, "cloudtrail") && !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".md") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// jsonObjects returns every JSON object in data: top-level values (or
// lines), the objects nested in them and JSON text held in strings.
func jsonObjects(data []byte) [][]byte {
	var out [][]byte
	var walk func(raw []byte)
	walk = func(raw []byte) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return
		}
		switch raw[0] {
		case '{':
			out = append(out, raw)
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) == nil {
				for _, v := range m {
					walk(v)
				}
			}
		case '[':
			var a []json.RawMessage
			if json.Unmarshal(raw, &a) == nil {
				for _, v := range a {
					walk(v)
				}
			}
		case '"':
			var s string
			if json.Unmarshal(raw, &s) == nil && strings.HasPrefix(strings.TrimSpace(s), "{") {
				walk([]byte(s))
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var vals []json.RawMessage
	for {
		var v json.RawMessage
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			vals = nil
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			for sc.Scan() {
				vals = append(vals, bytes.Clone(sc.Bytes()))
			}
			break
		}
		vals = append(vals, v)
	}
	for _, v := range vals {
		walk(v)
	}
	return out
}

// TestCTFastSampleObjects checks the record decoder against encoding/json on
// every object of every CloudTrail sample, and that real records with a
// userIdentity take the fast path.
func TestCTFastSampleObjects(t *testing.T) {
	files := ctSampleFiles(t)
	if len(files) == 0 {
		t.Skip("no CloudTrail samples")
	}
	objects, records, fast := 0, 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range jsonObjects(gunzip(t, b)) {
			objects++
			checkFastAgrees(t, raw)
			var probe map[string]json.RawMessage
			if json.Unmarshal(raw, &probe) != nil || probe["userIdentity"] == nil || probe["eventName"] == nil {
				continue
			}
			records++
			var r ctRecord
			if ctUnmarshal(raw, &r) {
				fast++
			}
		}
	}
	t.Logf("%d files, %d objects, %d records with userIdentity, %d on the fast path", len(files), objects, records, fast)
	if records < 20 || fast < records*9/10 {
		t.Fatalf("%d records with userIdentity, %d on the fast path", records, fast)
	}
}

// ctIdentityCases are crafted records around userIdentity. fast is
// whether the record decoder must take them (1) or may leave them to
// encoding/json (0, -1).
var ctIdentityCases = []struct {
	in   string
	fast int
}{
	{`{"userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::1:user/a","accountId":"1","accessKeyId":"AKIA","userName":"a","invokedBy":"x","identityProvider":"idp"}}`, 1},
	{`{"userIdentity":null}`, 1},
	{`{"userIdentity":{}}`, 1},
	{`{"userIdentity" : { "type" : "A" , "arn" : "b" } }`, 1},
	{`{"userIdentity":{"type":null,"arn":"a","onBehalfOf":null,"sessionContext":null}}`, 1},
	{`{"userIdentity":{"type":"A","type":null,"arn":"x","arn":"y"}}`, 1},
	{`{"eventName":"x","eventName":null,"eventSource":"s","eventSource":"t"}`, 1},
	{`{"userIdentity":{"type":"A","sessionContext":{"sessionIssuer":{"arn":"x"}}},"userIdentity":{"arn":"b","sessionContext":{"sessionIssuer":{"userName":"u"}}}}`, 1},
	{`{"userIdentity":{"type":"A","sessionContext":{"sessionIssuer":{"arn":"x"}}},"userIdentity":{"sessionContext":{"sessionIssuer":null}}}`, 1},
	{`{"userIdentity":{"type":"A","onBehalfOf":{"userId":"u"}},"userIdentity":{"onBehalfOf":{}}}`, 1},
	{`{"userIdentity":{"type":"A"},"userIdentity":null,"userIdentity":{"arn":"b"}}`, 1},
	{`{"insightDetails":{"state":"Start"},"insightDetails":{"eventName":"X"}}`, 1},
	{`{"userIdentity":{"arn":"a\"b\\c\/d\u00e9\ud83d\ude00 \b\f\n\r\t","userName":"\u0000x"}}`, 1},
	{`{"userIdentity":{"arn":"\ud800 lone surrogate","userName":"\udc00\ud800x"}}`, 1},
	{"{\"userIdentity\":{\"arn\":\"bad \xff utf8\",\"userName\":\"caf\xc3\xa9\"}}", 1},
	{`{"userIdentity":{"type":"WebIdentityUser","principalId":"accounts.google.com:app:sub","userName":"sub","identityProvider":"accounts.google.com","sessionContext":{"attributes":{"creationDate":"2024-01-01T00:00:00Z","mfaAuthenticated":"false"},"webIdFederationData":{"federatedProvider":"accounts.google.com","attributes":{"aud":["x",{"y":null}]}},"sourceIdentity":"s","ec2RoleDelivery":"2.0","sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::1:role/r","accountId":"1","userName":"r","extra":[1,2,{"arn":"no"}]}}}}`, 1},
	{`{"userIdentity":{"type":"IdentityCenterUser","accountId":"1","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"},"credentialId":"c"}}`, 1},
	{`{"userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com","n":123456789012345678901234567890,"f":-1.5e400,"z":-0,"t":true,"l":[[],{}]}}`, 1},
	{`{"eventName":"X","big":1e99999,"userIdentity":{"type":"Root","arn":"a"}}`, 1},
	{"{\"userIdentity\":{\"t\xc3\xbfpe\":\"x\",\"tape\":\"y\",\"types\":\"z\"}}", 1},
	{"{\"userIdentity\":{\"\xff\":\"x\"}}", 1},
	{"{\r\n\t\"userIdentity\"\t:\r\n{\"type\"\n:\n\"A\"\n}\n}", 1},

	// Keys encoding/json would match case-insensitively.
	{`{"userIdentity":{"Type":"x"}}`, 0},
	{`{"userIdentity":{"ARN":"x"}}`, 0},
	{`{"userIdentity":{"PrincipalID":"x"}}`, 0},
	{`{"userIdentity":{"onbehalfof":{"userId":"x"}}}`, 0},
	{`{"userIdentity":{"onBehalfOf":{"USERID":"x"}}}`, 0},
	{`{"userIdentity":{"sessionContext":{"SessionIssuer":{"arn":"x"}}}}`, 0},
	{`{"userIdentity":{"sessionContext":{"sessionIssuer":{"Arn":"x"}}}}`, 0},
	{`{"userIdentity":{"sessionContext":{"sessionIssuer":{"username":"x"}}}}`, 0},
	{"{\"userIdentity\":{\"acce\xc5\xbfsKeyId\":\"x\"}}", 0},                                                                // U+017F folds to s
	{"{\"userIdentity\":{\"sessionContext\":{\"sessionIssuer\":{\"\xe2\x84\xaaey\":\"x\",\"arn\":\"\xe2\x84\xaa\"}}}}", -1}, // U+212A folds to k
	{"{\"event\xc5\xbfource\":\"x\"}", 0},
	{"{\"userIdentity\":{\"u\xc5\xbferName\":\"x\"}}", 0},
	{"{\"userIdentity\":{\"user\xe2\x84\xaaName\":\"x\"}}", -1},
	{`{"UserIdentity":{"type":"x"}}`, 0},
	// Escaped keys.
	{`{"userIdentity":{"t\u0079pe":"x"}}`, 0},
	{`{"userIdentity":{"sessionContext":{"session\u0049ssuer":{"arn":"x"}}}}`, 0},
	{`{"userIdentity":{"x\"y":"x"}}`, 0},
	// Wrong types.
	{`{"userIdentity":{"type":5}}`, 0},
	{`{"userIdentity":{"arn":{}}}`, 0},
	{`{"userIdentity":{"arn":["a"]}}`, 0},
	{`{"userIdentity":{"userName":true}}`, 0},
	{`{"userIdentity":"x"}`, 0},
	{`{"userIdentity":[]}`, 0},
	{`{"userIdentity":5}`, 0},
	{`{"userIdentity":{"sessionContext":[]}}`, 0},
	{`{"userIdentity":{"sessionContext":"x"}}`, 0},
	{`{"userIdentity":{"sessionContext":{"sessionIssuer":"x"}}}`, 0},
	{`{"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":1}}}}`, 0},
	{`{"userIdentity":{"onBehalfOf":true}}`, 0},
	{`{"userIdentity":{"onBehalfOf":{"userId":{}}}}`, 0},
	// Invalid JSON.
	{`{"userIdentity":{"type":"A",}}`, 0},
	{`{"userIdentity":{"type":"A"}`, 0},
	{`{"userIdentity":{"type":"A" "arn":"b"}}`, 0},
	{`{"userIdentity":{"type":"\x"}}`, 0},
	{`{"userIdentity":{"type":"A","sessionContext":{"a":01}}}`, 0},
	{`{"userIdentity":{"type":nul}}`, 0},
	{`{"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":"x"}}}}}`, 0},
	{"{\"userIdentity\":{\"type\":\"a\x01\"}}", 0},
}

func TestCTFastIdentity(t *testing.T) {
	for _, tt := range ctIdentityCases {
		checkFastAgrees(t, []byte(tt.in))
		var r ctRecord
		if tt.fast == 1 && !ctUnmarshal([]byte(tt.in), &r) {
			t.Errorf("ctUnmarshal(%s) = false, want true", tt.in)
		}
	}
	// Values that must come out as encoding/json gives them.
	var r ctRecord
	in := `{"userIdentity":{"type":"A","sessionContext":{"sessionIssuer":{"arn":"x"}}},"eventName":"E","eventName":null,` +
		`"userIdentity":{"type":null,"arn":"a\u00e9\"","sessionContext":{"sessionIssuer":{"userName":"u"}}}}`
	if !ctUnmarshal([]byte(in), &r) {
		t.Fatal("fast path refused a duplicate userIdentity")
	}
	id := r.UserIdentity
	if id == nil || id.Type != "A" || id.ARN != "a\u00e9\"" || id.SessionContext == nil || id.SessionContext.SessionIssuer == nil ||
		id.SessionContext.SessionIssuer.ARN != "x" || id.SessionContext.SessionIssuer.UserName != "u" || r.EventName != "E" {
		t.Fatalf("got %+v %+v", r, id)
	}
}

// chunkReader returns at most the next of its sizes bytes per read,
// cycling through them.
type chunkReader struct {
	r     io.Reader
	sizes []int
	n     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	size := c.sizes[c.n%len(c.sizes)]
	c.n++
	if size == 0 {
		return 0, nil
	}
	return c.r.Read(p[:min(len(p), size)])
}

// shortReaders wrap data in readers that split it at many places.
func shortReaders(data []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"one byte":   iotest.OneByteReader(bytes.NewReader(data)),
		"half":       iotest.HalfReader(bytes.NewReader(data)),
		"data err":   iotest.DataErrReader(bytes.NewReader(data)),
		"1..7":       &chunkReader{r: bytes.NewReader(data), sizes: []int{1, 2, 3, 4, 5, 6, 7}},
		"7..1 empty": &chunkReader{r: bytes.NewReader(data), sizes: []int{7, 0, 6, 5, 0, 4, 3, 2, 1}},
		"odd":        &chunkReader{r: bytes.NewReader(data), sizes: []int{3, 1, 5, 2, 7}},
	}
}

type ctParseResult struct {
	events []Event
	warns  []string
	err    string
}

func parseCTFrom(r io.Reader) ctParseResult {
	var res ctParseResult
	err := Parse(context.Background(), evidence.KindCloudTrail, r, ParseOptions{Evidence: 3, Name: "ct.json"},
		func(e *Event) error { res.events = append(res.events, *e); return nil },
		func(w Warning) { res.warns = append(res.warns, w.Message) })
	if err != nil {
		res.err = err.Error()
	}
	return res
}

// ctScanInputs are CloudTrail texts that stress the record splitter.
func ctScanInputs() map[string][]byte {
	rec := func(id, extra string) string {
		return `{"eventTime":"2024-01-02T03:04:05Z","eventName":"X","eventID":"` + id + `"` + extra + `}`
	}
	deep := func(n int, close string) string {
		return `{"d":` + strings.Repeat(`[`, n) + `"x"` + close + `}`
	}
	in := map[string]string{
		"escapes": `{"Records":[` + rec("a", `,"s":"q\"}]{[\\","t":"\\\\","u":"\\\"\\"`) + `,` +
			rec("b", `,"x":"\u005c\u0022","y":["]\"",{"z":"}"}]`) + `]}`,
		"backslash runs":             rec("a", `,"s":"`+strings.Repeat(`\\`, 40)+`","t":"`+strings.Repeat(`\"`, 40)+`"`) + "\n" + rec("b", ""),
		"per line":                   rec("a", `,"s":"a\nb"`) + "\n\n" + rec("b", `,"k":{"x":[1,2,{"y":"]"}]}`) + "\r\n" + rec("c", "") + "\n",
		"raw newline":                `{"Records":[` + rec("a", "") + `,{"eventName":"x` + "\n" + `y"},` + rec("c", "") + `]}`,
		"mismatched":                 rec("a", "") + "\n" + `{"x":[1,2}` + "\n" + rec("c", "") + "\n" + `{"y":{"z":]}}` + "\n" + rec("e", ""),
		"unexpected":                 rec("a", "") + "\n" + `]` + "\n" + rec("c", ""),
		"deep 70":                    `[` + deep(70, strings.Repeat(`]`, 70)) + `,` + rec("a", "") + `]`,
		"deep mismatch beyond stack": `[` + rec("a", `,"d":`+strings.Repeat(`[`, 70)+strings.Repeat(`}`, 3)+strings.Repeat(`]`, 67)) + `,` + rec("b", "") + `]`,
		"deep mismatch in stack":     `[` + rec("a", `,"d":`+strings.Repeat(`[`, 70)+strings.Repeat(`]`, 10)+`}`+strings.Repeat(`]`, 60)) + `,` + rec("b", "") + `]`,
		"truncated in string":        `{"Records":[` + rec("a", "") + `,{"eventName":"abc`,
		"truncated after backslash":  `{"Records":[` + rec("a", "") + `,{"eventName":"abc\`,
		"truncated nested":           rec("a", "") + "\n" + `{"x":{"y":[1,`,
		"top-level keys":             `{"x":"a\"b","Rec\"ords":[1],"Records":[` + rec("a", "") + `],"y":{"z":"]"}}` + "\n" + rec("b", `,"e":"\\"`),
		"event history":              `{"Events":[{"EventId":"h1","CloudTrailEvent":"{\"eventTime\":\"2024-01-02T03:04:05Z\",\"eventName\":\"X\",\"eventID\":\"h1\",\"s\":\"a\\\"b\"}"}]}`,
		"bom and garbage":            "\xef\xbb\xbf" + rec("a", "") + "\n" + "garbage\n" + `[1,"x",` + rec("b", "") + `]`,
		"bench":                      string(benchCloudTrail(40)),
	}
	out := make(map[string][]byte, len(in))
	for k, v := range in {
		out[k] = []byte(v)
	}
	return out
}

// TestCTShortReads parses each input whole and through readers that
// split it everywhere (escapes and brackets across buffer refills): the
// events, warnings and error must not change.
func TestCTShortReads(t *testing.T) {
	inputs := ctScanInputs()
	for _, f := range ctSampleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = gunzip(t, b)
	}
	for name, data := range inputs {
		want := parseCTFrom(bytes.NewReader(data))
		for rname, r := range shortReaders(data) {
			got := parseCTFrom(r)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s through %s reader:\ngot  %d events %q err %q\nwant %d events %q err %q",
					name, rname, len(got.events), got.warns, got.err, len(want.events), want.warns, want.err)
			}
		}
	}
	// Specific outcomes of the crafted inputs.
	for _, tt := range []struct {
		name   string
		events int
		warn   string // substring of the only warning; "" for none
	}{
		{"escapes", 2, ""},
		{"backslash runs", 2, ""},
		{"per line", 3, ""},
		{"raw newline", 2, "invalid JSON at line 1"},
		{"unexpected", 2, `line 2: not JSON (starts with ']')`},
		{"deep 70", 1, "record 1: line 1: not a CloudTrail record"},
		// Beyond 64 levels brackets are only counted: encoding/json then
		// rejects the record alone.
		{"deep mismatch beyond stack", 1, "record 1: invalid JSON at line 1: invalid character '}'"},
		{"deep mismatch in stack", 0, `line 1: invalid JSON at byte 151: mismatched '}': line skipped`},
		{"truncated in string", 1, "unexpected end of input: rest of file skipped"},
		{"truncated after backslash", 1, "unexpected end of input: rest of file skipped"},
		{"top-level keys", 2, ""},
		{"event history", 1, ""},
		{"bench", 40, ""},
	} {
		got := parseCTFrom(bytes.NewReader(inputs[tt.name]))
		if len(got.events) != tt.events || got.err != "" {
			t.Errorf("%s: %d events, err %q, want %d", tt.name, len(got.events), got.err, tt.events)
		}
		switch {
		case tt.warn == "" && len(got.warns) != 0:
			t.Errorf("%s: warnings %q", tt.name, got.warns)
		case tt.warn != "" && (len(got.warns) != 1 || !strings.Contains(got.warns[0], tt.warn)):
			t.Errorf("%s: warnings %q, want one with %q", tt.name, got.warns, tt.warn)
		}
	}
	got := parseCTFrom(bytes.NewReader(inputs["mismatched"]))
	wantWarns := []string{
		`"ct.json" line 2: invalid JSON at byte 76: mismatched '}': line skipped`,
		`"ct.json" line 4: invalid JSON at byte 155: mismatched ']': line skipped`,
	}
	if len(got.events) != 3 || !reflect.DeepEqual(got.warns, wantWarns) {
		t.Errorf("mismatched: %d events, warnings %q", len(got.events), got.warns)
	}
}

// refSkipNested is skipNested's contract, one byte at a time.
func refSkipNested(s *jsonScanner) error {
	var stack []byte
	inStr, esc := false, false
	for {
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		c := s.buf[s.pos]
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			stack = append(stack, c)
		case c == '}' || c == ']':
			if len(stack) == 0 {
				return s.fail("unexpected %q", c)
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) < 64 && (open == '{') != (c == '}') {
				return s.fail("mismatched %q", c)
			}
			if len(stack) == 0 {
				s.consume(1)
				return nil
			}
		}
		s.consume(1)
	}
}

// refSkipString is skipString's contract, one byte at a time.
func refSkipString(s *jsonScanner, key *[]byte) error {
	s.consume(1)
	esc := false
	for {
		if err := s.fill(); err != nil {
			return s.eof(err)
		}
		c := s.buf[s.pos]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			s.consume(1)
			return nil
		}
		if key != nil && len(*key) < 64 {
			*key = append(*key, c)
		}
		s.consume(1)
	}
}

// scanTrace splits data the way the CloudTrail reader does and records
// every step: values, keys, errors, offsets, lines and captures.
func scanTrace(r io.Reader, limit int, ref bool) string {
	s := newJSONScanner(r)
	defer s.release()
	s.limit = limit
	var b strings.Builder
	for step := 0; step < 10000; step++ {
		c, err := s.peekNonSpace()
		if err != nil {
			fmt.Fprintf(&b, "end %v at %d line %d\n", err, s.offset(), s.line)
			break
		}
		switch c {
		case '{', '[':
			s.startCapture()
			if ref {
				err = refSkipNested(s)
			} else {
				err = s.skipNested()
			}
			raw, over := s.stopCapture()
			if over {
				raw = nil // partial captures are dropped
			}
			fmt.Fprintf(&b, "nested %q over %v err %v", raw, over, err)
		case '"':
			var key []byte
			if ref {
				err = refSkipString(s, &key)
			} else {
				err = s.skipString(&key)
			}
			fmt.Fprintf(&b, "string key %q err %v", key, err)
		default:
			err = s.skipValue()
			fmt.Fprintf(&b, "value err %v", err)
		}
		fmt.Fprintf(&b, " at %d line %d\n", s.offset(), s.line)
		if err != nil {
			if errors.Is(err, io.EOF) || strings.Contains(err.Error(), errTruncated.Error()) {
				break
			}
			if err := s.skipLine(); err != nil {
				fmt.Fprintf(&b, "skipLine %v\n", err)
				break
			}
		}
	}
	return b.String()
}

// checkScanAgrees compares the scanner over short reads with the
// byte-at-a-time reference over one read.
func checkScanAgrees(t *testing.T, name string, data []byte, limit int) {
	t.Helper()
	want := scanTrace(bytes.NewReader(data), limit, true)
	if got := scanTrace(bytes.NewReader(data), limit, false); got != want {
		t.Fatalf("%s: whole read:\ngot  %s\nwant %s", name, got, want)
	}
	for rname, r := range shortReaders(data) {
		if got := scanTrace(r, limit, false); got != want {
			t.Fatalf("%s through %s reader:\ngot  %s\nwant %s", name, rname, got, want)
		}
	}
}

func TestCTScannerReference(t *testing.T) {
	inputs := ctScanInputs()
	inputs["long key"] = []byte(`{"` + strings.Repeat("k", 100) + `":1}` + "\n" + `"` + strings.Repeat(`a\"`, 30) + `"`)
	inputs["stray"] = []byte(`}]{"a":1}` + "\n" + `:,"x"` + "\n" + `[1,2]]`)
	for name, data := range inputs {
		for _, limit := range []int{maxRecordBytes, 40, 1} {
			checkScanAgrees(t, fmt.Sprintf("%s limit %d", name, limit), data, limit)
		}
	}
}

func FuzzCTScanner(f *testing.F) {
	for _, data := range ctScanInputs() {
		f.Add(data, uint16(60))
	}
	for _, p := range ctSampleFiles(f) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(gunzip(f, b), uint16(500))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		checkScanAgrees(t, "fuzz", data, int(limit))
	})
}

// seedCTFast adds the crafted identity records and sample records with a
// userIdentity to a record decoder fuzz target.
func seedCTFast(f *testing.F) {
	for _, tt := range ctIdentityCases {
		f.Add([]byte(tt.in))
	}
	for _, p := range ctSampleFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		n := 0
		for _, raw := range jsonObjects(gunzip(f, b)) {
			if n < 20 && bytes.Contains(raw, []byte(`"userIdentity"`)) {
				f.Add(raw)
				n++
			}
		}
	}
}

// BenchmarkCTSplit measures the record splitter alone.
func BenchmarkCTSplit(b *testing.B) {
	data := bytes.TrimPrefix(benchCloudTrail(10000), []byte(`{"Records":[`))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := newJSONScanner(bytes.NewReader(data))
		n := 0
		for {
			c, err := s.peekNonSpace()
			if err != nil {
				break
			}
			if c == '{' {
				s.startCapture()
				err = s.skipNested()
				s.stopCapture()
				n++
			} else {
				s.consume(1)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		s.release()
		if n != 10000 {
			b.Fatalf("%d records", n)
		}
	}
}
