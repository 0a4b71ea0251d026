package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// isTerminal reports whether w is a terminal (a character device such as
// /dev/null is not).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width to fit human output to: COLUMNS when set,
// else the width of w when it is a terminal; 0 means no limit.
func terminalWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// bars draws the progress of each phase of a command on its own line:
// files done of the files expected, bytes done of the bytes expected with
// the percentage, the rate and the time left. Totals come from
// Expect; a phase whose total is not known shows what is done.
// The display is started by the first phase and ended by Finish; a
// phase after Finish (report --verify runs several commands) starts a new one.
type bars struct {
	w      io.Writer
	mu     sync.Mutex
	p      *mpb.Progress // nil when no display is running
	phases map[string]*phaseBar
}

type phaseBar struct {
	unit         string // what a counted phase counts; "" for bytes
	bar          *mpb.Bar
	files, ended atomic.Int64
	bytes        atomic.Int64 // expected; 0 when not known
	perFile      atomic.Bool  // files are begun and ended one by one
	// shown is the highest percentage drawn: a total corrected upwards
	// (objects written to a bucket after it was counted) holds the
	// percentage until the work catches up, never draws it lower.
	shown atomic.Int64
}

func newBars(w io.Writer) *bars { return &bars{w: w, phases: map[string]*phaseBar{}} }

// sizedConsole is the terminal progress is drawn on; a terminal that
// reports no size (a pseudo-terminal nobody sized) is taken to be width
// wide, where mpb would draw nothing.
type sizedConsole struct {
	*cupwriter.Writer
	width int
}

func (c sizedConsole) GetTermSize() (int, int, error) {
	w, h, err := c.Writer.GetTermSize()
	if err != nil || w <= 0 || h <= 0 {
		return c.width, 24, nil
	}
	return w, h, nil
}

// phase returns the bar of phase, adding it on first use.
func (b *bars) phase(name string) *phaseBar {
	b.mu.Lock()
	defer b.mu.Unlock()
	if pb, ok := b.phases[name]; ok {
		return pb
	}
	if b.p == nil {
		b.p = mpb.New(mpb.WithConsoleWriter(sizedConsole{cupwriter.New(b.w, false), cmp.Or(terminalWidth(b.w), 100)}),
			mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	}
	pb := &phaseBar{unit: countedPhases[name]}
	speed := decor.AverageSpeed(decor.SizeB1024(0), " %.1f", decor.WCSyncSpace)
	if pb.unit != "" {
		speed = decor.AverageSpeed(0, "%.0f/s", decor.WCSyncSpace)
	}
	pb.bar = b.p.AddBar(0, mpb.BarWidth(20),
		mpb.PrependDecorators(
			decor.Name(name, decor.WC{W: 10, C: decor.DindentRight}),
			decor.Any(pb.filesDecor, decor.WC{W: 16, C: decor.DindentRight}),
		),
		mpb.AppendDecorators(
			decor.Any(pb.bytesDecor, decor.WCSyncSpace),
			speed,
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), ""),
		),
	)
	b.phases[name] = pb
	return pb
}

// countedPhases are the phases counted in records, with what they count.
var countedPhases = map[string]string{
	evidence.PhaseEvents: "events", evidence.PhaseCount: "events",
	evidence.PhaseItems: "items", evidence.PhaseCustody: "entries",
}

func (pb *phaseBar) filesDecor(decor.Statistics) string {
	if pb.unit != "" {
		return ""
	}
	m := pb.files.Load()
	if !pb.perFile.Load() {
		return fmt.Sprintf("%d files", m+pb.ended.Load())
	}
	if m > 0 {
		return fmt.Sprintf("%d of %d files", pb.ended.Load(), m)
	}
	return fmt.Sprintf("%d files", pb.ended.Load())
}

func (pb *phaseBar) bytesDecor(s decor.Statistics) string {
	done, total, unit := humanBytes(s.Current), humanBytes(s.Total), ""
	if pb.unit != "" {
		done, total, unit = strconv.FormatInt(s.Current, 10), strconv.FormatInt(s.Total, 10), " "+pb.unit
	}
	if s.Total <= 0 || pb.bytes.Load() <= 0 && !s.Completed {
		return done + unit
	}
	pct := min(s.Current*100/s.Total, 100)
	if s.Completed {
		pct = 100
	}
	for {
		was := pb.shown.Load()
		if pct <= was {
			pct = was
			break
		}
		if pb.shown.CompareAndSwap(was, pct) {
			break
		}
	}
	return fmt.Sprintf("%s of %s%s %d %%", done, total, unit, pct)
}

// Expect adds to the totals of phase; negative numbers correct an
// estimate downwards, and a phase whose every expected file is then done
// is complete.
func (b *bars) Expect(phase string, files, bytes int64) {
	pb := b.phase(phase)
	m := pb.files.Add(files)
	if bytes != 0 {
		pb.bar.SetTotal(max(pb.bytes.Add(bytes), 0), false)
	}
	if files < 0 && m <= pb.ended.Load() {
		pb.bar.SetTotal(-1, true)
	}
}

func (b *bars) Begin(phase, _ string, _ int64) { b.phase(phase).perFile.Store(true) }
func (b *bars) Advance(phase string, n int64)  { b.phase(phase).bar.IncrInt64(n) }

// End counts a file done; the phase is complete when every file
// expected is.
func (b *bars) End(phase string) {
	pb := b.phase(phase)
	pb.perFile.Store(true)
	if n := pb.ended.Add(1); n == pb.files.Load() {
		pb.bar.SetTotal(-1, true)
	}
}

// Finish completes every bar at what was done and waits for the last
// frame to be drawn.
func (b *bars) Finish() {
	b.mu.Lock()
	p := b.p
	for _, pb := range b.phases {
		pb.bar.SetTotal(-1, true)
	}
	b.p, b.phases = nil, map[string]*phaseBar{}
	b.mu.Unlock()
	if p != nil {
		p.Wait()
	}
}

func humanBytes(n int64) string { return timeline.HumanBytes(n) }

// finishProgress draws the last frame of a progress display.
func finishProgress(p evidence.Progress) {
	if b, ok := p.(*bars); ok {
		b.Finish()
	}
}

// phaseProgress is the one-phase progress the export and digest
// libraries take, drawn as phase.
type phaseProgress struct {
	p     evidence.Progress
	phase string
}

func (x phaseProgress) Begin(label string, total int64) { x.p.Begin(x.phase, label, total) }
func (x phaseProgress) Advance(n int64)                 { x.p.Advance(x.phase, n) }
func (x phaseProgress) End()                            {}
