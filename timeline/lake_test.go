package timeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trailcase/trailcase/evidence"
)

// lakeRowsRef is how Lake rows were read before lakeRows had a scanner
// of its own, kept as the reference its output is compared with: every
// row split and checked by encoding/json's decoder, then decoded with
// goccy/go-json (encoding/json when that fails).
func (p *parser) lakeRowsRef(d *json.Decoder) error {
	if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
		return p.errorf("QueryResultRows is not an array")
	}
	var n int64
	for d.More() {
		n++
		var raw json.RawMessage
		var row []map[string]json.RawMessage
		err := d.Decode(&raw)
		if err == nil && !ctUnmarshal(raw, &row) {
			row = nil
			err = json.Unmarshal(raw, &row)
		}
		if err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				p.warnf(n, "row", "%v: skipped", err)
				continue
			}
			p.warnf(n, "row", "invalid JSON at byte %d: %v: rest of file skipped", d.InputOffset(), err)
			return nil
		}
		rec := lakeRecordRef(row)
		if rec == nil {
			p.warnf(n, "row", "no columns: skipped")
			continue
		}
		if err := p.ctRecord(rec, n, n); err != nil {
			return err
		}
	}
	return nil
}

// lakeRecordRef is the reference's rebuilding of a record. The columns
// of a cell of several were taken in map order, which varies from run to
// run; here, as in lakeRowCells, in the order of their names.
func lakeRecordRef(row []map[string]json.RawMessage) []byte {
	out := []byte{'{'}
	for _, cell := range row {
		keys := make([]string, 0, len(cell))
		for k := range cell {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := cell[k]
			if s, ok := lakeString(v); ok {
				if strings.EqualFold(k, "eventJson") {
					return []byte(s)
				}
				if t := strings.TrimSpace(s); t != "" && (t[0] == '{' || t[0] == '[') {
					if json.Valid([]byte(t)) {
						v = json.RawMessage(t)
					} else if m, ok := lakeStruct(t); ok {
						v = m
					}
				}
			}
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = appendJSONString(out, []byte(k))
			out = append(out, ':')
			out = append(out, v...)
		}
	}
	if len(out) == 1 {
		return nil
	}
	return append(out, '}')
}

// lakeOutput is what parsing Lake results gives.
type lakeOutput struct {
	events   []*Event
	warnings []string
	err      string
}

// parseLake parses Lake results from r, with the reference when ref is set.
func parseLake(r io.Reader, ref bool, opts ParseOptions) lakeOutput {
	var out lakeOutput
	emit := func(e *Event) error {
		if opts.BorrowRaw {
			e.Raw = bytes.Clone(e.Raw)
		}
		out.events = append(out.events, e)
		return nil
	}
	warn := func(w Warning) { out.warnings = append(out.warnings, w.Message) }
	var err error
	if ref {
		p := &parser{ctx: context.Background(), opts: opts, emit: emit, warn: warn}
		err = p.jsonMember(r, "QueryResultRows", "CloudTrail Lake query results", p.lakeRowsRef)
	} else {
		err = Parse(context.Background(), evidence.KindCloudTrailLake, r, opts, emit, warn)
	}
	if err != nil {
		out.err = err.Error()
	}
	return out
}

var errLakeRead = errors.New("read failed")

// lakeReaders are the ways the tests hand data to the parsers: whole, a
// byte at a time, in halves, and followed by a read error.
var lakeReaders = []struct {
	name string
	r    func([]byte) io.Reader
}{
	{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"bytes", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"halves", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"error", func(b []byte) io.Reader {
		return io.MultiReader(bytes.NewReader(b), iotest.ErrReader(errLakeRead))
	}},
}

// checkLakeSame fails t when parsing data gives other events, warnings
// or error than the reference does, with each of the readers named (all
// of them, with and without ParseOptions.BorrowRaw, when none is).
func checkLakeSame(t *testing.T, data []byte, readers ...string) {
	t.Helper()
	borrows := []bool{false}
	if len(readers) == 0 {
		borrows = []bool{false, true}
	}
	for _, rd := range lakeReaders {
		if len(readers) > 0 && !slices.Contains(readers, rd.name) {
			continue
		}
		for _, borrow := range borrows {
			opts := ParseOptions{Name: "lake.json", Evidence: 7, BorrowRaw: borrow}
			want := parseLake(rd.r(data), true, opts)
			got := parseLake(rd.r(data), false, opts)
			if msg := lakeDiff(got, want); msg != "" {
				t.Fatalf("%s reader, BorrowRaw %v, input %q:\n%s", rd.name, borrow, trimForLog(data), msg)
			}
		}
	}
}

