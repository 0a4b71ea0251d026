package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"

	"github.com/trailcase/trailcase/evidence"
)

// TestProgressInTerminal runs the real binary with stderr on a
// pseudo-terminal and checks what the progress display printed: storing
// and indexing on lines of their own, files counted of the files
// expected, and percentages that only rise and end at 100 %; then the
// same of the events findings reads.
func TestProgressInTerminal(t *testing.T) {
	bin := buildTrailcase(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "logs")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	line := []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventName":"GetObject","sourceIPAddress":"203.0.113.7"}]}` + "\n")
	for i := range 24 {
		data := bytes.Repeat(line, 4000+i*500)
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kase := filepath.Join(dir, "case.tc")
	if out, err := exec.Command(bin, "init", "--case", kase, "--name", "pty", "--examiner", "tester").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	shown := runInTerminal(t, bin, "acquire", "--case", kase, src)
	checkProgress(t, shown, map[string]string{"storing": "24 of 24 files", "indexing": "24 of 24 files"})
	shown = runInTerminal(t, bin, "verify", "--case", kase)
	checkProgress(t, shown, map[string]string{"verifying": "24 files"})
	if !strings.Contains(shown, "all intact") {
		t.Errorf("verify did not end well:\n%s", shown)
	}
	// 24 files of 4000 to 15500 records: 234000 events, read in time
	// order, the last frame counting every one.
	shown = runInTerminal(t, bin, "findings", "--case", kase)
	checkProgress(t, shown, map[string]string{"events": "234000 of 234000 events"})
	// report --verify draws the checks' progress, then its own.
	shown = runInTerminal(t, bin, "report", "--case", kase, "--verify", "--findings", "--format", "json",
		"--output", filepath.Join(dir, "report.json"))
	checkProgress(t, shown, map[string]string{"verifying": "24 files", "counting": "234000 of 234000 events",
		"events": "234000 of 234000 events"})
}

// runInTerminal runs bin with stdout and stderr on a pseudo-terminal and
// returns what it printed there.
func runInTerminal(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = tty, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var shown bytes.Buffer
	io.Copy(&shown, ptmx) // ends with EIO once the child is gone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", args[0], err, shown.String())
	}
	return shown.String()
}

var (
	ansi     = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	progLine = regexp.MustCompile(`^(storing|indexing|verifying|counting|events)\b.*?(\d+) %`)
)

// checkProgress checks the frames printed for each phase: percentages
// only rise and end at 100 %, and the last frame names the files done.
func checkProgress(t *testing.T, out string, files map[string]string) {
	t.Helper()
	last := map[string]int{}
	lastLine := map[string]string{}
	for _, l := range strings.FieldsFunc(ansi.ReplaceAllString(out, "\n"), func(r rune) bool { return r == '\n' || r == '\r' }) {
		m := progLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		pct, _ := strconv.Atoi(m[2])
		if prev, ok := last[m[1]]; ok && pct < prev {
			t.Errorf("%s: %d %% after %d %%\n%s", m[1], pct, prev, out)
		}
		last[m[1]], lastLine[m[1]] = pct, l
	}
	for phase, want := range files {
		if last[phase] != 100 {
			t.Errorf("%s ended at %d %%, want 100 %%; output:\n%q", phase, last[phase], out)
		}
		if !strings.Contains(lastLine[phase], want) {
			t.Errorf("%s: last frame %q does not say %q", phase, lastLine[phase], want)
		}
	}
}

// TestBarsConcurrent drives the progress display from several goroutines
// at once, as the indexer's workers do.
func TestBarsConcurrent(t *testing.T) {
	var out bytes.Buffer
	b := newBars(&out)
	b.Expect(evidence.PhaseStore, 8, 8*1000)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b.Begin(evidence.PhaseStore, fmt.Sprint("f", i), 1000)
			for range 10 {
				b.Advance(evidence.PhaseStore, 100)
			}
			b.End(evidence.PhaseStore)
		})
	}
	wg.Wait()
	b.Finish()
	b.Finish() // a second call does nothing
	if s := out.String(); !strings.Contains(s, "8 of 8 files") || !strings.Contains(s, "100 %") {
		t.Errorf("last frame is missing the totals:\n%q", s)
	}
}
