package timeline

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// ctSlow is the reference: encoding/json.
func ctSlow(raw []byte) (ctRecord, bool) {
	var r ctRecord
	return r, json.Unmarshal(raw, &r) == nil
}

func checkFastAgrees(t *testing.T, raw []byte) {
	t.Helper()
	var fast ctRecord
	ok := ctFast(raw, &fast)
	slow, slowOK := ctSlow(raw)
	if ok && !slowOK {
		t.Fatalf("fast path accepted what encoding/json rejects: %q", raw)
	}
	if ok && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path disagrees on %q\nfast %+v\nslow %+v", raw, fast, slow)
	}
	if !json.Valid(raw) && ok {
		t.Fatalf("fast path accepted invalid JSON %q", raw)
	}
}

func TestCTFastAgreesOnSamples(t *testing.T) {
	f, err := os.Open("testdata/samples/panther/aws_cloudtrail_rules_test_logs.jsonl")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n, fast := 0, 0
	for sc.Scan() {
		var line struct {
			Log json.RawMessage `json:"log"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		checkFastAgrees(t, line.Log)
		var r ctRecord
		if ctFast(line.Log, &r) {
			fast++
		}
		n++
	}
	if n < 400 || fast < n*9/10 {
		t.Fatalf("%d records, %d on the fast path", n, fast)
	}
}

func TestCTFastEdgeCases(t *testing.T) {
	for _, s := range []string{
		`{}`, `{"eventName":null}`, `{"eventName":"A\u0042\n"}`, `{"EventName":"x"}`, `{"eventName":1}`,
		`{"userIdentity":{"type":"IAMUser","arn":"a"},"x":[1,2.5e-3,-0,true,false,null,{"y":"z"}]}`,
		`{"eventName":"x",}`, `{"eventName":"x"} trailing`, `{"a":01}`, `{"a":1.}`, `{"a":"\x"}`,
		`{"a":"` + "\x01" + `"}`, `{"CloudTrailEvent":"{\"eventName\":\"Inner\"}"}`, `{"digestStartTime":"2024"}`,
		`{"userIdentity":{"type":5}}`, `{"eventName":"bad \xff utf8"}`, `{"a":[}`, `[1]`, ``, `{"a":tru}`,
	} {
		checkFastAgrees(t, []byte(s))
	}
}

func FuzzCTFast(f *testing.F) {
	f.Add([]byte(`{"eventName":"AssumeRole","userIdentity":{"arn":"x"},"requestParameters":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{"eventTime":"2024-05-01T10:00:00Z","x":-1.5E+3}`))
	seedCTFast(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkFastAgrees(t, raw)
	})
}
