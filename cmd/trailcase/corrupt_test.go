//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// corruptTimeout bounds one command on a damaged case: one still running
// after it hangs (the demo case answers in well under a second).
const corruptTimeout = 2 * time.Minute

// TestCorruptCase damages a case file one byte or one truncation at a
// time and runs the read commands and verify on each damaged copy. What
// must hold for every damage:
//
//   - no command panics, dies of a signal or runs past corruptTimeout;
//   - what timeline --all, ls, custody, report --format json, findings
//     --json, summary --json and export (jsonl) print is
//     either what they printed before the damage, or verify reports a
//     problem (exit 3), or that command fails with an error of its own
//     (exit 1) — never a different answer that verify calls intact.
//
// The damage is random; what is asserted is not. TRAILCASE_CORRUPT_SEED=N
// replays a run; TRAILCASE_CORRUPT_POINTS=N scales it (N random flips,
// N/5 page-header flips and N/10 truncations; default 40, the full run
// in docs/RELIABILITY.md uses 1000). The case is damaged after a first
// summary has stored its findings, so that no damaged copy computes and
// stores them again at another time.
func TestCorruptCase(t *testing.T) {
	if testing.Short() {
		t.Skip("corruption test: skipped with -short")
	}
	points := 40
	if raceEnabled {
		points = 10
	}
	points = envPoints(t, "TRAILCASE_CORRUPT_POINTS", points)
	seed := envSeed(t, "TRAILCASE_CORRUPT_SEED")
	t.Logf("corruption seed %d, %d points (replay: TRAILCASE_CORRUPT_SEED=%d TRAILCASE_CORRUPT_POINTS=%d)", seed, points, seed, points)
	rng := rand.New(rand.NewPCG(seed, 0xc0bb))

	bin := buildTrailcase(t)
	work := t.TempDir()
	if out, err := exec.Command(bin, "demo", "--quiet", "--dir", filepath.Join(work, "demo")).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--case", filepath.Join(work, "demo", "case.tcase"), "summary", "--json").CombinedOutput(); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	orig, err := os.ReadFile(filepath.Join(work, "demo", "case.tcase"))
	if err != nil {
		t.Fatal(err)
	}
	base := runCorruptCommands(t, bin, filepath.Join(work, "demo", "case.tcase"))
	if base.verify.code != 0 {
		t.Fatalf("the undamaged case does not verify: exit %d\n%s", base.verify.code, base.verify.stderr)
	}
	for _, r := range base.reads {
		if r.code != 0 {
			t.Fatalf("%s on the undamaged case: exit %d\n%s", r.name, r.code, r.stderr)
		}
	}

	damages := corruptPlan(rng, len(orig), points)
	var (
		mu    sync.Mutex
		tally = map[string]int{}
		bad   []string
	)
	jobs := make(chan corruptDamage)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range jobs {
				p := filepath.Join(work, fmt.Sprintf("damaged-%d.tcase", d.n))
				if err := os.WriteFile(p, d.apply(orig), 0o600); err != nil {
					t.Error(err)
					continue
				}
				got := runCorruptCommands(t, bin, p)
				verdict, problem := judgeCorrupt(base, got)
				os.Remove(p)
				mu.Lock()
				tally[d.kind+": "+verdict]++
				if problem != "" {
					bad = append(bad, d.String()+": "+problem)
				}
				mu.Unlock()
			}
		}()
	}
	for _, d := range damages {
		jobs <- d
	}
	close(jobs)
	wg.Wait()

	keys := make([]string, 0, len(tally))
	for k := range tally {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%-40s %d", k, tally[k])
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// corruptDamage is one damage to a case file: a byte XORed with a mask,
// or the file cut at an offset.
type corruptDamage struct {
	n      int
	kind   string // "flip", "header flip", "truncate"
	offset int
	mask   byte
}

func (d corruptDamage) String() string {
	if d.kind == "truncate" {
		return fmt.Sprintf("truncated at %d", d.offset)
	}
	return fmt.Sprintf("%s at %d (xor %#02x)", d.kind, d.offset, d.mask)
}

func (d corruptDamage) apply(orig []byte) []byte {
	if d.kind == "truncate" {
		return bytes.Clone(orig[:d.offset])
	}
	b := bytes.Clone(orig)
	b[d.offset] ^= d.mask
	return b
}

// corruptPlan draws points random flips anywhere, points/5 flips in the
// 16-byte headers of bbolt pages (id, flags, count, overflow) and
// points/10 truncations.
func corruptPlan(rng *rand.Rand, size, points int) []corruptDamage {
	const pageSize = 4096 // bbolt's page size on the machines the case is made on
	var ds []corruptDamage
	mask := func() byte { return byte(1 + rng.IntN(255)) }
	for range points {
		ds = append(ds, corruptDamage{kind: "flip", offset: rng.IntN(size), mask: mask()})
	}
	for range max(points/5, 1) {
		page := rng.IntN(size / pageSize)
		ds = append(ds, corruptDamage{kind: "header flip", offset: page*pageSize + rng.IntN(16), mask: mask()})
	}
	for range max(points/10, 1) {
		ds = append(ds, corruptDamage{kind: "truncate", offset: rng.IntN(size)})
	}
	for i := range ds {
		ds[i].n = i
	}
	return ds
}

type corruptRun struct {
	name           string
	code           int
	signal         string
	timedOut       bool
	stdout, stderr string
}

type corruptRuns struct {
	verify corruptRun
	reads  []corruptRun
}

// runCorruptCommands runs verify and the read commands on the case at p.
func runCorruptCommands(t *testing.T, bin, p string) corruptRuns {
	t.Helper()
	run := func(args ...string) corruptRun {
		ctx, cancel := context.WithTimeout(context.Background(), corruptTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--case", p}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "TRAILCASE_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		err := cmd.Run()
		r := corruptRun{name: strings.Join(args, " "), stdout: out.String(), stderr: errb.String()}
		var ee *exec.ExitError
		switch {
		case ctx.Err() != nil:
			r.timedOut = true
		case err == nil:
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				r.signal = ws.Signal().String()
			}
		default:
			t.Fatalf("run %s: %v", r.name, err)
		}
		return r
	}
	rs := corruptRuns{verify: run("verify", "--no-record", "--json")}
	for _, args := range [][]string{
		{"timeline", "--all", "--format", "jsonl"},
		{"ls", "--json"},
		{"custody", "--json"},
		{"report", "--format", "json", "-o", "-"},
		{"findings", "--json"},
		{"summary", "--json"},
		{"export", "--format", "jsonl", "-o", "-"},
	} {
		r := run(args...)
		if args[0] == "report" && r.code == 0 {
			r.stdout = withoutGenerated(r.stdout)
		}
		rs.reads = append(rs.reads, r)
	}
	return rs
}

// withoutGenerated drops the report's "generated" block (time, host,
// file name) and the time of its own re-check, which differ on every run.
func withoutGenerated(s string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil {
		return s
	}
	delete(m, "generated")
	var re map[string]json.RawMessage
	if json.Unmarshal(m["rechecked"], &re) == nil {
		delete(re, "at")
		m["rechecked"], _ = json.Marshal(re)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// judgeCorrupt classifies one damaged run against the undamaged one and
// returns a problem when a promise was broken.
func judgeCorrupt(base, got corruptRuns) (verdict, problem string) {
	all := append([]corruptRun{got.verify}, got.reads...)
	for _, r := range all {
		if r.timedOut {
			return "hang", fmt.Sprintf("%s still running after %v", r.name, corruptTimeout)
		}
		if r.signal != "" {
			return "signal", fmt.Sprintf("%s died of %s\n%s", r.name, r.signal, tail(r.stderr))
		}
		if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
			return "panic", fmt.Sprintf("%s panicked (exit %d)\n%s", r.name, r.code, tail(r.stderr))
		}
		if r.code != 0 && r.code != 1 && r.code != 3 {
			return "odd exit", fmt.Sprintf("%s exited %d on a damaged case\n%s", r.name, r.code, tail(r.stderr))
		}
		if r.code == 1 && strings.TrimSpace(r.stderr) == "" {
			return "silent failure", fmt.Sprintf("%s failed with no message", r.name)
		}
	}
	if got.verify.code == 3 {
		return "caught by verify", ""
	}
	changed := false
	for i, r := range got.reads {
		if r.code == 0 && r.stdout != base.reads[i].stdout {
			return "silently different", fmt.Sprintf("verify exit %d, but %s prints a different answer", got.verify.code, r.name)
		}
		if r.code != 0 {
			changed = true
		}
	}
	if got.verify.code == 1 {
		return "verify failed with an error", ""
	}
	if changed {
		return "a command failed with an error", ""
	}
	return "no visible change", ""
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 6 {
		lines = lines[:6]
	}
	return strings.Join(lines, "\n")
}
