package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// benchTimeCase builds a case of n events in items of 2,000 records whose
// times interleave (as log files covering the same hours do), written in
// several batches, and returns its path.
func benchTimeCase(b *testing.B, n int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "b.tcase")
	st, err := Create(p, evidence.CaseInfo{})
	if err != nil {
		b.Fatal(err)
	}
	w := st.NewWriter(4 << 20)
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	data := []byte(`{"eventVersion":"1.08","eventName":"GetObject","sourceIPAddress":"10.0.0.1","userAgent":"aws-cli/2.15","requestParameters":{"bucketName":"b","key":"k"}}`)
	const per = 2000
	for i := range n {
		item, rec := uint64(i/per+1), uint64(i%per+1)
		// each item covers the whole span, with some disorder within it
		at := t0.Add(time.Duration(int(rec)*per+int(item)*37%per+int(rec*7919%13)) * time.Millisecond)
		if err := w.PutEvent(EventRecord{Item: item, Record: rec, Time: at,
			Terms: []string{fmt.Sprintf("ip:10.0.%d.%d", i%7, i%251), fmt.Sprintf("p:user%d", i%17)}, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkEventsByTime reads a whole case in time order, as timeline
// --all, findings and summary do. TRAILCASE_BENCH_CASE names an existing
// case to read instead of a generated one.
func BenchmarkEventsByTime(b *testing.B) {
	p := os.Getenv("TRAILCASE_BENCH_CASE")
	if p == "" {
		p = benchTimeCase(b, 200000)
	}
	st, err := Open(p, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ResetTimer()
	var n int
	for range b.N {
		n = 0
		var last time.Time
		if err := st.EventsByTime(time.Time{}, time.Time{}, func(e StoredEvent) error {
			if e.Time.Before(last) {
				return fmt.Errorf("event %d/%d out of order", e.Item, e.Record)
			}
			last = e.Time
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
