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

// randomCompactConfig is randomConfig as AWS Config writes it: compact,
// keys mostly in order, numbers mostly integers; now and then a key out
// of order, repeated or escaped, or a space, so that both the compact
// comparison and its fallback are taken.
func randomCompactConfig(r *rand.Rand, depth int) string {
	scalars := []string{`"tcp"`, `"0.0.0.0/0"`, `"sg-1"`, `"web server"`, `22`, `443`, `-1`, `0`, `true`, `false`, `null`,
		`"<a&b>"`, `"é"`, `"\""`, `22.0`, `-0`, `1e3`, `1234567890123456`, `12345678901234567`}
	if depth > 3 || r.Intn(3) == 0 {
		if r.Intn(4) == 0 {
			return scalars[r.Intn(len(scalars))]
		}
		return scalars[r.Intn(11)]
	}
	var parts []string
	if r.Intn(2) == 0 {
		for range r.Intn(5) {
			parts = append(parts, randomCompactConfig(r, depth+1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	keys := []string{"fromPort", "groupId", "ipPermissions", "ipRanges", "tags", "toPort", "x"}
	switch r.Intn(40) {
	case 0:
		keys[0], keys[3] = keys[3], keys[0]
	case 1:
		keys[1] = keys[0]
	case 2:
		keys[2] = `ip\u0050ermissions`
	case 3:
		keys[4] = "tägs"
	}
	for _, k := range keys {
		if r.Intn(2) == 0 {
			parts = append(parts, `"`+k+`":`+randomCompactConfig(r, depth+1))
		}
	}
	sep := ","
	if r.Intn(50) == 0 {
		sep = ", "
	}
	return "{" + strings.Join(parts, sep) + "}"
}

// TestConfigDiffCompact checks the difference taken from the compact
// JSON against the reference, and that it is taken (not left to the
// decoding one) for most pairs.
func TestConfigDiffCompact(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	changed, direct := 0, 0
	for range 30000 {
		a, b := randomCompactConfig(r, 0), randomCompactConfig(r, 0)
		if r.Intn(2) == 0 {
			// A changed copy: one part of a replaced.
			b = a
			if i := strings.LastIndexAny(a, "0123456789"); i >= 0 {
				b = a[:i] + "7" + a[i+1:]
			}
		}
		want := referenceDiff([]byte(a), []byte(b))
		ca, cb := compactConfig([]byte(a)), compactConfig([]byte(b))
		got := diffJSON(ca, cb)
		if !slices.Equal(got, want) {
			t.Fatalf("diff of\n%s\n%s\n= %q\nwant %q", a, b, got, want)
		}
		var out []string
		if diffCompact(&out, "configuration", ca, cb) {
			direct++
			if len(out) > maxConfigDiff {
				out = out[:maxConfigDiff]
			}
			if want := want[:min(len(want), maxConfigDiff)]; !slices.Equal(out, want) {
				t.Fatalf("compact diff of\n%s\n%s\n= %q\nwant %q", a, b, out, want)
			}
		} else if len(out) > 0 {
			t.Fatalf("compact diff of\n%s\n%s\nleft %q behind", a, b, out)
		}
		if len(want) > 0 {
			changed++
		}
	}
	if changed < 10000 || direct < 20000 {
		t.Fatalf("%d pairs differ, %d compared directly: the test compares too little", changed, direct)
	}
	// The benchmark's items take the direct comparison.
	var prev, cur configItem
	if json.Unmarshal([]byte(benchConfigItem(1)), &prev) != nil || json.Unmarshal([]byte(benchConfigItem(501)), &cur) != nil {
		t.Fatal("benchmark items do not decode")
	}
	var out []string
	if !diffCompact(&out, "configuration", compactConfig(prev.Config), compactConfig(cur.Config)) || len(out) != 2 {
		t.Fatalf("benchmark items: %q", out)
	}
}
