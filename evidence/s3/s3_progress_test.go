package s3_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/s3"
)

// storeTally records the storing phase's progress and every moment work
// done went past the totals announced.
type storeTally struct {
	mu                   sync.Mutex
	files, bytes         int64 // announced
	first                [2]int64
	expects              int
	ended, advanced      int64
	pastFiles, pastBytes bool
	lowered              bool // a correction lowered a total
}

func (p *storeTally) Expect(phase string, files, bytes int64) {
	if phase != evidence.PhaseStore {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.expects == 0 {
		p.first = [2]int64{files, bytes}
	}
	p.expects++
	p.files, p.bytes = p.files+files, p.bytes+bytes
	if files < 0 || bytes < 0 {
		p.lowered = true
		if p.files < p.ended || p.bytes < p.advanced {
			p.pastFiles = true // lowered below what is done
		}
	}
}
func (p *storeTally) Begin(string, string, int64) {}
func (p *storeTally) Advance(phase string, n int64) {
	if phase != evidence.PhaseStore {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advanced += n
	p.pastBytes = p.pastBytes || p.advanced > p.bytes
}
func (p *storeTally) End(phase string) {
	if phase != evidence.PhaseStore {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended++
	p.pastFiles = p.pastFiles || p.ended > p.files
}

// TestS3ProgressEstimate: a bucket is counted by one listing before it is
// downloaded through a second; objects written or deleted in between
// correct the totals, upwards before the new object is reported done,
// downwards once the listing ends, so the work never runs past them and
// ends exactly at them.
func TestS3ProgressEstimate(t *testing.T) {
	body := func(k string, n int) string { return strings.Repeat(k+"\n", n) }
	for _, tc := range []struct {
		name   string
		change func(f *fakeS3) // between the two listings
		opts   s3.Options
		files  int64 // stored in the end (k/x.txt too, unless excluded)
	}{
		{"unchanged", func(*fakeS3) {}, s3.Options{}, 11},
		{"more objects", func(f *fakeS3) {
			delete(f.objects, "k/03.log")
			for _, k := range []string{"k/00a.log", "k/05a.log", "k/99.log", "k/99a.log"} {
				f.objects[k] = body(k, 40)
			}
		}, s3.Options{}, 14},
		{"fewer objects", func(f *fakeS3) {
			for _, k := range []string{"k/01.log", "k/02.log", "k/08.log"} {
				delete(f.objects, k)
			}
		}, s3.Options{}, 8},
		{"objects grew", func(f *fakeS3) {
			for k := range f.objects {
				f.objects[k] = body(k, 100)
			}
		}, s3.Options{}, 11},
		{"more, selected only", func(f *fakeS3) {
			f.objects["k/05a.log"] = body("k/05a.log", 40)
			f.objects["k/05a.txt"] = body("k/05a.txt", 400)
		}, s3.Options{Exclude: []string{"**/*.txt"}}, 11},
		{"more, every version", func(f *fakeS3) {
			f.objects["k/05a.log"] = body("k/05a.log", 40)
			delete(f.objects, "k/01.log")
		}, s3.Options{AllVersions: true}, 11},
		{"more, listed without versions", func(f *fakeS3) {
			f.objects["k/05a.log"] = body("k/05a.log", 40)
		}, s3.Options{}, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3("logs")
			for i := range 10 {
				k := fmt.Sprintf("k/%02d.log", i)
				f.objects[k] = body(k, 10+i)
			}
			f.objects["k/x.txt"] = "text\n"
			if strings.Contains(tc.name, "without versions") {
				f.unversioned, f.versionsDenied = true, true
			}
			initial := map[string]string{}
			for k, v := range f.objects {
				initial[k] = v
			}
			f.beforeList = func(n int) {
				if n == 2 {
					tc.change(f)
				}
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			st := newTestCase(t)
			opts := tc.opts
			opts.Store, opts.Actor, opts.Concurrency = st, &testActor, 2
			src, err := s3.NewSource(fastClient(srv.URL), "s3://logs/k/", opts)
			if err != nil {
				t.Fatal(err)
			}
			p := &storeTally{}
			rep, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{
				Sources: []evidence.Source{src}, Include: opts.Include, Exclude: opts.Exclude, Actor: testActor, Progress: p,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Stored) != int(tc.files) || len(rep.Failed) != 0 {
				t.Fatalf("stored %d, failed %+v; want %d stored", len(rep.Stored), rep.Failed, tc.files)
			}
			// The first announcement is the first listing's count.
			var wantFiles, wantBytes int64
			for k, v := range initial {
				if evidence.Selected(k, opts.Include, opts.Exclude) {
					wantFiles, wantBytes = wantFiles+1, wantBytes+int64(len(v))
				}
			}
			if p.first != [2]int64{wantFiles, wantBytes} {
				t.Errorf("first announced %v, the first listing held %d files of %d bytes", p.first, wantFiles, wantBytes)
			}
			if p.pastFiles || p.pastBytes {
				t.Errorf("work ran past the totals (files %v, bytes %v)", p.pastFiles, p.pastBytes)
			}
			if p.files != tc.files || p.ended != p.files || p.advanced != p.bytes || p.advanced != rep.Bytes {
				t.Errorf("ended %d of %d files, %d of %d bytes (stored %d bytes)", p.ended, p.files, p.advanced, p.bytes, rep.Bytes)
			}
			if f.lists != 2 {
				t.Errorf("%d listings, want 2", f.lists)
			}
		})
	}
}

// TestS3SizeOnlyWithProgress: without a progress display nothing is
// counted first: one listing.
func TestS3SizeOnlyWithProgress(t *testing.T) {
	f := newFakeS3("logs")
	f.objects["k/a.log"] = "a\n"
	srv := httptest.NewServer(f)
	defer srv.Close()
	st := newTestCase(t)
	acquireS3(t, st, fastClient(srv.URL), "s3://logs/k/", s3.Options{})
	if f.lists != 1 {
		t.Errorf("%d listings without progress, want 1", f.lists)
	}
}
