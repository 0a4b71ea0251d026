package timeline

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
)

// referenceDiff is the plain statement of diffJSON's result: both sides
// decoded by encoding/json, every value printed and compared as JSON,
// array membership by printing every element of the other side.
func referenceDiff(a, b []byte) []string {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return nil
	}
	var out []string
	referenceValue(&out, "configuration", va, vb)
	if len(out) > maxConfigDiff {
		out = append(out[:maxConfigDiff], fmt.Sprintf("… %d more", len(out)-maxConfigDiff))
	}
	return out
}

func referenceValue(out *[]string, path string, a, b any) {
	str := func(v any) string { d, _ := json.Marshal(v); return string(d) }
	switch ta := a.(type) {
	case map[string]any:
		if tb, ok := b.(map[string]any); ok {
			var keys []string
			for k := range ta {
				keys = append(keys, k)
			}
			for k := range tb {
				if _, ok := ta[k]; !ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				va, ina := ta[k]
				vb, inb := tb[k]
				switch {
				case !ina:
					*out = append(*out, "+"+path+"."+k+": "+str(vb))
				case !inb:
					*out = append(*out, "-"+path+"."+k+": "+str(va))
				default:
					referenceValue(out, path+"."+k, va, vb)
				}
			}
			return
		}
	case []any:
		if tb, ok := b.([]any); ok {
			in := func(list []any, s string) bool {
				return slices.ContainsFunc(list, func(v any) bool { return str(v) == s })
			}
			for _, v := range tb {
				if !in(ta, str(v)) {
					*out = append(*out, "+"+path+"[]: "+str(v))
				}
			}
			for _, v := range ta {
				if !in(tb, str(v)) {
					*out = append(*out, "-"+path+"[]: "+str(v))
				}
			}
			return
		}
	}
	if sa, sb := str(a), str(b); sa != sb {
		*out = append(*out, path+": "+sa+" -> "+sb)
	}
}

// randomConfig writes a configuration-like JSON value: objects, rule
// lists, strings with characters JSON escapes, numbers of every form,
// booleans and nulls, drawn from small sets so that two draws often
// share parts.
func randomConfig(r *rand.Rand, depth int) string {
	scalars := []string{`"tcp"`, `"0.0.0.0/0"`, `"<a&b>"`, `"é\u00e9"`, "\"\xff\xfe\"", `"\ud800"`, `"\u2028"`, `22`, `22.0`, `-0`, `0`, `1e21`, `1.5e-7`, `123456789012345678`, `true`, `false`, `null`}
	if depth > 3 || r.Intn(3) == 0 {
		return scalars[r.Intn(len(scalars))]
	}
	var parts []string
	if r.Intn(2) == 0 {
		for range r.Intn(4) {
			parts = append(parts, randomConfig(r, depth+1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	keys := []string{"groupId", "ipPermissions", "fromPort", "toPort", "ipRanges", "tags", "x"}
	for _, k := range keys[:r.Intn(len(keys))] {
		if r.Intn(3) > 0 {
			parts = append(parts, fmt.Sprintf("%q:%s", k, randomConfig(r, depth+1)))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TestConfigDiffSame checks diffJSON, with the compact copy the parser
// keeps of the previous item, against the reference on random pairs and
// on the benchmark's items.
func TestConfigDiffSame(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	changed := 0
	for i := range 20000 {
		a, b := randomConfig(r, 0), randomConfig(r, 0)
		if i%3 == 0 {
			b = a // an unchanged configuration
		}
		want := referenceDiff([]byte(a), []byte(b))
		got := diffJSON(compactConfig([]byte(a)), compactConfig([]byte(b)))
		if !slices.Equal(got, want) {
			t.Fatalf("diff of\n%s\n%s\n= %q\nwant %q", a, b, got, want)
		}
		if len(want) > 0 {
			changed++
		}
	}
	if changed < 5000 {
		t.Fatalf("only %d pairs differ: the test compares too little", changed)
	}
}
