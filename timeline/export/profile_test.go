package export

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/trailcase/trailcase/store"
)

// TestProfileExport exports an existing case (opened read-only), for CPU
// and memory profiles of the export path:
//
//	TRAILCASE_EXPORT_CASE=/tmp/c.tcase go test ./timeline/export -run TestProfileExport -v -cpuprofile cpu.out
//
// TRAILCASE_EXPORT_FORMAT picks the format (parquet, the default, jsonl or
// csv); jsonl and csv are written to io.Discard, parquet into a temporary
// directory.
func TestProfileExport(t *testing.T) {
	path := os.Getenv("TRAILCASE_EXPORT_CASE")
	if path == "" {
		t.Skip("set TRAILCASE_EXPORT_CASE to a case file")
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var stats Stats
	switch f := os.Getenv("TRAILCASE_EXPORT_FORMAT"); f {
	case "", FormatParquet:
		stats, err = Parquet(ctx, st, t.TempDir(), Options{})
	case FormatJSONL:
		stats, err = JSONL(ctx, st, io.Discard, Options{})
	case FormatCSV:
		stats, err = CSV(ctx, st, io.Discard, Options{})
	default:
		t.Fatalf("TRAILCASE_EXPORT_FORMAT %q", f)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", stats)
}
