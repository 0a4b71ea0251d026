package timeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// seedSamples adds the copied samples whose path contains one of words.
func seedSamples(f *testing.F, words ...string) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", "samples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, w := range words {
			if strings.Contains(p, w) {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				f.Add(gunzip(f, b))
				return nil
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkParse runs Parse on data and checks what every event must hold.
func checkParse(t *testing.T, kind string, data []byte) {
	err := Parse(context.Background(), kind, bytes.NewReader(data), ParseOptions{Evidence: 1, Name: "fuzz"},
		func(e *Event) error {
			checkEvent(t, e)
			return nil
		},
		func(w Warning) {
			if w.Message == "" {
				t.Fatal("empty warning")
			}
		})
	if err != nil && !strings.Contains(err.Error(), `"fuzz"`) {
		t.Fatalf("error %q does not name the file", err)
	}
}

func checkEvent(t *testing.T, e *Event) {
	t.Helper()
	if e.Record < 1 {
		t.Fatalf("record %d", e.Record)
	}
	if !json.Valid(e.Raw) {
		t.Fatalf("raw is not JSON: %q", e.Raw)
	}
	for _, term := range e.Terms() {
		if term == "" {
			t.Fatal("empty term")
		}
	}
	// What is kept is what is stored: the case's form gives back the event.
	stored := EncodeEvent(nil, e)
	if got, err := DecodeEvent(stored); err != nil || !reflect.DeepEqual(got, storedForm(e)) {
		t.Fatalf("stored form changes the event (%v):\n got %+v\nwant %+v", err, got, *e)
	}
	// Its normalised fields alone give its terms (an event stored
	// without them, schema 6, has them computed so).
	var norm Event
	if err := DecodeEventInto(&norm, stored, DecodeOptions{NormalisedOnly: true}); err != nil || !slices.Equal(norm.Terms(), e.Terms()) {
		t.Fatalf("terms of the normalised fields (%v): %q, the event's %q", err, norm.Terms(), e.Terms())
	}
	if !e.Time.IsZero() && !eventTime(e.Time) || !e.End.IsZero() && !eventTime(e.End) {
		t.Fatalf("times %v %v outside what a case holds", e.Time, e.End)
	}
	_ = e.ContentHash()
	_ = FlowDirectionHint(e)
	if _, err := json.Marshal(e); err != nil {
		t.Fatalf("event does not marshal: %v", err)
	}
}

// storedForm is e as DecodeEvent returns it: times in UTC, empty lists
// and maps as nil.
func storedForm(e *Event) Event {
	c := *e
	c.fieldNames, c.fieldValues = nil, nil // an encoding hint, not stored
	c.Time, c.End = c.Time.UTC(), c.End.UTC()
	if c.Time.IsZero() {
		c.Time = time.Time{}
	}
	if c.End.IsZero() {
		c.End = time.Time{}
	}
	if len(c.OtherIPs) == 0 {
		c.OtherIPs = nil
	}
	if len(c.Annotations) == 0 {
		c.Annotations = nil
	}
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	if len(c.Raw) == 0 {
		c.Raw = nil
	}
	return c
}

func FuzzParseCloudTrail(f *testing.F) {
	seedSamples(f, "cloudtrail", ".json")
	f.Add([]byte(`{"Records":[{"eventTime":"2024-01-02T03:04:05Z","eventName":"AssumeRole","eventID":"1","responseElements":{"credentials":{"accessKeyId":"A"}}}]}`))
	f.Add([]byte(`{"EventId":"1","CloudTrailEvent":"{\"eventTime\":\"2024-01-02T03:04:05Z\",\"eventID\":\"1\"}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, evidence.KindCloudTrail, data)
		checkHalfReads(t, data)
	})
}

// checkHalfReads: records that straddle the read buffer give the events,
// warnings and error that whole reads give.
func checkHalfReads(t *testing.T, data []byte) {
	t.Helper()
	run := func(r io.Reader) (evs [][]byte, ws []string, err error) {
		err = Parse(context.Background(), evidence.KindCloudTrail, r, ParseOptions{Evidence: 1, Name: "fuzz", BorrowRaw: true},
			func(e *Event) error { evs = append(evs, EncodeEvent(nil, e)); return nil },
			func(w Warning) { ws = append(ws, fmt.Sprintf("%d %s", w.Record, w.Message)) })
		return evs, ws, err
	}
	evB, wB, errB := run(bytes.NewReader(data))
	evA, wA, errA := run(iotest.HalfReader(bytes.NewReader(data)))
	if fmt.Sprint(errA) != fmt.Sprint(errB) || !slices.Equal(wA, wB) || len(evA) != len(evB) {
		t.Fatalf("half reads: %d events, warnings %q, error %v\nwhole reads: %d events, warnings %q, error %v", len(evA), wA, errA, len(evB), wB, errB)
	}
	for i := range evA {
		if !bytes.Equal(evA[i], evB[i]) {
			t.Fatalf("event %d differs between half and whole reads", i)
		}
	}
}

func FuzzParseVPCFlow(f *testing.F) {
	seedSamples(f, "vpcflow", "vpc_flow", "vpc-flow")
	f.Add([]byte("version srcaddr dstaddr start log-status\n2 ::ffff:1.2.3.4 10.0.0.1 1 OK\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, evidence.KindVPCFlow, data)
	})
}

func FuzzParseELB(f *testing.F) {
	seedSamples(f, "elb", "alb", "nlb", "clb")
	f.Add([]byte(albLine))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, evidence.KindELBALB, data)
	})
}

func FuzzDetect(f *testing.F) {
	seedSamples(f, "")
	f.Add([]byte("PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kind := Detect("fuzz", data)
		switch kind {
		case evidence.KindCloudTrail, evidence.KindCloudTrailDigest, evidence.KindCloudTrailInsight, evidence.KindVPCFlow,
			evidence.KindELBALB, evidence.KindELBNLB, evidence.KindELBCLB, evidence.KindELBALBConn, evidence.KindUnknown:
		default:
			t.Fatalf("Detect returned %q", kind)
		}
		checkParse(t, kind, data)
	})
}

func FuzzParseParquet(f *testing.F) {
	f.Add(parquetSample(f, parquetRows))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_ = ParseParquet(context.Background(), bytes.NewReader(data), int64(len(data)), ParseOptions{Name: "fuzz"},
			func(e *Event) error { checkEvent(t, e); return nil }, nil)
		runtime.ReadMemStats(&after)
		// Bounded memory: a small file never makes the reader allocate
		// what it declares.
		if got := after.TotalAlloc - before.TotalAlloc; got > 256<<20 {
			t.Fatalf("allocated %d MiB for a %d-byte file", got>>20, len(data))
		}
	})
}
