package digest

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

// maxDigestSize bounds a decompressed digest file.
const maxDigestSize = 256 << 20

// edgeMargin is how far a log's key time may lie from the period of the
// digest that lists it: log keys carry the minute a file was written,
// digests the time it was delivered.
const edgeMargin = 15 * time.Minute

// continuityTolerance is the slack allowed between the end of a digest
// and the start of the next.
const continuityTolerance = 2 * time.Second

// Verify validates the CloudTrail digest chains found among objs and
// every log they list. It returns every problem found; an error only
// when evidence could not be read or ctx was cancelled.
func Verify(ctx context.Context, objs []Object, opts Options) (*Result, error) {
	if opts.Progress == nil {
		opts.Progress = evidence.NoProgress{}
	}
	v := &verifier{ctx: ctx, objs: objs, opts: opts, ring: newKeyRing(opts.Keys)}
	return v.run()
}

type verifier struct {
	ctx  context.Context
	objs []Object
	opts Options
	ring keyRing

	byName map[string][]int // file name -> indexes of objects that are not digests
	listed []atomic.Bool    // object listed by some digest

	mu       sync.Mutex
	sums     []*summary
	problems []finding.Finding
	notices  []string
	gaps     []Gap // found walking the chains, one goroutine
	ioErr    error

	logsChecked atomic.Int64
}

func (v *verifier) add(f finding.Finding) {
	v.mu.Lock()
	v.problems = append(v.problems, f)
	v.mu.Unlock()
}

// problem is a finding about object, held in evidence item (0 when none).
func problem(kind finding.Kind, object string, item uint64, detail string) finding.Finding {
	f := finding.New(kind, object, detail)
	f.Item = item
	return f
}

func (v *verifier) notice(format string, args ...any) {
	v.mu.Lock()
	v.notices = append(v.notices, fmt.Sprintf(format, args...))
	v.mu.Unlock()
}

func (v *verifier) fail(err error) {
	v.mu.Lock()
	if v.ioErr == nil {
		v.ioErr = err
	}
	v.mu.Unlock()
}

// inRange reports whether the period [start, end] overlaps the options' range.
func (v *verifier) inRange(start, end time.Time) bool {
	if !v.opts.From.IsZero() && !end.IsZero() && !end.After(v.opts.From) {
		return false
	}
	if !v.opts.To.IsZero() && !start.IsZero() && !start.Before(v.opts.To) {
		return false
	}
	return true
}

// timeInRange reports whether t lies in the options' range.
func (v *verifier) timeInRange(t time.Time) bool {
	return (v.opts.From.IsZero() || !t.Before(v.opts.From)) && (v.opts.To.IsZero() || t.Before(v.opts.To))
}

type logJob struct {
	d     *summary
	entry listedLog
	cands []int
}

// run reads and hashes every digest and log (in parallel), then walks
// the chains and looks for logs no digest lists.
func (v *verifier) run() (*Result, error) {
	digests := v.index()
	v.readAll(digests)
	if err := v.ctx.Err(); err != nil {
		return nil, err
	}
	if v.ioErr != nil {
		return nil, v.ioErr
	}

	sort.Strings(v.notices) // collected concurrently
	r := &Result{From: v.opts.From, To: v.opts.To, LogsChecked: int(v.logsChecked.Load())}
	if len(digests) == 0 {
		v.notices = append(v.notices, "no CloudTrail digest files among the evidence: nothing to validate")
	}
	r.Chains = v.walkChains(r)
	v.unlistedLogs()

	seen := map[[32]byte]bool{} // a digest acquired twice is one digest
	for _, s := range v.sums {
		if s.inRange {
			r.DigestsChecked++
			if !s.copyOf(seen) {
				r.Digests++
			}
		}
	}
	r.Problems = v.sortedProblems()
	r.Notices = v.notices
	if r.Notices == nil {
		r.Notices = []string{}
	}
	r.Gaps = v.gaps
	if r.Gaps == nil {
		r.Gaps = []Gap{}
	}
	sort.SliceStable(r.Gaps, func(i, j int) bool { return r.Gaps[i].From.Before(r.Gaps[j].From) })
	r.Valid = len(r.Problems) == 0
	return r, nil
}

// index returns the digests among the objects and files the others by
// name.
func (v *verifier) index() (digests []int) {
	v.byName = map[string][]int{}
	v.listed = make([]atomic.Bool, len(v.objs))
	for i, o := range v.objs {
		if o.Kind == evidence.KindCloudTrailDigest {
			digests = append(digests, i)
			continue
		}
		name := path.Base(o.Key)
		v.byName[name] = append(v.byName[name], i)
	}
	return digests
}

// readAll reads the digests on a few goroutines, which queue the logs
// they list for as many goroutines as there are CPUs to hash.
func (v *verifier) readAll(digests []int) {
	workers := runtime.GOMAXPROCS(0)
	digestCh := make(chan int)
	logCh := make(chan logJob, 256)
	var dwg, lwg sync.WaitGroup
	for range max(1, min(workers, 4)) {
		dwg.Go(func() {
			h := newHasher()
			var buf bytes.Buffer
			for i := range digestCh {
				if v.ctx.Err() != nil {
					continue
				}
				v.readDigest(i, h, &buf, logCh)
			}
		})
	}
	for range workers {
		lwg.Go(func() {
			h := newHasher()
			for j := range logCh {
				if v.ctx.Err() != nil {
					continue
				}
				v.checkLog(j, h)
			}
		})
	}
	for _, i := range digests {
		if v.ctx.Err() != nil {
			break
		}
		digestCh <- i
	}
	close(digestCh)
	dwg.Wait()
	close(logCh)
	lwg.Wait()
}

// sortedProblems returns the problems by object, kind and detail, each
// once.
func (v *verifier) sortedProblems() finding.Problems {
	sort.SliceStable(v.problems, func(i, j int) bool {
		a, b := v.problems[i], v.problems[j]
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Detail < b.Detail
	})
	ps := slices.CompactFunc(v.problems, finding.Finding.Equal)
	if ps == nil {
		return finding.Problems{}
	}
	return ps
}

// copyOf reports whether a digest with the same content was seen
// before (the same digest acquired twice, e.g. from two archives), and
// marks this one seen. A digest that could not be hashed is no copy.
func (s *summary) copyOf(seen map[[32]byte]bool) bool {
	if !s.hashed {
		return false
	}
	if seen[s.sum] {
		return true
	}
	seen[s.sum] = true
	return false
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func pluralf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
