package report

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// FuzzDecodeResult feeds arbitrary stored check results to the decoder
// and the renderers: they must never panic and the HTML must stay escaped.
func FuzzDecodeResult(f *testing.F) {
	for _, s := range []string{
		`{"items":4,"bytes":2870,"custody_entries":3,"problems":[]}`,
		`{"valid":false,"chains":1,"problems":[{"kind":"LOG_MISSING","object":"x","detail":"y"}]}`,
		`{"problems":"not a list"}`, `[1,2]`, `"text"`, `null`, `{"a":{"b":[{"c":"<script>"}]}}`, `{`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/check-objectlock.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		newCheck("verify", &Check{Result: raw}, &digestResult{})
		res := json.RawMessage(raw)
		if !json.Valid(raw) {
			res = json.RawMessage("null")
		}
		r := &Report{Case: Case{Name: "<x>"}, Evidence: []Evidence{}, Events: EventSummary{BySource: map[string]int64{}},
			Checks: Checks{Verify: &Check{Name: "verify", Time: time.Unix(0, 0), Summary: string(raw), Result: res}}}
		var h, m bytes.Buffer
		if err := r.WriteHTML(&h); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteMarkdown(&m); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(h.Bytes(), []byte("<x>")) || bytes.Contains(h.Bytes(), []byte("<script")) {
			t.Fatal("unescaped text in html")
		}
	})
}

func FuzzEventSource(f *testing.F) {
	for _, s := range []string{`{"time":"2024-01-01T00:00:00Z","source":"vpcflow"}`, `{"source":"a\"b"}`, `{"source":`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if eventSource(b) == "" {
			t.Fatal("empty source")
		}
	})
}
