//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailcase/trailcase/store"
)

// TestCrashAcquire kills 'trailcase acquire' with SIGKILL at random
// moments over a source of several hundred files (small and large
// evidence, gzip CloudTrail, flow and ALB logs, files larger than two
// Writer batches so one is mid-write across several commits, one flow log
// large enough that its indexing spans several commits). After every kill
// the case must verify; after each series of kills one more acquire of the
// same source must end with exactly the source's files, the events of a
// clean run, and a custody log that records every interruption.
//
// The kill points are random; what is asserted is not. The seed is
// logged: TRAILCASE_CRASH_SEED=N replays the same kill points (delays and
// case file sizes; where the process stands at that moment still
// varies), TRAILCASE_CRASH_POINTS=N sets how many kills to deliver
// (default 20, 6 under -race; 150 take about five minutes).
func TestCrashAcquire(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	points := 20
	if raceEnabled {
		// The binary under test is built without the race detector;
		// only this process is instrumented, which proves nothing more.
		points = 6
	}
	points = envPoints(t, "TRAILCASE_CRASH_POINTS", points)
	seed := envSeed(t, "TRAILCASE_CRASH_SEED")
	t.Logf("crash seed %d, %d kill points (replay: TRAILCASE_CRASH_SEED=%d TRAILCASE_CRASH_POINTS=%d)", seed, points, seed, points)
	rng := rand.New(rand.NewPCG(seed, 0x7ca5e))

	bin := buildTrailcase(t)
	work := t.TempDir()
	src := filepath.Join(work, "src")
	began := time.Now()
	want := writeCrashSource(t, src)
	var srcBytes int64
	for _, f := range want {
		srcBytes += f.size
	}
	t.Logf("source: %d files, %d MiB, written in %v", len(want), srcBytes>>20, time.Since(began).Round(time.Millisecond))

	tc := &crashCase{t: t, bin: bin, dir: work}

	// A clean run gives the events to expect and how long a full
	// acquisition takes, which bounds the kill delays.
	clean := filepath.Join(work, "clean.tcase")
	tc.run(0, "init", "--case", clean, "--name", "clean", "--examiner", "e")
	began = time.Now()
	tc.run(0, "acquire", "--case", clean, "--quiet", src)
	full := time.Since(began)
	cleanSize := fileSize(t, clean)
	cleanItems := tc.items(clean)
	tc.checkItems(cleanItems, want, "clean run")
	ref := crashRef{
		parse:    parseSummary(cleanItems),
		events:   tc.events(clean, cleanItems),
		timeline: tc.timelineLines(clean),
	}
	t.Logf("clean acquire: %v, %d events", full.Round(time.Millisecond), len(ref.events.sums))
	if ref.timeline != len(ref.events.sums) || ref.events.total != ref.timeline {
		t.Fatalf("clean run: timeline --all prints %d events, the case counts %d and holds %d", ref.timeline, ref.events.total, len(ref.events.sums))
	}
	if ref.timeline < 60000 {
		t.Fatalf("clean run indexed %d events; the source should give more than 60000", ref.timeline)
	}
	// A second acquisition of the same source stores nothing; how long
	// it takes is what a resumed acquisition spends before it gets to
	// new work.
	began = time.Now()
	tc.run(0, "acquire", "--case", clean, "--quiet", src)
	rerun := time.Since(began)
	if n := len(tc.items(clean)); n != len(want) {
		t.Fatalf("a second acquisition of the same source: %d items, want %d", n, len(want))
	}
	os.Remove(clean)

	// Kill points: each round starts a fresh case and kills successive
	// acquisitions of the source until one finishes by itself or the
	// round has had its share; then one more acquisition completes it
	// and the case is checked against the source and the clean run. A
	// delay is drawn over what is left of a clean run's time line, so the
	// kills fall throughout storing, indexing and recording.
	const perRound = 5
	var (
		kills, finished, rounds     int
		midBlob, midIndex, openRuns int
		partIndex                   int // kills that left some events of unfinished items committed
		before                      = time.Now()
		minDelay                    = 5 * time.Millisecond
	)
	for kills < points {
		rounds++
		cs := filepath.Join(work, fmt.Sprintf("round%d.tcase", rounds))
		tc.run(0, "init", "--case", cs, "--name", "crash", "--examiner", "e")
		var progress time.Duration // how far along a clean run's time line the case is, roughly
		left := map[uint64]bool{}  // runs a kill left open
		for roundKills := 0; roundKills < perRound && kills < points; roundKills++ {
			// The first kill of a round falls when the fresh case file
			// passes a size (bbolt grows it in steps as blobs and event
			// blocks are committed, mostly while storing); the others
			// at a time (mostly while indexing, which takes longer).
			var at killPoint
			if progress == 0 {
				cur := fileSize(t, cs)
				at.size = cur + rng.Int64N(cleanSize-cur)
			} else {
				rest := max(full-progress, 50*time.Millisecond) + rerun
				at.delay = minDelay + time.Duration(rng.Int64N(int64(rest)))
			}
			began := time.Now()
			if !tc.acquireAndKill(cs, src, at) {
				finished++
				t.Logf("round %d: acquire finished before the kill (%v)", rounds, at)
				break
			}
			took := time.Since(began)
			if progress > 0 {
				progress += max(0, took-rerun)
			} else {
				progress = took
			}
			kills++
			st := tc.afterKill(cs, want)
			if st.openRun != 0 && !left[st.openRun] {
				left[st.openRun] = true
				openRuns++
			}
			if st.partialBlob {
				midBlob++
			}
			if st.pendingIndex > 0 && st.items == len(want) {
				midIndex++
				if st.events > 0 {
					partIndex++
				}
			}
			t.Logf("kill %d (round %d) at %v (%v): %d/%d items, run open %d, partial blob %v, %d item(s) to index, %d events",
				kills, rounds, took.Round(time.Millisecond), at, st.items, len(want), st.openRun, st.partialBlob, st.pendingIndex, st.events)
		}
		tc.finish(cs, src, want, ref, len(left), kills >= points)
		os.Remove(cs)
	}
	t.Logf("%d kills in %d rounds (%d with a run open, %d with a partial blob, %d during indexing, %d of them with events committed), %d acquire(s) finished first; %v",
		kills, rounds, openRuns, midBlob, midIndex, partIndex, finished, time.Since(before).Round(time.Millisecond))
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// srcFile is one file of the generated source.
type srcFile struct {
	size int64
	sum  string
}

type crashCase struct {
	t   *testing.T
	bin string
	dir string
}

// run runs trailcase and requires exit code code; it returns stdout.
func (c *crashCase) run(code int, args ...string) []byte {
	c.t.Helper()
	out, errb, got := c.exec(args...)
	if got != code {
		c.t.Fatalf("trailcase %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, clip(out), errb)
	}
	return out
}

func (c *crashCase) exec(args ...string) (stdout, stderr []byte, code int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = crashEnv(c.dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		c.t.Fatalf("run trailcase %s: %v", strings.Join(args, " "), err)
	}
	return out.Bytes(), errb.Bytes(), code
}

func crashEnv(dir string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir, "USER=examiner", "LANG=C"}
}

func clip(b []byte) string {
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}

// killPoint says when to kill: after delay, or once the case file has
// grown past size bytes (when size is not zero).
type killPoint struct {
	delay time.Duration
	size  int64
}

func (k killPoint) String() string {
	if k.size > 0 {
		return fmt.Sprintf("case file > %d MiB", k.size>>20)
	}
	return k.delay.Round(time.Millisecond).String()
}

// acquireAndKill starts an acquisition and sends it SIGKILL at the kill
// point. It reports false when the acquisition ended by itself first (it
// must then have succeeded).
func (c *crashCase) acquireAndKill(cs, src string, at killPoint) bool {
	c.t.Helper()
	cmd := exec.Command(c.bin, "acquire", "--case", cs, "--quiet", src)
	cmd.Dir = c.dir
	cmd.Env = crashEnv(c.dir)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var fire <-chan time.Time
	var poll *time.Ticker
	if at.size > 0 {
		poll = time.NewTicker(2 * time.Millisecond)
		defer poll.Stop()
	} else {
		fire = time.After(at.delay)
	}
wait:
	for {
		var tick <-chan time.Time
		if poll != nil {
			tick = poll.C
		}
		select {
		case err := <-done:
			if err != nil {
				c.t.Fatalf("acquire (not killed) failed: %v\n%s", err, errb.String())
			}
			return false
		case <-fire:
			break wait
		case <-tick:
			if fi, err := os.Stat(cs); err == nil && fi.Size() > at.size {
				break wait
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		c.t.Fatalf("kill: %v", err)
	}
	err := <-done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
		c.t.Fatalf("acquire failed before it was killed: %v\n%s", err, errb.String())
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return false // it exited 0 just before the signal
}

type lsItem struct {
	ID         uint64   `json:"id"`
	Path       string   `json:"path"`
	Size       int64    `json:"size"`
	SHA256     string   `json:"sha256"`
	Kind       string   `json:"kind"`
	Custody    uint64   `json:"custody"`
	ParseState string   `json:"parse_state"`
	Events     int64    `json:"events"`
	Flags      []string `json:"flags"`
}

func (c *crashCase) items(cs string) []lsItem {
	c.t.Helper()
	var items []lsItem
	if err := json.Unmarshal(c.run(0, "ls", "--case", cs, "--json"), &items); err != nil {
		c.t.Fatalf("ls --json: %v", err)
	}
	return items
}

// checkItems requires items to be exactly the source's files: same paths,
// sizes and SHA-256 (computed from the source, not by trailcase), each
// once.
func (c *crashCase) checkItems(items []lsItem, want map[string]srcFile, when string) {
	c.t.Helper()
	c.checkSubset(items, want, when)
	if len(items) != len(want) {
		seen := map[string]bool{}
		for _, it := range items {
			seen[it.Path] = true
		}
		var missing []string
		for p := range want {
			if !seen[p] {
				missing = append(missing, p)
			}
		}
		slices.Sort(missing)
		c.t.Fatalf("%s: the case holds %d items, the source %d files; missing: %v", when, len(items), len(want), missing[:min(10, len(missing))])
	}
}

// checkSubset requires every item to be one of the source's files, with
// its exact bytes, and no file to be held twice.
func (c *crashCase) checkSubset(items []lsItem, want map[string]srcFile, when string) {
	c.t.Helper()
	seen := map[string]uint64{}
	for _, it := range items {
		f, ok := want[it.Path]
		switch {
		case !ok:
			c.t.Fatalf("%s: item %d %q is not a source file", when, it.ID, it.Path)
		case seen[it.Path] != 0:
			c.t.Fatalf("%s: %q is held twice (items %d and %d)", when, it.Path, seen[it.Path], it.ID)
		case it.SHA256 != f.sum || it.Size != f.size:
			c.t.Fatalf("%s: item %d %q: %d bytes, sha256 %s; the source file has %d bytes, sha256 %s", when, it.ID, it.Path, it.Size, it.SHA256, f.size, f.sum)
		}
		seen[it.Path] = it.ID
	}
}

// parseSummary is what indexing recorded per path.
func parseSummary(items []lsItem) map[string]string {
	m := map[string]string{}
	for _, it := range items {
		m[it.Path] = fmt.Sprintf("%s %s %d events %v", it.Kind, it.ParseState, it.Events, it.Flags)
	}
	return m
}

// crashRef is what a clean acquisition of the source gives.
type crashRef struct {
	parse    map[string]string
	events   caseEvents
	timeline int
}

// caseEvents are the indexed events of a case, read back through the
// store's query path, in a form that compares across cases: one digest
// per event (item path, record, time, index terms, data), sorted; the
// case's own event count; and the number of events under each IP term.
type caseEvents struct {
	sums  [][32]byte
	total int
	ips   map[string]int
}

func (c *crashCase) events(cs string, items []lsItem) caseEvents {
	c.t.Helper()
	paths := map[uint64]string{}
	for _, it := range items {
		paths[it.ID] = it.Path
	}
	st, err := store.Open(cs, store.Options{ReadOnly: true})
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	ce := caseEvents{ips: map[string]int{}}
	err = st.EventsByTime(time.Time{}, time.Time{}, func(e store.StoredEvent) error {
		p, ok := paths[e.Item]
		if !ok {
			return fmt.Errorf("event %d/%d names an item ls does not list", e.Item, e.Record)
		}
		terms, err := e.IndexTerms()
		if err != nil {
			return fmt.Errorf("event %d/%d: %w", e.Item, e.Record, err)
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%q\x00", p, e.Record, e.Time.UnixNano(), terms)
		h.Write(e.Data)
		var sum [32]byte
		h.Sum(sum[:0])
		ce.sums = append(ce.sums, sum)
		return nil
	})
	if err != nil {
		c.t.Fatalf("read the events of %s: %v", cs, err)
	}
	slices.SortFunc(ce.sums, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	if ce.total, err = st.EventCount(); err != nil {
		c.t.Fatal(err)
	}
	err = st.TermValues("ip:", func(term string, n int) error { ce.ips[term] = n; return nil })
	if err != nil {
		c.t.Fatal(err)
	}
	return ce
}

// timelineLines returns how many events 'timeline --all' prints.
func (c *crashCase) timelineLines(cs string) int {
	c.t.Helper()
	out := c.run(0, "timeline", "--case", cs, "--all", "--format", "jsonl")
	return bytes.Count(out, []byte("\n"))
}

type custodyEntry struct {
	Seq    uint64          `json:"seq"`
	Action string          `json:"action"`
	Result string          `json:"result"`
	Items  []uint64        `json:"items"`
	Data   json.RawMessage `json:"data"`
}

func (e custodyEntry) run() uint64 {
	var d struct {
		Run uint64 `json:"run"`
	}
	json.Unmarshal(e.Data, &d)
	return d.Run
}

func (c *crashCase) custody(cs string) []custodyEntry {
	c.t.Helper()
	var log []custodyEntry
	if err := json.Unmarshal(c.run(0, "custody", "--case", cs, "--json"), &log); err != nil {
		c.t.Fatalf("custody --json: %v", err)
	}
	return log
}

// openRuns returns the acquisition runs begun and not closed.
func openRuns(log []custodyEntry) []uint64 {
	closed := map[uint64]bool{}
	for _, e := range log {
		if e.Action == "acquire" && e.Result != "started" {
			closed[e.run()] = true
		}
	}
	var open []uint64
	for _, e := range log {
		if e.Action == "acquire" && e.Result == "started" && !closed[e.Seq] {
			open = append(open, e.Seq)
		}
	}
	return open
}

type killState struct {
	items        int
	openRun      uint64 // the acquisition run left open, if any
	partialBlob  bool
	pendingIndex int
	events       int
}

// afterKill checks the case just after a kill: it opens read-only, every
// item it holds is an exact source file, and it verifies (exit 0). A
// read-only verify (--no-record) may note the chunks of the file that was
// being written, which no item uses; a writable verify removes them.
func (c *crashCase) afterKill(cs string, want map[string]srcFile) killState {
	c.t.Helper()
	var st killState
	log := c.custody(cs)
	open := openRuns(log)
	if len(open) > 1 {
		c.t.Fatalf("%d acquisition runs open at once: %v", len(open), open)
	}
	if len(open) == 1 {
		st.openRun = open[0]
	}

	items := c.items(cs)
	c.checkSubset(items, want, "after a kill")
	st.items = len(items)
	for _, it := range items {
		if it.ParseState == "pending" {
			st.pendingIndex++
		}
	}
	// The events committed so far are all reachable through the index,
	// and the case's own count agrees.
	ev := c.events(cs, items)
	if ev.total != len(ev.sums) {
		c.t.Fatalf("after a kill the case counts %d events; its index reaches %d", ev.total, len(ev.sums))
	}
	st.events = ev.total

	out, errb, code := c.exec("verify", "--case", cs, "--no-record", "--json")
	res := decodeVerify(c.t, out)
	for _, p := range res.Problems {
		c.t.Fatalf("verify --no-record after a kill: %s %s\n%s%s", p.Kind, p.Detail, out, errb)
	}
	for _, n := range res.Notices {
		if !strings.Contains(n, "interrupted acquisition") {
			c.t.Fatalf("verify --no-record after a kill: notice %q", n)
		}
		st.partialBlob = true
	}
	if code != 0 {
		c.t.Fatalf("verify --no-record after a kill: exit %d, want 0\n%s%s", code, out, errb)
	}

	if res.Items != len(items) {
		c.t.Fatalf("verify --no-record after a kill checked %d items; ls lists %d", res.Items, len(items))
	}
	if st.partialBlob {
		// A writable open removes those chunks: the case then verifies.
		out = c.run(0, "verify", "--case", cs, "--json")
		res = decodeVerify(c.t, out)
		if !res.Valid || len(res.Problems) != 0 || res.Items != len(items) {
			c.t.Fatalf("verify after a kill: %s", out)
		}
	}
	return st
}

type verifyResult struct {
	Valid    bool `json:"valid"`
	Items    int  `json:"items"`
	Problems []struct {
		Kind   string `json:"kind"`
		Detail string `json:"detail"`
	} `json:"problems"`
	Notices []string `json:"notices"`
}

func decodeVerify(t *testing.T, out []byte) verifyResult {
	t.Helper()
	var r verifyResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, clip(out))
	}
	return r
}

// finish runs the acquisition to its end and checks the case against the
// source and the clean run.
func (c *crashCase) finish(cs, src string, want map[string]srcFile, ref crashRef, interrupted int, last bool) {
	c.t.Helper()
	before := c.custody(cs)
	wasOpen := len(openRuns(before)) == 1

	var rep struct {
		Recovered *custodyEntry `json:"recovered"`
		Stored    []any         `json:"stored"`
		Present   []any         `json:"already_present"`
		Failed    []any         `json:"failed"`
	}
	out := c.run(0, "acquire", "--case", cs, "--json", src)
	if err := json.Unmarshal(out, &rep); err != nil {
		c.t.Fatalf("acquire --json: %v", err)
	}
	if (rep.Recovered != nil) != wasOpen {
		c.t.Fatalf("final acquire: recovered %v, but a run was open: %v", rep.Recovered, wasOpen)
	}
	if n := len(rep.Stored) + len(rep.Present); n != len(want) || len(rep.Failed) != 0 {
		c.t.Fatalf("final acquire: %d stored + %d present, %d failed; want %d files", len(rep.Stored), len(rep.Present), len(rep.Failed), len(want))
	}

	items := c.items(cs)
	c.checkItems(items, want, "after the final acquire")
	if got := parseSummary(items); !maps.Equal(got, ref.parse) {
		for p, s := range ref.parse {
			if got[p] != s {
				c.t.Fatalf("after the final acquire %q is %q; after a clean run %q", p, got[p], s)
			}
		}
	}
	var idx struct {
		Items  int   `json:"items"`
		Events int64 `json:"events"`
	}
	if err := json.Unmarshal(c.run(0, "index", "--case", cs, "--json"), &idx); err != nil {
		c.t.Fatal(err)
	}
	if idx.Items != 0 || idx.Events != 0 {
		c.t.Fatalf("after the final acquire, index still found %d item(s), %d event(s) to index", idx.Items, idx.Events)
	}
	ev := c.events(cs, items)
	if ev.total != ref.events.total || len(ev.sums) != len(ref.events.sums) {
		c.t.Fatalf("after the final acquire the case counts %d events and holds %d; after a clean run %d and %d", ev.total, len(ev.sums), ref.events.total, len(ref.events.sums))
	}
	for i := range ev.sums {
		if ev.sums[i] != ref.events.sums[i] {
			c.t.Fatalf("after the final acquire the events differ from a clean run's (first difference at %d of %d)", i, len(ev.sums))
		}
	}
	if !maps.Equal(ev.ips, ref.events.ips) {
		for term, n := range ref.events.ips {
			if ev.ips[term] != n {
				c.t.Fatalf("after the final acquire %d event(s) are indexed under %s; after a clean run %d", ev.ips[term], term, n)
			}
		}
		c.t.Fatalf("after the final acquire %d IP terms; after a clean run %d", len(ev.ips), len(ref.events.ips))
	}
	if last {
		if n := c.timelineLines(cs); n != ref.timeline {
			c.t.Fatalf("after the final acquire timeline --all prints %d events; after a clean run %d", n, ref.timeline)
		}
	}

	out = c.run(0, "verify", "--case", cs, "--json")
	if res := decodeVerify(c.t, out); !res.Valid || len(res.Problems) != 0 || res.Items != len(want) {
		c.t.Fatalf("verify after the final acquire: %s", out)
	}

	// Custody: each run begun is closed exactly once; a run the kill
	// left open is closed as interrupted, naming exactly the items it
	// stored; every item names its run.
	log := c.custody(cs)
	started := map[uint64]bool{}
	closedBy := map[uint64]custodyEntry{}
	got := 0
	for _, e := range log {
		if e.Action != "acquire" {
			continue
		}
		if e.Result == "started" {
			started[e.Seq] = true
			continue
		}
		r := e.run()
		if !started[r] {
			c.t.Fatalf("custody entry %d closes run %d, which was not begun before it", e.Seq, r)
		}
		if prev, dup := closedBy[r]; dup {
			c.t.Fatalf("run %d closed twice (entries %d and %d)", r, prev.Seq, e.Seq)
		}
		closedBy[r] = e
		if e.Result == "interrupted" {
			got++
		} else if e.Result != "ok" {
			c.t.Fatalf("custody entry %d: acquire %s", e.Seq, e.Result)
		}
	}
	for r := range started {
		if _, ok := closedBy[r]; !ok {
			c.t.Fatalf("run %d was never closed in the custody log", r)
		}
	}
	if got != interrupted {
		c.t.Fatalf("custody log records %d interrupted acquisitions; %d kills left a run open", got, interrupted)
	}
	byRun := map[uint64][]uint64{}
	for _, it := range items {
		if !started[it.Custody] {
			c.t.Fatalf("item %d %q names custody entry %d, which began no acquisition", it.ID, it.Path, it.Custody)
		}
		byRun[it.Custody] = append(byRun[it.Custody], it.ID)
	}
	for r, e := range closedBy {
		ids := slices.Clone(e.Items)
		slices.Sort(ids)
		want := byRun[r]
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			c.t.Fatalf("custody entry %d (%s, run %d) names items %v; the case holds %v from that run", e.Seq, e.Result, r, ids, want)
		}
	}
}

// ---- the source ----

// writeCrashSource writes a fixed source tree into dir and returns its
// files by path relative to dir, with the SHA-256 of each computed here.
func writeCrashSource(t *testing.T, dir string) map[string]srcFile {
	t.Helper()
	r := rand.New(rand.NewPCG(20240501, 7))
	g := &srcGen{r: r, dir: dir, t: t, files: map[string]srcFile{}}
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	const acct = "111122223333"

	// CloudTrail: 90 files; the last 10 repeat records of earlier files,
	// as overlapping downloads do, so deduplication is exercised.
	var kept [][]byte
	for i := range 90 {
		tt := t0.Add(time.Duration(i) * 17 * time.Minute)
		n := 10 + r.IntN(70)
		var recs [][]byte
		for j := range n {
			if i >= 80 && j%3 == 0 && len(kept) > 0 {
				recs = append(recs, kept[r.IntN(len(kept))])
				continue
			}
			rec := g.ctRecord(tt.Add(time.Duration(j)*time.Second), acct)
			recs = append(recs, rec)
			if r.IntN(10) == 0 {
				kept = append(kept, rec)
			}
		}
		body := append([]byte(`{"Records":[`), bytes.Join(recs, []byte(","))...)
		body = append(body, "]}"...)
		g.gz(fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/%s/%s_CloudTrail_us-east-1_%s_%04d.json.gz",
			acct, tt.Format("2006/01/02"), acct, tt.Format("20060102T1504Z"), i), body)
	}
	// VPC Flow Logs: 80 files, and one whose indexing spans several
	// Writer commits.
	for i := range 60 {
		tt := t0.Add(time.Duration(i) * 21 * time.Minute)
		g.gz(fmt.Sprintf("AWSLogs/%s/vpcflowlogs/us-east-1/%s/%s_vpcflowlogs_us-east-1_fl-%04d_%s.log.gz",
			acct, tt.Format("2006/01/02"), acct, i, tt.Format("20060102T1504Z")), g.flow(tt, acct, 20+r.IntN(100)))
	}
	g.gz(fmt.Sprintf("AWSLogs/%s/vpcflowlogs/us-east-1/2024/05/02/%s_vpcflowlogs_us-east-1_fl-big_20240502T0000Z.log.gz", acct, acct),
		g.flow(t0.Add(24*time.Hour), acct, 60000))
	// ALB: 20 files.
	for i := range 20 {
		tt := t0.Add(time.Duration(i) * 43 * time.Minute)
		g.gz(fmt.Sprintf("AWSLogs/%s/elasticloadbalancing/us-east-1/%s/%s_elasticloadbalancing_us-east-1_app.web.%04d_%s.log.gz",
			acct, tt.Format("2006/01/02"), acct, i, tt.Format("20060102T1504Z")), g.alb(tt, acct, 20+r.IntN(80)))
	}
	// Other evidence: 150 files from empty to a few MiB, and two larger
	// than two Writer batches (store.DefaultBatchBytes is 32 MiB).
	for i := range 150 {
		size := r.IntN(128 << 10)
		switch {
		case i < 3:
			size = i // 0, 1 and 2 bytes
		case i%30 == 0:
			size = 1<<20 + r.IntN(2<<20)
		}
		g.random(fmt.Sprintf("misc/d%02d/file%03d.bin", i%12, i), int64(size))
	}
	g.random("big/disk-image-a.raw", 66<<20+12345)
	g.random("big/disk-image-b.raw", 65<<20+1)
	return g.files
}

type srcGen struct {
	t     *testing.T
	r     *rand.Rand
	dir   string
	files map[string]srcFile
}

func (g *srcGen) put(rel string, b []byte) {
	p := filepath.Join(g.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		g.t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	g.files[rel] = srcFile{size: int64(len(b)), sum: hex.EncodeToString(sum[:])}
}

func (g *srcGen) gz(rel string, body []byte) {
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	zw.Write(body)
	zw.Close()
	g.put(rel, z.Bytes())
}

func (g *srcGen) random(rel string, size int64) {
	p := filepath.Join(g.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		g.t.Fatal(err)
	}
	var key [32]byte
	k := g.r.Uint64()
	for i := range 8 {
		key[i] = byte(k >> (8 * i))
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.NewChaCha8(key), size)); err != nil {
		g.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		g.t.Fatal(err)
	}
	g.files[rel] = srcFile{size: size, sum: hex.EncodeToString(h.Sum(nil))}
}

func (g *srcGen) ip() string {
	if g.r.IntN(4) == 0 {
		return fmt.Sprintf("10.0.%d.%d", g.r.IntN(4), 1+g.r.IntN(250))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *srcGen) hex(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return hex.EncodeToString(b)[:n]
}

var (
	crashUsers  = []string{"alice", "bob", "ci-deploy", "backup", "mallory"}
	crashEvents = []string{"GetObject", "ListBuckets", "DescribeInstances", "AssumeRole", "PutObject", "GetCallerIdentity", "CreateAccessKey"}
)

func (g *srcGen) ctRecord(t time.Time, acct string) []byte {
	user := crashUsers[g.r.IntN(len(crashUsers))]
	name := crashEvents[g.r.IntN(len(crashEvents))]
	return fmt.Appendf(nil, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"AKIA%s","userName":"%s"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"aws-cli/2.15.0","requestParameters":{"bucketName":"data-%s"},"responseElements":null,"requestID":"%s","eventID":"%s-%s-%s-%s-%s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s"}`,
		strings.ToUpper(g.hex(16)), acct, user, acct, strings.ToUpper(g.hex(16)), user, t.Format(time.RFC3339), name, g.ip(), g.hex(6),
		strings.ToUpper(g.hex(16)), g.hex(8), g.hex(4), g.hex(4), g.hex(4), g.hex(12), acct)
}

func (g *srcGen) flow(t time.Time, acct string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	eni := "eni-" + g.hex(17)
	for i := range n {
		s := t.Unix() + int64(i/40)
		if g.r.IntN(300) == 0 {
			fmt.Fprintf(&b, "2 %s %s - - - - - - - %d %d - NODATA\n", acct, eni, s, s+60)
			continue
		}
		fmt.Fprintf(&b, "2 %s %s %s %s %d %d 6 %d %d %d %d %s OK\n", acct, eni, g.ip(), g.ip(),
			1024+g.r.IntN(60000), []int{22, 80, 443, 3306}[g.r.IntN(4)], 1+g.r.IntN(100), 40+g.r.IntN(90000), s, s+60,
			[]string{"ACCEPT", "ACCEPT", "REJECT"}[g.r.IntN(3)])
	}
	return b.Bytes()
}

func (g *srcGen) alb(t time.Time, acct string, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		ts := t.Add(time.Duration(i) * 250 * time.Millisecond)
		code := []int{200, 200, 302, 403, 404, 500}[g.r.IntN(6)]
		fmt.Fprintf(&b, `https %s app/web/%s %s:%d 10.0.3.%d:8080 0.000 0.0%02d 0.000 %d %d %d %d "GET https://shop.example.com:443/p/%d HTTP/1.1" "curl/8.5.0" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:us-east-1:%s:targetgroup/web/%s "Root=1-%s-%s" "shop.example.com" "-" 1 %s "forward" "-" "-" "10.0.3.10:8080" "%d" "-" "-" TID_%s`+"\n",
			ts.Format("2006-01-02T15:04:05.000000Z"), g.hex(16), g.ip(), 1024+g.r.IntN(60000), 1+g.r.IntN(200), g.r.IntN(99), code, code,
			100+g.r.IntN(900), 200+g.r.IntN(40000), g.r.IntN(100000), acct, g.hex(16), g.hex(8), g.hex(24),
			ts.Add(-5*time.Millisecond).Format("2006-01-02T15:04:05.000000Z"), code, g.hex(32))
	}
	return b.Bytes()
}
