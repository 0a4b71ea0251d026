package timeline

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The raw of a text log line is the line, as a JSON string once (not the
// JSON string of its JSON string); a CloudTrail record's raw is its JSON.
func TestTimesketchRaw(t *testing.T) {
	line := `2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 5000 6 1 40 1 2 ACCEPT OK`
	rawLine, _ := json.Marshal(line)
	for _, tc := range []struct {
		raw  json.RawMessage
		want string
	}{
		{rawLine, line},
		{json.RawMessage(`{"eventName":"GetObject"}`), `{"eventName":"GetObject"}`},
	} {
		var b bytes.Buffer
		w, _ := NewWriter(&b, FormatTimesketch)
		if err := w.Write(&Match{Event: &Event{Source: SourceVPCFlow, Raw: tc.raw}}); err != nil {
			t.Fatal(err)
		}
		if err := w.End(nil); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Raw string `json:"raw"`
		}
		if err := json.Unmarshal(b.Bytes(), &v); err != nil || v.Raw != tc.want {
			t.Errorf("raw = %q (%v), want %q\n%s", v.Raw, err, tc.want, b.String())
		}
	}
}
