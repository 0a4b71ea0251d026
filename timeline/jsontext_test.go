package timeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// appendJSONStringWant is what encoding/json writes for s, with or
// without its HTML escapes.
func appendJSONStringWant(t *testing.T, s string, html bool) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func checkAppendJSONString(t *testing.T, s string) {
	t.Helper()
	for _, html := range []bool{false, true} {
		if got, want := string(AppendJSONString(nil, s, html)), appendJSONStringWant(t, s, html); got != want {
			t.Fatalf("AppendJSONString(%q, html %v) = %s, want %s", s, html, got, want)
		}
	}
}

// Every byte that needs escaping, at every place of strings around the
// eight bytes AppendJSONString reads at a time, is written as
// encoding/json writes it.
func TestAppendJSONString(t *testing.T) {
	specials := []string{"\x00", "\x1f", "\n", "\"", "\\", "<", ">", "&", "\x7f", "\xff", "é", "\u2028", "😀", " ", "~"}
	for n := 0; n <= 24; n++ {
		for at := 0; at <= n; at++ {
			for _, c := range specials {
				checkAppendJSONString(t, strings.Repeat("a", at)+c+strings.Repeat("b", n-at))
			}
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("arn:aws:iam::111122223333:role/service-role/LambdaExec")
	f.Add("aws-cli/2.15.30 Python/3.11.8 <x> & \"y\"\\\n\u2029\xff")
	f.Fuzz(checkAppendJSONString)
}

func BenchmarkAppendJSONString(b *testing.B) {
	ss := []string{"arn:aws:iam::111122223333:user/mallory", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22", "s3.amazonaws.com", "203.0.113.7", "GetObject", "success", "50530557-d262-11b9-135c-bf41304f3729"}
	var dst []byte
	for b.Loop() {
		for _, s := range ss {
			dst = AppendJSONString(dst[:0], s, false)
		}
	}
}
