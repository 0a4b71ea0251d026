package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// benchEvents is the size of the benchmark corpus.
const benchEvents = 240000

// benchStore builds a case with benchEvents
// events: CloudTrail calls from 4000 addresses by 500 users, each user
// assuming a role now and then, and flow records between 2000 hosts.
// The address 203.0.113.66 has about 300 events.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	benchDir := b.TempDir()
	var benchErr error
	func() {
		st, err := store.Create(filepath.Join(benchDir, "bench.tcase"), evidence.CaseInfo{Name: "bench", Examiner: "b"})
		if err != nil {
			benchErr = err
			return
		}
		defer st.Close()
		w := st.NewWriter(0)
		base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < benchEvents; i++ {
			at := base.Add(time.Duration(i) * 2 * time.Second)
			var e *Event
			switch {
			case i%800 == 0:
				e = flow(0, attackerIP, 40000+i%20000, fmt.Sprintf("10.0.%d.%d", i%7, i%250), 22, "ACCEPT")
			case i%800 == 1:
				user := fmt.Sprintf("arn:aws:iam::%s:user/u%d", acct, i%500)
				e = ct(0, user, fmt.Sprintf("AKIABENCH%011d", i%500), attackerIP, "ListBuckets")
			case i%3 == 0:
				user := fmt.Sprintf("arn:aws:iam::%s:user/u%d", acct, i%500)
				e = ct(0, user, fmt.Sprintf("AKIABENCH%011d", i%500), fmt.Sprintf("198.51.%d.%d", i%16, i%250), "DescribeInstances")
				if i%97 == 0 {
					e.Action = "AssumeRole"
					e.IssuedAccessKey = fmt.Sprintf("ASIABENCH%011d", i)
					e.IssuedSession = fmt.Sprintf("arn:aws:sts::%s:assumed-role/R/s%d", acct, i)
				}
			default:
				e = flow(0, fmt.Sprintf("10.1.%d.%d", i%8, i%250), 1024+i%60000, fmt.Sprintf("10.2.%d.%d", i%8, (i/8)%250), 443, "ACCEPT")
				e.Bytes, e.Packets = int64(i%100000), int64(i%100)
			}
			e.Time, e.Evidence, e.Record = at, uint64(1+i/10000), int64(i%10000+1)
			data, err := json.Marshal(e)
			if err != nil {
				benchErr = err
				return
			}
			if err := w.PutEvent(store.EventRecord{Item: e.Evidence, Record: uint64(e.Record), Time: e.Time, Terms: e.Terms(), Data: data}); err != nil {
				benchErr = err
				return
			}
		}
		benchErr = w.Flush()
	}()
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	st, err := store.Open(filepath.Join(benchDir, "bench.tcase"), store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkQueryIP is a one-address query over a case of benchEvents events.
func BenchmarkQueryIP(b *testing.B) {
	st := benchStore(b)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		s, err := Correlate(context.Background(), st, Query{IP: attackerIP}, func(*Match) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		n = s.Events
	}
	b.ReportMetric(float64(n), "events/op")
}

// BenchmarkQueryMore runs the other query kinds over one corpus like
// BenchmarkQueryIP's: a principal with role sessions and its addresses'
// network events, and the whole case in time order.
func BenchmarkQueryMore(b *testing.B) {
	st := benchStore(b)
	b.Run("principal", func(b *testing.B) {
		n := 0
		for b.Loop() {
			s, err := Correlate(context.Background(), st, Query{Principal: "arn:aws:iam::" + acct + ":user/u1"}, func(*Match) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			n = s.Events
		}
		b.ReportMetric(float64(n), "events/op")
	})
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			s, err := Correlate(context.Background(), st, Query{All: true}, func(*Match) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			if s.Events != benchEvents {
				b.Fatalf("%d events", s.Events)
			}
		}
		b.ReportMetric(benchEvents, "events/op")
	})
}
