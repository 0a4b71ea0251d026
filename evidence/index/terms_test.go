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

// FuzzStoredTerms: for any input a parser reads, the terms computed from
// each stored event (its timeline terms and summary facts, from its
// normalised fields alone) are those indexing gave the parsed event. A
// difference would file an event stored without its terms (schema 6)
// under postings that its computed terms do not name: verify would
// report an intact case, and re-indexing the item would leave postings
// behind.
func FuzzStoredTerms(f *testing.F) {
	for _, seed := range []string{
		`{"Records":[{"eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","accessKeyId":"AKIA1"},"responseElements":{"credentials":{"accessKeyId":"ASIA2"}},"eventID":"1"}]}`,
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 1 eni-1 10.0.0.1 203.0.113.9 1 2 6 1 900 1714557600 1714557660 ACCEPT OK\n2 1 eni-1 - - - - - - - 1714557600 1714557660 - NODATA\n",
		`http 2024-05-01T10:00:00.000000Z app/web/1 203.0.113.7:4242 10.0.0.5:80 0.001 0.002 0.000 200 200 10 20 "GET http://x/ HTTP/1.1" "curl/8" - - arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1 "Root=1" "-" "-" 0 2024-05-01T10:00:00.000000Z "forward" "-" "-" "10.0.0.5:80" "200" "-" "-"` + "\n",
	} {
		f.Add(uint8(0), []byte(seed))
	}
	kinds := []string{evidence.KindCloudTrail, evidence.KindVPCFlow, evidence.KindELBALB, evidence.KindELBNLB, evidence.KindELBCLB}
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		// k 0: the kind the bytes look like; else one given.
		kind := timeline.Detect("fuzz", data[:min(len(data), 4096)])
		if k > 0 {
			kind = kinds[int(k)%len(kinds)]
		}
		if kind == "" || kind == evidence.KindUnknown {
			return
		}
		it := evidence.Item{ID: 1, Path: "fuzz", Kind: kind}
		var ts timeline.TermSet
		n := 0
		_ = timeline.Parse(t.Context(), kind, bytes.NewReader(data), parseOptions(&it), func(ev *timeline.Event) error {
			ts.Reset()
			addTerms(&ts, ev)
			want := ts.AppendTo(nil)
			got, err := storedTerms(timeline.EncodeEvent(nil, ev), nil)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s record %d: terms computed from the stored event (%v)\n%q\nindexed\n%q", kind, ev.Record, err, got, want)
			}
			n++
			return nil
		}, func(timeline.Warning) {})
		if strings.HasPrefix(t.Name(), "FuzzStoredTerms/seed") && n == 0 {
			t.Fatalf("seed gives no event (%s)", kind)
		}
	})
}
