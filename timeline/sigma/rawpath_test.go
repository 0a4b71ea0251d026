package sigma

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/timeline"
)

// fullPath is rawPath done the plain way: the whole record decoded, then
// walked.
func fullPath(raw []byte, path []string) value {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil {
		return value{}
	}
	return walk(m, path)
}

var rawPathSeeds = []struct{ raw, path string }{
	{`{"requestParameters":{"userName":"bob","n":12,"ok":true}}`, "requestParameters.userName"},
	{`{"requestParameters":{"userName":"bob","n":12,"ok":true}}`, "requestParameters.n"},
	{`{"requestParameters":{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"},{"cidrIp":"10.0.0.0/8"}]}}]}}}`, "requestParameters.ipPermissions.items.ipRanges.items.cidrIp"},
	{`{"responseElements":null}`, "responseElements"},
	{`{"responseElements":null}`, "responseElements.ConsoleLogin"},
	{`{"a":1,"a":{"b":2}}`, "a.b"},
	{`{"a":[1,"x",null,{"c":true}]}`, "a"},
	{`null`, "a"},
	{`[1,2]`, "a"},
	{`{"a":1} trailing`, "a"},
	{`{"a":{"b":1}`, "a.b"},
	{`{}`, "a"},
}

// TestRawPathAsFullDecode: reading members as rules ask for them gives
// what decoding the whole record gives.
func TestRawPathAsFullDecode(t *testing.T) {
	for _, c := range rawPathSeeds {
		checkRawPath(t, c.raw, c.path)
	}
}

func checkRawPath(t *testing.T, raw, path string) {
	var d doc
	d.reset(&timeline.Event{Raw: json.RawMessage(raw)})
	p := strings.Split(path, ".")
	got, want := d.rawPath(p), fullPath([]byte(raw), p)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s in %s: %+v, decoding it whole: %+v", path, raw, got, want)
	}
	if again := d.rawPath(p); !reflect.DeepEqual(again, want) { // from the decoded member
		t.Fatalf("%s in %s, read again: %+v, want %+v", path, raw, again, want)
	}
}

func FuzzRawPath(f *testing.F) {
	for _, c := range rawPathSeeds {
		f.Add(c.raw, c.path)
	}
	f.Fuzz(func(t *testing.T, raw, path string) {
		checkRawPath(t, raw, path)
	})
}
