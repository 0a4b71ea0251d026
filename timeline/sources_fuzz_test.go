package timeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// fuzzSource seeds f with a file of testdata/sources and fuzzes the
// parser of kind.
func fuzzSource(f *testing.F, kind string, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", "sources", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, kind, data)
	})
}

func FuzzParseCloudWatchExport(f *testing.F) {
	fuzzSource(f, evidence.KindCloudWatchExport, "cw_export_flow.log", "cw_export_cloudtrail.log")
}

func FuzzParseCloudWatchSubscription(f *testing.F) {
	fuzzSource(f, evidence.KindCloudWatchSubscription, "cw_subscription.json")
}

func FuzzParseConfig(f *testing.F) {
	fuzzSource(f, evidence.KindConfig, "config_history.json")
}

func FuzzParseS3Access(f *testing.F) {
	fuzzSource(f, evidence.KindS3Access, "s3_access.log")
}

func FuzzParseGuardDuty(f *testing.F) {
	fuzzSource(f, evidence.KindGuardDuty, "guardduty.jsonl")
}

func FuzzParseCloudTrailCSV(f *testing.F) {
	fuzzSource(f, evidence.KindCloudTrailCSV, "cloudtrail_history.csv")
}

func FuzzParseCloudTrailLake(f *testing.F) {
	fuzzSource(f, evidence.KindCloudTrailLake, "cloudtrail_lake.json")
}

// FuzzLakeString checks a Lake cell's string against encoding/json's
// reading of it.
func FuzzLakeString(f *testing.F) {
	for _, s := range []string{`"plain"`, `"{\"eventVersion\":\"1.09\",\"a\":\"x\\/y\\n\"}"`, `"\u00e9\u0000\t"`, `"é"`,
		"\"\xff\"", `"\ud800"`, `"\uD83D\uDE00"`, `"\x"`, `5`, `null`, `"a\\"`, `"tab\u0009"`, `"\"`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return // cells come from a row the decoder checked
		}
		var want string
		wantOK := json.Unmarshal(v, &want) == nil
		got, ok := lakeString(v)
		if ok != wantOK || got != want {
			t.Fatalf("lakeString(%q) = %q, %v; encoding/json %q, %v", v, got, ok, want, wantOK)
		}
	})
}
