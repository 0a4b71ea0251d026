//go:build unix

package index

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// BenchmarkIndexParse parses the log files of a corpus (cmd/tcbench gen)
// as indexing does, with its parse options and event sink (encoding,
// index terms, summary facts), the blocks and the store left out: one
// sub-benchmark per kind, over its files inflated in memory beforehand.
//
//	TRAILCASE_BENCH_DIR=/tmp/c350 go test ./evidence/index -run '^$' -bench IndexParse -benchtime 3x
//
// Besides the wall time it reports the CPU time of the process (garbage
// collection included) per inflated byte, the figure that holds on a
// shared machine.
func BenchmarkIndexParse(b *testing.B) {
	dir := os.Getenv("TRAILCASE_BENCH_DIR")
	if dir == "" {
		b.Skip("set TRAILCASE_BENCH_DIR to a corpus directory")
	}
	files := map[string][][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".gz") {
			return err
		}
		kind := ""
		switch {
		case strings.Contains(path, "/CloudTrail/"):
			kind = evidence.KindCloudTrail
		case strings.Contains(path, "/vpcflowlogs/"):
			kind = evidence.KindVPCFlow
		case strings.Contains(path, "/elasticloadbalancing/"):
			kind = evidence.KindELBALB
		default:
			return nil
		}
		data, err := inflate(path)
		files[kind] = append(files[kind], data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{evidence.KindCloudTrail, evidence.KindVPCFlow, evidence.KindELBALB} {
		if len(files[kind]) == 0 {
			continue
		}
		b.Run(kind, func(b *testing.B) {
			size := 0
			for _, f := range files[kind] {
				size += len(f)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var events int64
			cpu0 := cpuTime()
			for b.Loop() {
				for i, data := range files[kind] {
					it := evidence.Item{ID: uint64(i + 1), Path: "bench", Kind: kind}
					sink := &eventSink{it: &it, add: func(*store.EventRecord) error { return nil }}
					err := timeline.Parse(context.Background(), kind, bytes.NewReader(data), parseOptions(&it), sink.emit, func(w timeline.Warning) { b.Fatal(w.Message) })
					if err != nil {
						b.Fatal(err)
					}
					events += sink.events
				}
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/float64(size), "cpu-ns/B")
		})
	}
}

func inflate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// cpuTime is the CPU time (user + system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
