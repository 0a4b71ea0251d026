package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// bar is a one-line progress display, redrawn at most ten times a second.
type bar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	total int64
	done  int64
	all   int64
	last  time.Time
	start time.Time
	drawn bool
}

func (b *bar) Begin(label string, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.start.IsZero() {
		b.start = time.Now()
	}
	b.label, b.total, b.done = label, total, 0
}

func (b *bar) Advance(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	b.all += n
	if time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	label := b.label
	if len(label) > 48 {
		label = "…" + label[len(label)-47:]
	}
	rate := float64(b.all) / time.Since(b.start).Seconds() / 1e6
	pct := ""
	if b.total > 0 {
		pct = fmt.Sprintf("%3d%% ", b.done*100/b.total)
	}
	fmt.Fprintf(b.w, "\r\033[K%s%-48s %s total, %.1f MB/s", pct, label, humanBytes(b.all), rate)
	b.drawn = true
}

func (b *bar) End() {}

// Finish clears the line.
func (b *bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

func humanBytes(n int64) string { return timeline.HumanBytes(n) }

// finishProgress clears a drawn progress line.
func finishProgress(p evidence.Progress) {
	if b, ok := p.(*bar); ok {
		b.Finish()
	}
}