func lakeDiff(got, want lakeOutput) string {
	var b strings.Builder
	if got.err != want.err {
		fmt.Fprintf(&b, "error %q, reference %q\n", got.err, want.err)
	}
	if !slices.Equal(got.warnings, want.warnings) {
		fmt.Fprintf(&b, "warnings\n  %q\nreference\n  %q\n", got.warnings, want.warnings)
	}
	if len(got.events) != len(want.events) {
		fmt.Fprintf(&b, "%d events, reference %d\n", len(got.events), len(want.events))
		return b.String()
	}
	for i := range got.events {
		if !reflect.DeepEqual(got.events[i], want.events[i]) {
			g, _ := json.Marshal(got.events[i])
			w, _ := json.Marshal(want.events[i])
			fmt.Fprintf(&b, "event %d\n  %s\nreference\n  %s\n", i, g, w)
			break
		}
	}
	return b.String()
}

func trimForLog(b []byte) []byte {
	if len(b) > 600 {
		return append(append(b[:300:300], "…"...), b[len(b)-300:]...)
	}
	return b
}

func lakeSample(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "sources", "cloudtrail_lake.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lakeCases are Lake results of odd shapes, malformed or not.
var lakeCases = []string{
	`{"QueryResultRows":[]}`,
	`{"QueryResultRows":[ ] }`,
	`{"QueryResultRows":[}`,
	`{"QueryResultRows":[`,
	`{"QueryResultRows":`,
	`{"QueryResultRows":{}}`,
	`{"QueryStatus":"FINISHED","QueryResultRows":[[]]}`,
	`{"QueryResultRows":[[{}],[null],null,[{},null]]}`,
	`{"QueryResultRows":[[{"eventName":"A","eventTime":"2024-05-01 10:00:00.000"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"},{"eventName":"B"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A","eventName":"B"}]]}`,
	`{"QueryResultRows":[[{"eventJson":"{\"eventName\":\"A\"}","EVENTJSON":"{\"eventName\":\"B\"}"}]]}`,
	`{"QueryResultRows":[[{"eventJson":null}],[{"eventJson":""}],[{"eventJson":5}]]}`,
	`{"QueryResultRows":[[{"eventName":5},{"eventTime":true},{"x":{"a":1}},{"y":[1,"2"]}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"},{"requestParameters":"{\"a\":1}"},{"r":" [1,2] "},{"s":"{a=b, c={d=null}}"},{"t":"{bad"}]]}`,
	`{"QueryResultRows":[[{"eventName":"\u00e9\ud83d\ude00\ud800 \t\n\/"},{"k\u0041":"v"},{"é":"é"}]]}`,
	"{\"QueryResultRows\":[[{\"eventName\":\"\xff\xfe\"},{\"\xff\":\"x\"}]]}",
	`{"QueryResultRows":[  [ { "eventName" : "A" } , { "eventTime" : null } ]  ,  [{"eventName":"B"}]  ]}`,
	"{\"QueryResultRows\":[\n[{\"eventName\":\"A\"}],\n\t\r [{\"eventName\":\"B\"}]\n]\n}",
	`{"QueryResultRows":[[{"eventName":"A"}],]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],   ]}`,
	`{"QueryResultRows":[[{"eventName":"A"}]  [{"eventName":"B"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],"x",5,true,{"a":"b"},[{"eventName":"B"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],    "x",   [{"eventName":"B"}],    nul]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B"]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B\x"}]]}`,
	"{\"QueryResultRows\":[[{\"eventName\":\"A\"}],[{\"eventName\":\"B\tC\"}]]}",
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B",}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B"}]`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B"}],`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B"`,
	`{"QueryResultRows":[[{"eventName":"A"}]]} trailing`,
	`{"QueryResultRows":[[{"eventName":"A"}]}`,
	`{"QueryResultRows":[[{"eventName":"A"}] x`,
	`{"QueryResultRows":[5x,[{"eventName":"A"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],5 ,[{"eventName":"B"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}], -1e5, [1, 2], [{"eventName":"B"}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}]],"QueryResultRows":[]}`,
	`{"QueryStatus":"FINISHED","QueryStatistics":{"a":[1,{"b":"]"}]},"QueryResultRows":[[{"eventName":"A"}]]}`,
	`{"QueryResultRows":[[[{"eventName":"A"}]]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B"}}]]}`,
	`{"QueryResultRows":[[{"eventName":"A"}],[{"eventName":"B"}]]]}`,
}

