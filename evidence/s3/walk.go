package s3

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// s3Job is one object on its way from S3 to the case.
type s3Job struct {
	l    listed
	done chan struct{}

	entry evidence.Entry
	fatal error  // stops the walk
	file  string // downloaded into this temporary file, or
	mem   []byte // into memory
	sum   evidence.SHA256
}

// Walk captures the bucket's state, lists the objects, downloads the
// selected ones concurrently (at most 2×Concurrency held at once) and
// hands them to fn one by one in listing order.
func (s *Source) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	if err := s.captureState(ctx); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.opts.TempDir, "trailcase-s3-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := s.startWalk(ctx, tmp)
	defer w.workers.Wait()
	defer cancel()
	return w.deliver(ctx, fn, refuse)
}

// captureState captures the bucket's state for the walk and records it,
// with a custody entry when an actor is set, in the case.
func (s *Source) captureState(ctx context.Context) error {
	b, err := CaptureBucket(ctx, s.client, s.bucket, s.opts.Endpoint)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.state, s.region = &b, b.Region
	s.mu.Unlock()
	if s.opts.Store == nil || s.opts.Store.ReadOnly() {
		return nil
	}
	if err := s.opts.Store.PutBucket(b); err != nil {
		return fmt.Errorf("record bucket %q: %w", s.bucket, err)
	}
	if s.opts.Actor == nil {
		return nil
	}
	e := s.opts.Actor.Entry("capture-s3-bucket", nil)
	e.Sources = []string{s.root}
	e.End, e.Result = time.Now().UTC(), evidence.ResultOK
	e.Detail = describeBucket(b)
	e.Data, _ = json.Marshal(b)
	_, err = s.opts.Store.AppendCustody(e)
	return err
}

// walk is one Walk's pipeline: the lister hands each selected object to
// the fetchers (jobs) and, in listing order, to the delivering loop
// (order); tokens bound the objects held at once.
type walk struct {
	s       *Source
	order   chan *s3Job
	jobs    chan *s3Job
	tokens  chan struct{}
	workers sync.WaitGroup
	listErr error // set before order is closed

	markersMu sync.Mutex
	markers   []evidence.Refusal // delete markers not yet handed on
}

// startWalk starts the lister and Concurrency fetchers downloading into
// tmp; they stop when ctx is cancelled.
func (s *Source) startWalk(ctx context.Context, tmp string) *walk {
	window := 2 * s.opts.Concurrency
	w := &walk{s: s, order: make(chan *s3Job, window), jobs: make(chan *s3Job), tokens: make(chan struct{}, window)}
	est := s.takeEstimate()
	go func() {
		defer close(w.order)
		defer close(w.jobs)
		w.listErr = s.list(ctx, func(l listed) error {
			if est != nil {
				est.listed(l)
			}
			return w.enqueue(ctx, l)
		}, w.deleteMarker)
		if est != nil && w.listErr == nil {
			est.end()
		}
	}()
	for range s.opts.Concurrency {
		w.workers.Add(1)
		go func() {
			defer w.workers.Done()
			for j := range w.jobs {
				s.fetch(ctx, tmp, j)
				close(j.done)
			}
		}()
	}
	return w
}

// enqueue waits for a token and hands listed object l to the delivering
// loop and to a fetcher.
func (w *walk) enqueue(ctx context.Context, l listed) error {
	select {
	case w.tokens <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	j := &s3Job{l: l, done: make(chan struct{})}
	select {
	case w.order <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case w.jobs <- j:
	case <-ctx.Done():
		close(j.done)
		return ctx.Err()
	}
	return nil
}

// deleteMarker notes a selected key whose current version is a delete
// marker; it is refused when the delivering loop next runs.
func (w *walk) deleteMarker(key string, when time.Time) {
	s := w.s
	if !evidence.Selected(key, s.opts.Include, s.opts.Exclude) {
		return
	}
	s.count(func(st *Stats) { st.DeleteMarkers++ })
	w.markersMu.Lock()
	w.markers = append(w.markers, evidence.Refusal{Path: key, Reason: fmt.Sprintf("current version is a delete marker (deleted %s); earlier versions were not acquired", when.Format(time.RFC3339))})
	w.markersMu.Unlock()
}

// flushMarkers refuses the delete markers noted so far.
func (w *walk) flushMarkers(refuse func(evidence.Refusal)) {
	w.markersMu.Lock()
	ms := w.markers
	w.markers = nil
	w.markersMu.Unlock()
	for _, m := range ms {
		refuse(m)
	}
}

// deliver hands the fetched objects to fn in listing order, releasing
// each one's token and temporary copy after fn returns.
func (w *walk) deliver(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	for j := range w.order {
		<-j.done
		w.flushMarkers(refuse)
		if err := ctx.Err(); err != nil {
			return err
		}
		if j.fatal != nil {
			return j.fatal
		}
		err := fn(j.entry)
		if err == nil && j.fatal != nil {
			// Opening a streamed entry failed for the whole bucket.
			err = j.fatal
		}
		if j.file != "" {
			os.Remove(j.file)
		}
		j.mem = nil
		<-w.tokens
		if err != nil {
			return err
		}
	}
	w.flushMarkers(refuse)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.listErr; err != nil {
		s := w.s
		if f := fatalS3(s.bucket, s.opts.Endpoint, err); f != nil {
			return f
		}
		return fmt.Errorf("list %s: %s: %w", s.root, s3Reason(err), err)
	}
	return nil
}

func describeBucket(b evidence.Bucket) string {
	lock := b.ObjectLockEnabled
	if lock == "" {
		lock = "not configured"
	}
	ver := b.Versioning
	if ver == "" {
		ver = "never enabled"
	}
	s := fmt.Sprintf("bucket %s: object lock %s", b.Name, lock)
	if b.DefaultMode != "" {
		s += fmt.Sprintf(", default retention %s %s", b.DefaultMode, retentionPeriod(b.DefaultDays, b.DefaultYears))
	}
	s += ", versioning " + ver
	if len(b.Errors) > 0 {
		s += "; " + strings.Join(b.Errors, "; ")
	}
	return s
}

func retentionPeriod(days, years int32) string {
	switch {
	case years > 0 && days > 0:
		return fmt.Sprintf("%d year(s) %d day(s)", years, days)
	case years > 0:
		return fmt.Sprintf("%d year(s)", years)
	default:
		return fmt.Sprintf("%d day(s)", days)
	}
}

// failEntry makes the entry of an object that could not be acquired: its
// Open returns err, so acquisition reports it and goes on.
func failEntry(e evidence.Entry, err error) evidence.Entry {
	e.Open = func(context.Context) (io.ReadCloser, error) { return nil, err }
	return e
}
