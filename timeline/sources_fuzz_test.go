package timeline

import (
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