// TestLakeMatchesReference compares the Lake parser with the reference
// (the decoder-driven reading it replaced) on the sample, generated rows,
// odd and malformed results, every truncation of the sample and of a
// longer file, and the sample with each byte replaced, read whole, a byte
// at a time, in halves and followed by a read error.
func TestLakeMatchesReference(t *testing.T) {
	sample := lakeSample(t)
	checkLakeSame(t, sample)
	checkLakeSame(t, benchLake(50))
	for _, c := range lakeCases {
		checkLakeSame(t, []byte(c))
	}
	for i := range sample {
		checkLakeSame(t, sample[:i], "whole", "error")
	}
	for i := range sample {
		for _, c := range []byte("[]{},\"\\ x\x01") {
			if sample[i] == c {
				continue
			}
			b := bytes.Clone(sample)
			b[i] = c
			checkLakeSame(t, b, "whole")
		}
	}
	// Longer than the scanner's buffer, cut and broken in places.
	big := benchLake(1200)
	if len(big) < 2*len(scanBufs.New().(*[256 << 10]byte)) {
		t.Fatalf("generated Lake results of %d bytes: want more than twice the scanner's buffer", len(big))
	}
	checkLakeSame(t, big, "whole", "halves", "error")
	for _, at := range []int{len(big) / 3, 256 << 10, 256<<10 + 1, len(big) - 2} {
		checkLakeSame(t, big[:at], "error")
		for _, c := range []byte("]\"x") {
			b := bytes.Clone(big)
			b[at] = c
			checkLakeSame(t, b, "whole")
		}
	}
}

// FuzzLakeMatchesReference compares the Lake parser with the reference on
// any input.
func FuzzLakeMatchesReference(f *testing.F) {
	f.Add(lakeSample(f))
	for _, c := range lakeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLakeSame(t, data, "whole", "bytes")
	})
}

// FuzzLakeCells checks that a row lakeCells takes is valid JSON and that
// its cells are the row's decoded columns.
func FuzzLakeCells(f *testing.F) {
	for _, s := range []string{`[]`, `[ ]`, `[{}]`, `[null]`, `[{"a":"b"}]`, `[ {"a" : "b" } , null , {} ]`,
		`[{"a":null},{"b":"\u00e9\"\\"}]`, `[{"a":"b","c":"d"}]`, `[{"a":1}]`, `[{"a\"":"b"}]`, `[{"a":"b"},]`,
		"[{\"a\":\"\t\"}]", `[{"a":"\x"}]`, `[{"a":"\u12"}]`, `[nul]`, `[{"a":"b"}`, `[{"a":"b"}]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 || raw[0] != '[' {
			return // rows come from the scanner: an array
		}
		cells, ok := lakeCells(raw, nil)
		if !ok {
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("lakeCells took %q, not valid JSON", raw)
		}
		var row []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &row); err != nil {
			t.Fatalf("lakeCells took %q: %v", raw, err)
		}
		want := lakeRowCells(row, nil)
		if len(cells) != len(want) {
			t.Fatalf("lakeCells(%q): %d cells, decoded %d", raw, len(cells), len(want))
		}
		for i := range cells {
			if !bytes.Equal(cells[i].key, want[i].key) || !bytes.Equal(cells[i].val, want[i].val) {
				t.Fatalf("lakeCells(%q) cell %d: %q=%q, decoded %q=%q", raw, i, cells[i].key, cells[i].val, want[i].key, want[i].val)
			}
		}
	})
}

// FuzzLakeText checks lakeText against lakeString.
func FuzzLakeText(f *testing.F) {
	for _, s := range []string{`"plain"`, `"{\"eventVersion\":\"1.09\",\"a\":\"x\\/y\\n\"}"`, `"\u00e9\u0000\t"`, `"é"`,
		"\"\xff\"", `"\ud800"`, `"\uD83D\uDE00"`, `5`, `null`, `"a\\"`, `"tab\u0009"`, `""`, `"\b\f\r\t\n\/"`, `"\u20AC\u00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return // cells come from a row that is valid JSON
		}
		want, wantOK := lakeString(v)
		got, _, ok := lakeText(v, []byte("left over"))
		if ok != wantOK || string(got) != want {
			t.Fatalf("lakeText(%q) = %q, %v; lakeString %q, %v", v, got, ok, want, wantOK)
		}
	})
}
