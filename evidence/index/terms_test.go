package index

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// TestStoredTermsAsIndexed: the terms computed from a stored event are
// the terms indexing gave the parsed event, for every event of the
// sample logs and the incident corpus: an event stored without its terms
// (schema 6) is found under, and checked against, the postings made from
// them.
func TestStoredTermsAsIndexed(t *testing.T) {
	// Flow records that say nothing was logged have no address terms.
	gaps := t.TempDir()
	flow := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 111122223333 eni-1 - - - - - - - 1714557600 1714557660 - NODATA\n" +
		"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1714557600 1714557660 ACCEPT SKIPDATA\n" +
		"2 111122223333 eni-1 10.0.0.1 203.0.113.9 1 2 6 1 900 1714557600 1714557660 ACCEPT OK\n" +
		"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1714557600 1714557660 NODATA OK\n"
	if err := os.WriteFile(filepath.Join(gaps, "flow.log"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := []string{"../../timeline/testdata/samples", "../../timeline/testdata/sources", "../../testdata/incident", gaps}
	events, kinds, gapEvents := 0, map[string]int{}, 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.HasSuffix(path, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					return nil // not every .gz sample is whole
				}
				if b, err = io.ReadAll(zr); err != nil {
					return nil
				}
			}
			kind := timeline.Detect(path, b[:min(len(b), 4096)])
			if kind == "" || kind == evidence.KindUnknown {
				return nil
			}
			it := evidence.Item{ID: 1, Path: path, Kind: kind}
			var ts timeline.TermSet
			emit := func(ev *timeline.Event) error {
				ts.Reset()
				addTerms(&ts, ev)
				want := ts.AppendTo(nil)
				data := timeline.EncodeEvent(nil, ev)
				got, err := storedTerms(data, nil)
				if err != nil {
					t.Fatalf("%s record %d: %v", path, ev.Record, err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s record %d: terms computed from the stored event\n%q\nindexed\n%q", path, ev.Record, got, want)
				}
				events++
				kinds[kind]++
				if ev.Source == timeline.SourceVPCFlow && !slices.ContainsFunc(want, func(t string) bool { return strings.HasPrefix(t, timeline.TermIP) }) {
					gapEvents++
				}
				return nil
			}
			_ = timeline.Parse(t.Context(), kind, bytes.NewReader(b), parseOptions(&it), emit, func(timeline.Warning) {})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d events (%d flow gaps): %v", events, gapEvents, kinds)
	if events < 800 || gapEvents < 2 || kinds[evidence.KindVPCFlow] == 0 || kinds[evidence.KindCloudTrail] == 0 {
		t.Fatalf("%d events of %v: the test reads too little", events, kinds)
	}
}
